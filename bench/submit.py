"""Benchmark: submit transactions per second through the service layer on PostgreSQL, against raw asyncpg
writing the same rows (status + version update, one event row, one clock row, one outbox row) in one loop.

Not a test; prints numbers. Creates its own database on 127.0.0.1:5432 and drops it afterwards.
Usage: .venv/bin/python bench/submit.py [--count 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import asyncpg
from sqlalchemy import text

from delegation.core.access import Actor, UserRole
from delegation.core.states import Action
from delegation.refdata.service import load_reference
from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import DocumentRow
from jiaodong.cli.database import upgrade_database
from tests.support import ALL_DOCUMENTS, act, file_draft, vehicle_inquiry_draft

ADMIN_DSN = os.environ.get("JIAODONG_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
OFFICER = Actor("shinan-officer", "鲁0202", frozenset({UserRole.REQUESTING_OFFICER}))
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def make_drafts(url: str, count: int) -> list[tuple[int, int]]:
    """Drafts with their documents, written through the service (not timed)."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    ids: list[tuple[int, int]] = []
    async with sessions() as session:
        ref = await load_reference(session)
        for i in range(count):
            row = await file_draft(
                session, ref, OFFICER, NOW, vehicle_inquiry_draft(case_number=f"（2026）鲁0202执{i + 1}号")
            )
            for kind in ALL_DOCUMENTS:
                session.add(
                    DocumentRow(
                        delegation_id=row.id or 0,
                        kind=kind,
                        filename=f"{kind}.pdf",
                        content_type="application/pdf",
                        size=1,
                        sha256="0" * 64,
                        storage_key="x",
                        uploaded_by=OFFICER.username,
                        uploaded_court="鲁0202",
                        uploaded_at=NOW,
                    )
                )
            await session.commit()
            ids.append((row.id or 0, row.version))
    await engine.dispose()
    return ids


async def submit_through_service(url: str, ids: list[tuple[int, int]]) -> float:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        ref = await load_reference(session)
    started = time.perf_counter()
    for ident, version in ids:
        async with sessions() as session:
            await act(session, ref, OFFICER, NOW, ident, Action.SUBMIT, version)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return len(ids) / elapsed


async def submit_raw(dsn: str, ids: list[tuple[int, int]]) -> float:
    """The same writes with hand-written SQL: one transaction per submit."""
    connection = await asyncpg.connect(dsn)
    due = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    started = time.perf_counter()
    for ident, version in ids:
        async with connection.transaction():
            await connection.execute(
                "UPDATE delegation SET status='submitted', version=$3, updated_at=$4, submitted_at=$4 "
                "WHERE id=$1 AND version=$2",
                ident,
                version,
                version + 1,
                NOW,
            )
            await connection.execute(
                "INSERT INTO stage_clock (delegation_id, stage, court_code, budget_days, unit, policy_version, "
                "started_at, extra_days, paused, due_at, due_provisional, next_rung, next_rung_at) "
                "VALUES ($1,'sign_for','鲁0602',2,'working','2025-01-01',$2,0,false,$3,false,'due_soon',$2)",
                ident,
                NOW,
                due,
            )
            await connection.execute(
                "INSERT INTO delegation_event (delegation_id, kind, action, from_status, to_status, actor, "
                "actor_court, actor_role, at, comment, data) "
                "VALUES ($1,'transition','submit','draft','submitted','shinan-officer','鲁0202','requester',$2,'',$3)",
                ident,
                NOW,
                json.dumps({}),
            )
            await connection.execute(
                "INSERT INTO outbox (channel, topic, target, delegation_id, subject, payload, status, attempts, "
                "next_attempt_at, created_at) VALUES ('fanout','transition','',$1,'submit',$2,'pending',0,$3,$3)",
                ident,
                json.dumps({"action": "submit", "delegation_id": ident}),
                NOW,
            )
    elapsed = time.perf_counter() - started
    await connection.close()
    return len(ids) / elapsed


async def main(count: int) -> None:
    name = f"jd_bench_submit_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://")
    try:
        await asyncio.to_thread(upgrade_database, url)
        service_ids = await make_drafts(url, count)
        raw_ids = await make_drafts(url, count)
        service_rate = await submit_through_service(url, service_ids)
        raw_rate = await submit_raw(dsn, raw_ids)
        engine = make_engine(url)
        async with engine.connect() as connection:
            submitted = (
                await connection.execute(text("SELECT count(*) FROM delegation WHERE status='submitted'"))
            ).scalar_one()
        await engine.dispose()
        print(f"submits per side:           {count}")
        print(f"service layer:              {service_rate:8.1f} submit transactions/s")
        print(f"raw asyncpg, same rows:     {raw_rate:8.1f} submit transactions/s")
        print(f"ratio service / raw:        {service_rate / raw_rate:8.3f}  (target >= 0.33)")
        print(f"rows submitted (check):     {submitted} of {2 * count}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    asyncio.run(main(parser.parse_args().count))
