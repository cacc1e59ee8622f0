"""One court's matters with their documents, as a zip for an audit or a migration (`jiaodong export`).

`matters.jsonl` holds one line per delegation the court requested or assisted: its columns (personal data in
full: the archive is for the court's own records), its events, clocks, results and the metadata of its
documents; `documents/` holds the files under their storage keys, each verified against its recorded SHA-256
as it is copied. Every exported matter gets an access-log entry (kind `export`), like a reveal.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.blobs import BlobStore, verified
from delegation.store.sql import run, table
from delegation.store.tables import (
    AccessLogRow,
    AssetResultRow,
    ClockRow,
    DelegationRow,
    DocumentRow,
    EventRow,
)

RELATED = {"events": EventRow, "clocks": ClockRow, "results": AssetResultRow, "documents": DocumentRow}


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    matters: int
    documents: int


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _record(mapping: Any) -> dict[str, Any]:
    return {key: _plain(value) for key, value in dict(mapping).items()}


async def export_court(
    session: AsyncSession, store: BlobStore, court_code: str, out: Path, actor: str, now: datetime
) -> ExportSummary:
    delegation = table(DelegationRow)
    matters = (
        (
            await run(
                session,
                select(delegation)
                .where(or_(delegation.c.requesting_court == court_code, delegation.c.assisting_court == court_code))
                .order_by(delegation.c.id),
            )
        )
        .mappings()
        .all()
    )
    ids = [m["id"] for m in matters]
    related: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for name, model in RELATED.items():
        t = table(model)
        rows = (await run(session, select(t).where(t.c.delegation_id.in_(ids)).order_by(t.c.id))).mappings().all()
        grouped: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            grouped.setdefault(row["delegation_id"], []).append(_record(row))
        related[name] = grouped
    documents = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("matters.jsonl", "w") as lines:
            for matter in matters:
                record = _record(matter) | {name: related[name].get(matter["id"], []) for name in RELATED}
                lines.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        for docs in related["documents"].values():
            for doc in docs:
                await asyncio.to_thread(_copy, store, archive, doc["storage_key"], doc["sha256"])
                documents += 1
    for matter in matters:
        session.add(
            AccessLogRow(
                at=now,
                actor=actor,
                actor_court=None,
                actor_roles="admin",
                kind="export",
                delegation_id=matter["id"],
                target=f"export:{court_code}",
                reason=f"jiaodong export {court_code}",
            )
        )
    await session.commit()
    return ExportSummary(out, len(matters), documents)


def _copy(store: BlobStore, archive: zipfile.ZipFile, key: str, sha256: str) -> None:
    with archive.open(key, "w") as target:
        for chunk in verified(store.chunks(key), sha256):
            target.write(chunk)
