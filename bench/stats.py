"""Benchmark: the 统计分析 page and list exports with 1,000,000 delegations on PostgreSQL.

Bulk-loads (COPY) 1,000,000 submitted delegations between all courts of the five cities over the last 400
days (filed in id order), in ten matter types, with their statistics facts (answers, first answers,
completions with working days and time to result, by network for half of the 查控 types, breaches with
their days of delay, 督办, hand-backs of 查控 matters to the clerks by cause), then builds the sums with the same
SQL the nightly reconciliation uses (delegation.store.statistics.rebuild_daily). The facts are generated
here in the shape delegation.statistics.model.facts_of writes them: replaying a million matters'
transitions would take hours and measure the transitions, not the page.

Then, through the app (in-process ASGI: session cookie, page route, service layer, Jinja2):
- the statistics page of a year for the Yantai command center (its city) and for the regional coordinator
  (five cities): p50/p95 over --requests renders;
- exports of a work list of ~100,000 rows (one matter type, every court) as .xlsx and CSV, and of ~10,000
  rows: wall time and the peak resident memory above the process's level before the export (sampled every
  20 ms), to show the memory stays flat whatever the number of rows.

Not a test. Creates its own database on 127.0.0.1:5432 and drops it afterwards.
Usage: .venv/bin/python bench/stats.py [--rows 1000000] [--requests 100] [--keep | --reuse DATABASE]
Targets: the page for a city and a year in under 300 ms (p95); 100,000 rows exported in under 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import asyncpg
import httpx
import uvicorn
from tqdm import tqdm

from api.app import create_app
from courts.registry import CourtRegistry
from delegation.accounts.passwords import hash_password
from delegation.core.clocks import SHANGHAI
from delegation.network.model import MATTER_ROUTES
from delegation.statistics.model import FAILURE_CAUSES, MEASURES
from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.statistics import rebuild_daily
from jiaodong.cli.database import upgrade_database
from jiaodong.settings import Settings

ADMIN_DSN = os.environ.get("JIAODONG_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-123"  # a throwaway database
TYPES = [
    "vehicle_inquiry", "real_estate_inquiry", "real_estate_seal", "vehicle_seal", "equity_freeze",
    "deposit_freeze", "deposit_freeze_release", "property_investigation", "document_service", "vehicle_seizure",
]  # fmt: skip
PARTIES = json.dumps(
    [
        {"role": "applicant", "party_type": "legal_person", "name": "青岛海联贸易", "uscc": "91350100M000100Y43"},
        {"role": "debtor", "party_type": "natural_person", "name": "张三", "id_number": "11010519491231002X"},
    ],
    ensure_ascii=False,
)
NETWORK_TYPES = {t for t in TYPES if t in MATTER_ROUTES}
FAILURES = [f"fail_{cause}" for cause in FAILURE_CAUSES]
USERS = [("yantai-center", "鲁06", "command_center"), ("regional", "鲁02", "regional_coordinator")]
STATUSES = [("confirmed", 60), ("completed", 8), ("in_progress", 20), ("submitted", 8), ("returned", 4)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Facts:
    """Appends one matter's fact rows (as delegation.statistics.model.facts_of shapes them) for COPY."""

    def __init__(
        self, into: list[tuple[object, ...]], ident: int, requesting: str, assisting: str, matter: str,
        city: dict[str, str],
    ) -> None:  # fmt: skip
        self.into, self.ident, self.requesting, self.assisting, self.matter, self.city = (
            into, ident, requesting, assisting, matter, city,
        )  # fmt: skip

    def __call__(self, kind: str, on: date, court: str, **values: int) -> None:
        measures = dict.fromkeys(MEASURES, 0) | values
        self.into.append(
            (self.ident, kind, on, court, self.city[court], self.requesting, self.assisting, self.matter,
             *(measures[m] for m in MEASURES))
        )  # fmt: skip


