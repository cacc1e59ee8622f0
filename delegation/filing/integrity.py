"""The document store checked against the database: every recorded document has its file with the recorded
SHA-256, and every file belongs to a recorded document. `jiaodong documents verify` prints the result."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.blobs import BlobMissing, BlobStore, digest_of
from delegation.store.sql import run, table
from delegation.store.tables import DocumentRow


@dataclass
class StoreReport:
    checked: int = 0
    missing: list[tuple[int, str]] = field(default_factory=list)  # (document id, key): row without its file
    altered: list[tuple[int, str]] = field(default_factory=list)  # the file's digest is not the recorded one
    unreferenced: list[str] = field(default_factory=list)  # files no document row names

    @property
    def ok(self) -> bool:
        return not (self.missing or self.altered)


async def verify_store(session: AsyncSession, store: BlobStore) -> StoreReport:
    document = table(DocumentRow)
    rows = (await run(session, select(document.c.id, document.c.storage_key, document.c.sha256))).all()
    report = StoreReport()
    known: set[str] = set()
    for document_id, key, sha256 in rows:
        known.add(key)
        report.checked += 1
        try:
            digest = await asyncio.to_thread(digest_of, store, key)
        except BlobMissing:
            report.missing.append((document_id, key))
            continue
        if digest != sha256:
            report.altered.append((document_id, key))
    stored = await asyncio.to_thread(lambda: list(store.keys("documents/")))
    report.unreferenced = sorted(set(stored) - known)
    return report
