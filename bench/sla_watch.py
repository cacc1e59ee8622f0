"""Benchmark: the sla-watch sweep on PostgreSQL with 1,000,000 delegations, 100,000 of them with open clocks.

Not a test; prints numbers. Creates its own database on 127.0.0.1:5432 and drops it afterwards.
Bulk-loads with COPY (asyncpg) behind a progress bar, then measures:
  1. one sweep when nothing is due (and its query; EXPLAIN shows the index on next_rung_at),
  2. one sweep that fires 10,000 due rungs (notices, events, inbox rows, outbox rows, clock updates),
  3. peak Python memory of both (tracemalloc): batches keep it flat whatever the number of open clocks.
Usage: .venv/bin/python bench/sla_watch.py [--delegations 1000000] [--open 100000] [--due 10000] [--batch 500]
       [--lanes 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import asyncpg
from sqlalchemy.dialects import postgresql
from tqdm import tqdm

from delegation.core import clocks
from delegation.core.states import Stage
from delegation.outbox import service as outbox_service
from delegation.outbox.model import RetryPolicy
from delegation.refdata.service import load_reference
from delegation.sla import service as sla_service
from delegation.store.db import freeze_startup_objects, make_engine, make_sessionmaker
from jiaodong.cli.database import upgrade_database

ADMIN_DSN = os.environ.get("JIAODONG_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
SH = ZoneInfo("Asia/Shanghai")
QUIET = datetime(2026, 3, 9, 10, 0, tzinfo=SH)  # Monday: nothing is due yet
BUSY = datetime(2026, 3, 10, 10, 0, tzinfo=SH)  # Tuesday: the due cohort's "due soon" rung (08:30) has come
DUE_START = datetime(2026, 3, 2, 10, 0, tzinfo=SH)  # the due cohort's clocks: due soon on 03-10 08:30
ASSISTING = ["鲁0602", "鲁0705", "鲁1002", "鲁1102", "鲁0203"]
REQUESTING = ["鲁0202", "鲁0602", "鲁0705", "鲁1002", "鲁1102"]
CHUNK = 50_000


def postgres_cpu_seconds() -> float:
    """CPU time so far (user + system) of every process named postgres on this machine (Linux /proc, else 0),
    with that of the ones that ended (their parent's cutime and cstime): with the sweep's own CPU beside it, it
    says which side a sweep waits on."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if name.startswith("postgres"):
            fields = rest.split()
            total += sum(int(value) for value in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def _next_rung(start: datetime) -> tuple[datetime, str, datetime]:
    """due_at, next rung and its time for a fresh 7-working-day execution clock started at `start`."""
    from courts.calendar import WorkingCalendar

    calendar = WorkingCalendar.shipped()
    clock = clocks.start_clock(Stage.EXECUTION, "x", 7, clocks.Unit.WORKING, start, "2025-01-01")
    due = clocks.due(clock, calendar)
    upcoming = clocks.next_rung(clock, calendar, clocks.RungPolicy())
    assert due is not None and upcoming is not None
    return due.at, upcoming[0].value, upcoming[1]


async def load(dsn: str, delegations: int, open_clocks: int, due: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP INDEX IF EXISTS ix_delegation_search_trgm")  # irrelevant here, slow to fill
        now = datetime(2026, 3, 2, 10, 0, tzinfo=SH)
        users = []
        for court in ASSISTING:
            users += [(f"clerk-{court}-{i}", court, '["assisting_clerk"]') for i in range(2)]
        for court in REQUESTING:
            users.append((f"officer-{court}", court, '["requesting_officer"]'))
        users += [(f"center-{c}", c, '["command_center"]') for c in ("鲁02", "鲁06", "鲁07", "鲁10", "鲁11")]
        await conn.copy_records_to_table(
            "app_user",
            records=[(u, u, c, r, "-", True, now) for u, c, r in users],
            columns=["username", "display_name", "court_code", "roles", "password_hash", "active", "created_at"],
        )
        await conn.execute(
            "INSERT INTO notification_subscription (court_code, channel, target, secret, topics, active, created_at,"
            " created_by) SELECT code, 'email', code || '@example.invalid', NULL, '[\"notice\"]', true, $1, 'bench'"
            " FROM unnest($2::text[]) AS code",
            now,
            ASSISTING,
        )
        quiet_start = datetime(2026, 3, 9, 9, 0, tzinfo=SH)
        due_start = DUE_START
        quiet = _next_rung(quiet_start)
        busy = _next_rung(due_start)
        assert busy[2] <= BUSY and busy[2] > QUIET and quiet[2] > BUSY
        deleg_cols = [
            "id",
            "number",
            "case_number",
            "requesting_court",
            "assisting_court",
            "matter_type",
            "mechanism",
            "status",
            "policy_version",
            "summary",
            "fields",
            "parties",
            "search_text",
            "created_by",
            "created_at",
            "updated_at",
            "submitted_at",
            "version",
        ]
        clock_cols = [
            "delegation_id",
            "stage",
            "court_code",
            "budget_days",
            "unit",
            "policy_version",
            "started_at",
            "extra_days",
            "closed_at",
            "paused",
            "due_at",
            "due_provisional",
            "next_rung",
            "next_rung_at",
        ]
        bar = tqdm(total=delegations * 2, unit="row", desc="COPY delegations + clocks", mininterval=0.5)
        first_open = delegations - open_clocks
        for start in range(1, delegations + 1, CHUNK):
            ids = range(start, min(start + CHUNK, delegations + 1))
            rows, clock_rows = [], []
            for i in ids:
                assisting = ASSISTING[i % len(ASSISTING)]
                requesting = REQUESTING[(i + 1) % len(REQUESTING)]
                if requesting == assisting:
                    requesting = "鲁0202" if assisting != "鲁0202" else "鲁0602"
                is_open = i > first_open
                status = "in_progress" if is_open else "confirmed"
                rows.append(
                    (
                        i,
                        f"JD2026-{i:07d}",
                        f"（2026）{requesting}执{i}号",
                        requesting,
                        assisting,
                        "vehicle_inquiry",
                        "matter_delegation",
                        status,
                        "2025-01-01",
                        "",
                        "{}",
                        "[]",
                        f"（2026）{requesting}执{i}号",
                        "bench",
                        now,
                        now,
                        now,
                        3,
                    )
                )
                if is_open:
                    is_due = i > delegations - due
                    due_at, rung, rung_at = busy if is_due else quiet
                    started = due_start if is_due else quiet_start
                    clock_rows.append(
                        (
                            i,
                            "execution",
                            assisting,
                            7,
                            "working",
                            "2025-01-01",
                            started,
                            0,
                            None,
                            False,
                            due_at,
                            False,
                            rung,
                            rung_at,
                        )
                    )
                else:
                    clock_rows.append(
                        (
                            i,
                            "execution",
                            assisting,
                            7,
                            "working",
                            "2025-01-01",
                            now - timedelta(days=30),
                            0,
                            now - timedelta(days=25),
                            False,
                            now - timedelta(days=20),
                            False,
                            None,
                            None,
                        )
                    )
            await conn.copy_records_to_table("delegation", records=rows, columns=deleg_cols)
            bar.update(len(rows))
            await conn.copy_records_to_table("stage_clock", records=clock_rows, columns=clock_cols)
            bar.update(len(clock_rows))
        bar.close()
        await conn.execute("SELECT setval(pg_get_serial_sequence('delegation', 'id'), $1)", delegations)
        # As autovacuum leaves a database in service: visibility map and hint bits set, statistics current (a
        # table just filled by COPY makes the first sweep write every page it reads, setting hint bits).
        print("VACUUM ANALYZE ...", flush=True)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def explain(dsn: str) -> str:
    query = sla_service.due_clocks_query(QUIET, 500, postgres=True)
    compiled = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")
            timed = []
            for _ in range(50):
                started = time.perf_counter()
                await conn.fetch(str(compiled))
                timed.append((time.perf_counter() - started) * 1000)
    finally:
        await conn.close()
    plan = "\n".join(r[0] for r in rows)
    print(plan)
    print(
        f"raw due-clock query, nothing due: median {statistics.median(timed):.3f} ms, max {max(timed):.3f} ms (50 runs)"
    )
    return plan


async def reset(url: str) -> None:
    """Forget the fired rungs and what they wrote, so the same cohort can be swept again (memory run)."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        _, rung, rung_at = _next_rung(DUE_START)
        await conn.execute(
            "TRUNCATE outbox, inbox_item, delegation_event, notice, notice_counter, clock_rung, supervision_draft"
        )
        await conn.execute(
            "UPDATE stage_clock SET next_rung=$1, next_rung_at=$2 WHERE started_at=$3 AND closed_at IS NULL",
            rung,
            rung_at,
            DUE_START,
        )
        await conn.execute("VACUUM ANALYZE stage_clock")
    finally:
        await conn.close()


async def measure(url: str, batch: int, due: int, lanes: int, repeat: int) -> None:
    engine = make_engine(url, pool_size=2)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        started = time.perf_counter()
        ref = await load_reference(session)
        await session.rollback()
        print(f"reference data load: {(time.perf_counter() - started) * 1000:.1f} ms (once per flow run)")
        freeze_startup_objects()  # as the sla-watch flow's process does after its first session

        quiet_ms, query_ms = [], []
        for _ in range(50):
            started = time.perf_counter()
            result = await sla_service.sweep(session, ref, QUIET, batch)
            quiet_ms.append((time.perf_counter() - started) * 1000)
            query_ms += result.query_ms
            assert result.rungs_fired == 0
        print(
            f"sweep, nothing due: median {statistics.median(quiet_ms):.2f} ms per sweep (target < 1 ms; min "
            f"{min(quiet_ms):.2f}, max {max(quiet_ms):.2f}), its query median "
            f"{statistics.median(query_ms):.2f} ms, 50 sweeps, load average {os.getloadavg()[0]:.2f}"
        )
        tracemalloc.start()
        await sla_service.sweep(session, ref, QUIET, batch)
        _, quiet_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        # The same 10,000 rungs fired `repeat` times (forgotten in between): this machine's speed moves from one
        # run to the next, so the median says more than any one run.
        runs, own_cpu, database_cpu = [], [], []
        for run in range(repeat):
            if run:
                await reset(url)
            started, own, database = time.perf_counter(), time.process_time(), postgres_cpu_seconds()
            result = await sla_service.sweep(session, ref, BUSY, batch, lanes)
            runs.append(time.perf_counter() - started)
            own_cpu.append(time.process_time() - own)
            database_cpu.append(postgres_cpu_seconds() - database)
            assert result.rungs_fired == due, result
        elapsed = statistics.median(runs)
        print(
            f"sweep, {result.rungs_fired} due rungs: median {elapsed:.2f} s (target < 2 s; runs "
            f"{', '.join(f'{r:.2f}' for r in runs)} s) in {result.batches} batches of <= {batch}, {lanes} at once; "
            f"{result.notices} notices; {result.rungs_fired / elapsed:,.0f} rungs/s; load average "
            f"{os.getloadavg()[0]:.2f}"
        )
        print(
            f"  CPU of that sweep (median): this process {statistics.median(own_cpu):.2f} s, PostgreSQL "
            f"{statistics.median(database_cpu):.2f} s (all its processes; 2 cores in all)"
        )
        again = await sla_service.sweep(session, ref, BUSY, batch, lanes)
        print(f"rerun at the same moment fires {again.rungs_fired} (each rung once)")
        await reset(url)
        tracemalloc.start()
        result = await sla_service.sweep(session, ref, BUSY, batch, lanes)
        _, busy_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert result.rungs_fired == due, result
        print(
            f"peak Python memory (tracemalloc, separate run): {quiet_peak / 1e6:.2f} MB for a sweep with nothing due, "
            f"{busy_peak / 1e6:.1f} MB for the {due:,}-rung sweep (batches of {batch})"
        )
        print(f"process max RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        started = time.perf_counter()
        report = await outbox_service.expand_fanouts(session, ref, BUSY, RetryPolicy())
        print(
            f"deliver-notifications' expansion of those {report:,} notices into inbox rows and deliveries: "
            f"{time.perf_counter() - started:.2f} s (not part of the sweep)"
        )
    await engine.dispose()
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")
            for t in ("clock_rung", "notice", "delegation_event", "inbox_item", "outbox")
        }
    finally:
        await conn.close()
    print("rows written:", ", ".join(f"{k} {v:,}" for k, v in counts.items()))


async def main(delegations: int, open_clocks: int, due: int, batch: int, lanes: int, repeat: int, keep: bool) -> None:
    name = f"jd_bench_sla_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://")
    print(f"database {name}: {delegations:,} delegations, {open_clocks:,} open clocks, {due:,} due rungs")
    try:
        await asyncio.to_thread(upgrade_database, url)
        started = time.perf_counter()
        await load(dsn, delegations, open_clocks, due)
        print(f"loaded in {time.perf_counter() - started:.1f} s")
        plan = await explain(dsn)
        print("the due-clock query uses ix_clock_next_rung_at:", "ix_clock_next_rung_at" in plan)
        await measure(url, batch, due, lanes, repeat)
    finally:
        if not keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"dropped {name}")
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--delegations", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--lanes", type=int, default=2, help="batches worked at once (settings.sla_sweep_lanes)")
    parser.add_argument("--repeat", type=int, default=3, help="times the due rungs are fired (median printed)")
    parser.add_argument("--keep", action="store_true", help="keep the database (for EXPLAIN by hand)")
    args = parser.parse_args()
    asyncio.run(main(args.delegations, args.open, args.due, args.batch, args.lanes, args.repeat, args.keep))
