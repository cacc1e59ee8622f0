"""Benchmark: submit transactions per second through the service layer on PostgreSQL, against raw asyncpg
writing the same rows in one loop: the status + version update, one event row, one clock row, one outbox row,
the two statutory clocks and the matter's statistics (its facts and their three sums, bench/raw_rows.py),
copied from a matter the service submitted. A third line gives raw asyncpg writing only the first four rows
(what this bench compared before statutory clocks and statistics joined the submit).

Not a test; prints numbers. Creates its own database on 127.0.0.1:5432 and drops it afterwards.
Usage: .venv/bin/python bench/submit.py [--count 1000]
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

from bench.raw_rows import SubmitExtras, extras_of, write_extras
from delegation.core.access import Actor, UserRole
from delegation.core.states import Action
from delegation.refdata.service import load_reference
from delegation.store.db import freeze_startup_objects, make_engine, make_sessionmaker
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


class ServiceSide:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)

    async def submit(self, ids: list[tuple[int, int]]) -> float:
        """Seconds to submit these drafts through the service layer, one transaction each."""
        async with self.sessions() as session:
            ref = await load_reference(session)
        freeze_startup_objects()  # as the web app's process does once started (api.state.Runtime.start)
        started = time.perf_counter()
        for ident, version in ids:
            async with self.sessions() as session:
                await act(session, ref, OFFICER, NOW, ident, Action.SUBMIT, version)
        return time.perf_counter() - started


async def submit_raw(connection: asyncpg.Connection, ids: list[tuple[int, int]], extras: SubmitExtras | None) -> float:
    """Seconds for the same writes with hand-written SQL, one transaction per submit (`extras` None: the four
    rows only)."""
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
            if extras is not None:
                await write_extras(connection, extras, ident)
    return time.perf_counter() - started


ROUNDS = 5  # the sides take turns in rounds, so a change in the machine's load falls on all of them


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
        four_ids = await make_drafts(url, count)
        load_before = os.getloadavg()
        service, connection = ServiceSide(url), await asyncpg.connect(dsn)
        extras: SubmitExtras | None = None
        seconds = [0.0, 0.0, 0.0]
        for r in range(ROUNDS):
            part = slice(r * count // ROUNDS, (r + 1) * count // ROUNDS)
            seconds[0] += await service.submit(service_ids[part])
            if extras is None:
                extras = await extras_of(connection, service_ids[0][0])
            seconds[1] += await submit_raw(connection, raw_ids[part], extras)
            seconds[2] += await submit_raw(connection, four_ids[part], None)
        service_rate, raw_rate, four_rate = (count / s for s in seconds)
        await connection.close()
        await service.engine.dispose()
        load_after = os.getloadavg()
        assert extras is not None
        engine = make_engine(url)
        async with engine.connect() as connection:
            submitted = (
                await connection.execute(text("SELECT count(*) FROM delegation WHERE status='submitted'"))
            ).scalar_one()
        await engine.dispose()
        rows = 4 + len(extras.statutory) + len(extras.facts) + sum(len(r) for r in extras.sums.values())
        print(f"submits per side:           {count}")
        print(f"rows written per submit:    {rows} (4 + {len(extras.statutory)} statutory clocks + "
              f"{len(extras.facts)} facts + {sum(len(r) for r in extras.sums.values())} sums)")  # fmt: skip
        print(f"service layer:              {service_rate:8.1f} submit transactions/s")
        print(f"raw asyncpg, same rows:     {raw_rate:8.1f} submit transactions/s")
        print(f"ratio service / raw:        {service_rate / raw_rate:8.3f}  (target >= 0.5)")
        print(f"raw asyncpg, 4 rows only:   {four_rate:8.1f} submit transactions/s "
              f"(ratio service / that: {service_rate / four_rate:.3f})")  # fmt: skip
        print(f"rows submitted (check):     {submitted} of {3 * count}")
        print(f"load average:               {load_before[0]:.2f} before, {load_after[0]:.2f} after (2 cores)")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    asyncio.run(main(parser.parse_args().count))