async def bulk_load(dsn: str, rows: int, now: datetime) -> int:
    registry = CourtRegistry.shipped()
    courts = [c.code for c in registry.courts() if c.city in registry.cities()]
    city = {c: registry.get(c).city for c in courts}
    rng = random.Random(10)
    states, weights = [s for s, _ in STATUSES], [w for _, w in STATUSES]
    fields = json.dumps({"note": "查询车辆"}, ensure_ascii=False)
    today = now.astimezone(SHANGHAI).date()
    d_cols = [
        "id", "number", "case_number", "requesting_court", "assisting_court", "matter_type", "mechanism",
        "status", "policy_version", "summary", "fields", "parties", "search_text", "handler", "created_by",
        "created_at", "updated_at", "submitted_at", "version",
    ]  # fmt: skip
    f_cols = [
        "delegation_id",
        "kind",
        "day",
        "court",
        "city",
        "requesting_court",
        "assisting_court",
        "matter_type",
        *MEASURES,
    ]
    facts_total = 0
    connection = await asyncpg.connect(dsn)
    try:
        with tqdm(total=rows, desc="bulk load (COPY)", unit="delegation") as bar:
            for start in range(1, rows + 1, 10000):
                delegations: list[tuple[object, ...]] = []
                facts: list[tuple[object, ...]] = []
                for ident in range(start, min(start + 10000, rows + 1)):
                    requesting = rng.choice(courts)
                    assisting = rng.choice(courts)
                    while assisting == requesting:
                        assisting = rng.choice(courts)
                    matter = TYPES[ident % len(TYPES)]
                    status = rng.choices(states, weights)[0]
                    # filed in id order over the last 400 days (as the platform numbers them)
                    created = now - timedelta(minutes=60 + (rows - ident) * 400 * 24 * 60 // rows + rng.randrange(60))
                    day = created.astimezone(SHANGHAI).date()
                    number = f"（{created.year}）{requesting}执{ident}号"
                    delegations.append(
                        (
                            ident, f"JD{created.year}-{ident:07d}", number, requesting, assisting, matter,
                            "matter_delegation", status, "2025-01-01", "查询被执行人名下车辆", fields, PARTIES,
                            f"{number} 青岛海联贸易有限公司 张三", "王法官", "bulk", created,
                            created + timedelta(days=3), created, 5,
                        )
                    )  # fmt: skip

                    fact = Facts(facts, ident, requesting, assisting, matter, city)
                    if status == "submitted":
                        continue
                    answered = min(today, day + timedelta(days=rng.choice([0, 1, 1, 2, 3, 5])))
                    on_time = rng.random() < 0.9
                    returned = status == "returned" or rng.random() < 0.05
                    fact("answer", answered, assisting, answers=1, answers_on_time=int(on_time))
                    if matter in NETWORK_TYPES and rng.random() < 0.03:  # handed back to the clerks, by cause
                        fact("handback", answered, assisting, **{rng.choice(FAILURES): 1})
                    fact("answered", answered, assisting, answered=1, returned=int(returned))
                    if not on_time:
                        fact("overdue", answered, assisting, overdue=1)
                        fact("delay", answered, assisting, overdue_days=1)
                    if status in ("confirmed", "completed"):
                        done = min(today, answered + timedelta(days=rng.randrange(2, 20)))
                        late = rng.random() < 0.12
                        seconds = max(0, round((datetime.combine(done, datetime.min.time(), SHANGHAI) + timedelta(
                            hours=15) - created).total_seconds()))  # fmt: skip
                        # 网络查控: half of the types a registry can do go by network (completed in minutes)
                        by_network = matter in NETWORK_TYPES and rng.random() < 0.5
                        network = {"network_completions": 1, "network_seconds": 900} if by_network else {}
                        fact("completion", done, assisting, completions=1, completions_on_time=int(not late),
                             work_days=rng.randrange(1, 14), work_days_n=1,
                             result_seconds=900 if by_network else seconds, **network)  # fmt: skip
                        if late:
                            fact("overdue", done - timedelta(days=3), assisting, overdue=1)
                            for k in range(3):
                                fact("delay", done - timedelta(days=k), assisting, overdue_days=1)
                            if rng.random() < 0.3:
                                fact("supervision", done - timedelta(days=1), assisting, supervisions=1,
                                     acknowledged=1, ack_seconds=rng.randrange(600, 90000))  # fmt: skip
                await connection.copy_records_to_table("delegation", records=delegations, columns=d_cols)
                await connection.copy_records_to_table("stat_fact", records=facts, columns=f_cols)
                facts_total += len(facts)
                bar.update(len(delegations))
        for table in ("delegation", "stat_fact"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        digest = hash_password(PASSWORD)
        for username, court, role in USERS:
            await connection.execute(
                "INSERT INTO app_user (username, display_name, court_code, roles, password_hash, active, created_at)"
                " VALUES ($1, $1, $2, $3, $4, true, $5)",
                username,
                court,
                json.dumps([role]),
                digest,
                now,
            )
    finally:
        await connection.close()
    return facts_total


async def build_daily(url: str, dsn: str) -> int:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            count = await rebuild_daily(session)
            await session.commit()
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return count


def _rss_kb() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


class PeakMemory:
    """The highest resident set size while the block runs (sampled every 20 ms), above the level at entry."""

    def __enter__(self) -> PeakMemory:
        self.base = _rss_kb()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_kb())

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_kb())

    @property
    def above_mb(self) -> float:
        return (self.peak - self.base) / 1024


async def _login(client: httpx.AsyncClient, username: str) -> None:
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    done = await client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert done.status_code == 303, done.text[:300]


async def measure(url: str, data_dir: Path, requests: int, year: int) -> None:
    app = create_app(Settings(database_url=url, data_dir=data_dir, secret_key="bench"))
    await app.state.runtime.start()
    # A real HTTP server in this process (httpx's ASGITransport would buffer each whole response, which hides
    # streaming and counts the client's copy of an export in the memory figure).
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    try:
        print(f"the statistics page of {year}, {requests} renders each:")
        for username, paths in (
            ("yantai-center", [f"/stats?period={year}", f"/stats?period={year}-Q1"]),
            ("regional", [f"/stats?period={year}"]),
        ):
            async with httpx.AsyncClient(base_url=base, timeout=600) as client:
                await _login(client, username)
                for path in paths:
                    for _ in range(3):  # warm up (template compilation, connection pool)
                        assert (await client.get(path)).status_code == 200
                    times = []
                    for _ in range(requests):
                        started = time.perf_counter()
                        response = await client.get(path)
                        times.append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200
                    print(
                        f"  {username:14s} {path:28s} p50 {percentile(times, 50):6.1f} ms   "
                        f"p95 {percentile(times, 95):6.1f} ms   p99 {percentile(times, 99):6.1f} ms   "
                        f"({len(response.content) // 1024} KB)"
                    )
        print("exports of a work list (regional coordinator), streamed:")
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            await _login(client, "regional")
            for label, query in (
                ("one matter type, one court", "view=all&matter_type=vehicle_inquiry&city=烟台&counterpart=鲁0602"),
                ("one matter type", "view=all&matter_type=vehicle_inquiry"),
            ):
                for fmt in ("csv", "xlsx"):
                    with PeakMemory() as memory:
                        started = time.perf_counter()
                        size = 0
                        lines = 0
                        async with client.stream("GET", f"/work/export.{fmt}?{query}") as response:
                            assert response.status_code == 200, response.status_code
                            async for chunk in response.aiter_bytes():
                                size += len(chunk)
                                lines += chunk.count(b"\n") if fmt == "csv" else 0
                        elapsed = time.perf_counter() - started
                    rows = f"{lines - 1:,} rows" if fmt == "csv" else "same rows"
                    print(
                        f"  {label:28s} .{fmt:4s} {rows:14s} {elapsed:6.2f} s   {size / 1e6:6.1f} MB   "
                        f"peak RSS +{memory.above_mb:5.1f} MB"
                    )
    finally:
        server.should_exit = True
        await serving
        await app.state.runtime.stop()


async def main(rows: int, requests: int, keep: bool, reuse: str | None = None) -> None:
    if reuse:  # a database kept by an earlier run (--keep): migrate it and measure again, no loading
        dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{reuse}"
        url = "postgresql+asyncpg://" + dsn.split("://", 1)[1]
        await asyncio.to_thread(upgrade_database, url)
        with tempfile.TemporaryDirectory() as data_dir:
            await measure(url, Path(data_dir), requests, datetime.now(UTC).astimezone(SHANGHAI).year)
        return
    name = f"jd_bench_stats_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    url = "postgresql+asyncpg://" + dsn.split("://", 1)[1]
    now = datetime.now(UTC)
    try:
        await asyncio.to_thread(upgrade_database, url)  # alembic runs its own event loop
        started = time.perf_counter()
        facts = await bulk_load(dsn, rows, now)
        print(f"loaded {rows:,} delegations and {facts:,} facts in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        daily = await build_daily(url, dsn)
        print(f"daily sums rebuilt from the facts: {daily:,} rows in {time.perf_counter() - started:.1f} s")
        with tempfile.TemporaryDirectory() as data_dir:
            await measure(url, Path(data_dir), requests, now.astimezone(SHANGHAI).year)
    finally:
        if keep:
            print(f"kept the database: {dsn}")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the database (to look at plans); drop it by hand")
    parser.add_argument("--reuse", metavar="DATABASE", help="measure again on a database kept with --keep (no load)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.requests, arguments.keep, arguments.reuse))
