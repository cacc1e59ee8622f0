"""Benchmark: work lists, drill-downs and dashboards at 100,000 and at 1,000,000 delegations, in one run.

Bulk-loads delegations between all courts of the five cities (COPY, with the counting triggers of migration
0014 firing as they do for every transition), in every open and closed state, with their running clocks
(due at 24:00 of a day around today: overdue, due soon, later, some paused), handlers, pending extension
requests and 催办/督办 notices; folds the counter deltas as the sweep does; then renders pages through the
app (in-process ASGI, the same app uvicorn serves: session cookie, page route, service layer, Jinja2) and
prints p50/p95 of every work list, drill-down and dashboard with the target beside it, the load average,
and EXPLAIN (ANALYZE, BUFFERS) of each list's queries and of each dashboard's. Then it loads 900,000 more
and measures again.

Not a test. Creates its own database on 127.0.0.1:5432 and drops it afterwards.
Usage: .venv/bin/python bench/dashboard.py [--sizes 100000,1000000] [--requests 100] [--keep | --reuse DATABASE]
       [--pages REGEX] [--no-plans]
Beside each page's p50/p95 it prints the load-independent part: the Python process's CPU time per request
(p50; the in-process client's share included) and the statements the app sent for one request.
Target (issue 14): p95 under 100 ms at 1,000,000 delegations for every list, drill-down and dashboard.
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
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine
from tqdm import tqdm

from api.app import create_app
from courts.registry import CourtRegistry
from delegation.accounts import auth as auth_service
from delegation.accounts.passwords import hash_password
from delegation.core.clocks import end_of_day, local_day
from delegation.reading import dashboard as dashboard_service
from delegation.refdata.service import load_reference
from delegation.store.counts import _FOLD_PG
from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import UserRow
from jiaodong.cli.database import upgrade_database
from jiaodong.settings import Settings

ADMIN_DSN = os.environ.get("JIAODONG_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-123"  # a throwaway database
TARGET_MS = 100.0  # p95, issue 14
STATUSES = [
    ("draft", 2),
    ("submitted", 12),
    ("returned", 4),
    ("declined", 1),
    ("accepted", 6),
    ("in_progress", 18),
    ("scheduled", 4),
    ("completed", 8),
    ("confirmed", 40),
    ("withdrawn", 5),
]
STAGE = {
    "submitted": "sign_for",
    "returned": "correction",
    "accepted": "execution",
    "in_progress": "execution",
    "scheduled": "execution",
    "completed": "confirmation",
}
REQUESTER_HOLDS = {"returned", "completed"}
HANDLED = {"in_progress", "scheduled", "completed", "confirmed"}
PARTIES = json.dumps(
    [
        {"role": "applicant", "party_type": "legal_person", "name": "青岛海联贸易", "uscc": "91350100M000100Y43"},
        {"role": "debtor", "party_type": "natural_person", "name": "张三", "id_number": "11010519491231002X"},
    ],
    ensure_ascii=False,
)
HANDLER = "h0602"  # 芝罘区's handler: every matter 芝罘区 handles is theirs
USERS = [
    ("yantai-center", "鲁06", ["command_center"]),
    ("regional", "鲁02", ["regional_coordinator"]),
    ("zhifu-clerk", "鲁0602", ["assisting_clerk"]),
    ("shinan-officer", "鲁0202", ["requesting_officer"]),
    (HANDLER, "鲁0602", ["assisting_clerk", "handler"]),
]
# What each user opens: the pages people wait on. "next" follows the page's own 下一页 link.
PAGES: list[tuple[str, str, str]] = [
    ("zhifu-clerk", "waiting (due first)", "/work"),
    ("zhifu-clerk", "waiting: to sign for", "/work?view=waiting&stage=sign_for"),
    ("zhifu-clerk", "waiting, next page", "next:/work"),
    ("zhifu-clerk", "inbox (newest)", "/work?view=inbox"),
    ("zhifu-clerk", "search 案号 part", "/work?view=all&q=%E6%89%A7123"),
    ("zhifu-clerk", "API list: inbox", "api:/api/v1/delegations?box=inbox&limit=50"),
    ("zhifu-clerk", "API list: overdue", "api:/api/v1/delegations?box=all&overdue=true&limit=50"),
    (HANDLER, "mine (due first)", "/work?view=mine"),
    ("shinan-officer", "outbox (newest)", "/work?view=outbox"),
    ("shinan-officer", "waiting (due first)", "/work"),
    ("yantai-center", "dashboard (city)", "/dashboard"),
    ("yantai-center", "all (newest)", "/work?view=all"),
    ("yantai-center", "drill: city overdue", "/work?view=all&holder_city=%E7%83%9F%E5%8F%B0&lateness=overdue&sort=due"),
    (
        "yantai-center",
        "drill: overdue, next page",
        "next:/work?view=all&holder_city=%E7%83%9F%E5%8F%B0&lateness=overdue&sort=due",
    ),
    ("yantai-center", "drill: city open (due)", "/work?view=all&sort=due&holder_city=%E7%83%9F%E5%8F%B0"),
    ("yantai-center", "drill: court x status", "/work?view=all&holder=%E9%B2%810602&status=in_progress"),
    ("yantai-center", "drill: court due soon", "/work?view=all&sort=due&holder=%E9%B2%810602&lateness=due_soon"),
    ("regional", "dashboard (regional)", "/dashboard"),
    ("regional", "dashboard (one city)", "/dashboard?city=%E7%83%9F%E5%8F%B0"),
    ("regional", "all (newest)", "/work?view=all"),
    ("regional", "drill: all overdue", "/work?view=all&sort=due&lateness=overdue"),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f}"


async def bulk_load(dsn: str, first: int, last: int, now: datetime, rng: random.Random, seq: dict[Any, int]) -> None:
    """Delegations first..last (ids), with their clocks, extensions and notices."""
    registry = CourtRegistry.shipped()
    courts = [c.code for c in registry.courts() if c.city in registry.cities()]
    states, weights = [s for s, _ in STATUSES], [w for _, w in STATUSES]
    fields = json.dumps({"note": "查询车辆"}, ensure_ascii=False)
    today = local_day(now)
    connection = await asyncpg.connect(dsn)
    d_cols = [
        "id", "number", "case_number", "requesting_court", "assisting_court", "matter_type", "mechanism",
        "status", "policy_version", "summary", "fields", "parties", "search_text", "handler", "handler_username",
        "created_by", "created_at", "updated_at", "submitted_at", "version",
    ]  # fmt: skip
    c_cols = [
        "id", "delegation_id", "stage", "court_code", "budget_days", "unit", "policy_version", "started_at",
        "extra_days", "paused", "due_at", "due_provisional", "closed_at",
    ]  # fmt: skip
    e_cols = [
        "delegation_id", "clock_id", "requested_by", "requested_court", "days", "reason", "status", "created_at",
    ]  # fmt: skip
    n_cols = [
        "delegation_id", "clock_id", "kind", "number", "city", "year", "seq", "to_court", "cc_court", "stage",
        "due_at", "working_days_overdue", "issued_by", "issued_at", "title", "body", "requires_ack",
        "acknowledged_at", "acknowledged_by", "ack_reply", "ack_seconds",
    ]  # fmt: skip
    try:
        with tqdm(total=last - first + 1, desc="bulk load (COPY)", unit="delegation", mininterval=5) as bar:
            for start in range(first, last + 1, 5000):
                delegations: list[tuple[Any, ...]] = []
                clocks: list[tuple[Any, ...]] = []
                extensions: list[tuple[Any, ...]] = []
                notices: list[tuple[Any, ...]] = []
                for ident in range(start, min(start + 5000, last + 1)):
                    requesting = rng.choice(courts)
                    assisting = rng.choice([c for c in courts if c != requesting])
                    status = rng.choices(states, weights)[0]
                    created = now - timedelta(minutes=rng.randrange(60, 400 * 24 * 60))
                    number = f"（{created.year}）{requesting}执{ident}号"
                    handled = status in HANDLED
                    delegations.append(
                        (
                            ident, f"JD{created.year}-{ident:07d}", number, requesting, assisting,
                            "vehicle_inquiry", "matter_delegation", status, "2025-01-01", "查询被执行人名下车辆",
                            fields, PARTIES, f"{number} 青岛海联贸易有限公司 张三", "王法官" if handled else None,
                            HANDLER if handled and assisting == "鲁0602" else None,
                            "bulk", created, created + timedelta(hours=1), None if status == "draft" else created, 3,
                        )
                    )  # fmt: skip
                    if status == "returned":  # the sign-for clock waits, paused, while the requester corrects
                        seq["clock"] = seq.get("clock", 0) + 1
                        clocks.append(
                            (seq["clock"], ident, "sign_for", assisting, 2, "working", "2025-01-01", created, 0, True,
                             None, False, None)
                        )  # fmt: skip
                    if status in STAGE:
                        holder = requesting if status in REQUESTER_HOLDS else assisting
                        due = end_of_day(today + timedelta(days=rng.randrange(-30, 20)))  # clocks end at 24:00
                        paused = status == "in_progress" and rng.random() < 0.02  # 中止: no due time meanwhile
                        seq["clock"] = seq.get("clock", 0) + 1
                        clock_id = seq["clock"]
                        clocks.append(
                            (clock_id, ident, STAGE[status], holder, 7, "working", "2025-01-01", created, 0, paused,
                             None if paused else due, False, None)
                        )  # fmt: skip
                        if status == "in_progress" and rng.random() < 0.03:
                            extensions.append(
                                (ident, clock_id, "bulk", holder, 5, "需要更多时间", "pending", now - timedelta(days=1))
                            )
                        if due < now and rng.random() < 0.15:
                            city = registry.get(holder).city
                            center = registry.intermediate_of_city(city)
                            kind = rng.choice(["urge", "supervise"])
                            seq[(city, kind)] = seq.get((city, kind), 0) + 1
                            issued = due + timedelta(days=2)
                            acked = kind == "supervise" and rng.random() < 0.6
                            notices.append(
                                (
                                    ident, clock_id, kind, f"{city}{'督' if kind == 'supervise' else '催'}〔2026〕"
                                    f"{seq[(city, kind)]}号", city, 2026, seq[(city, kind)], holder,
                                    center.code if center else None, STAGE[status], due, 2, "system", issued,
                                    f"{kind} JD{ident}", "……", kind == "supervise",
                                    issued + timedelta(hours=5) if acked else None, "bulk" if acked else None,
                                    "已安排" if acked else None, 18000 if acked else None,
                                )
                            )  # fmt: skip
                    elif status in ("confirmed", "withdrawn"):
                        seq["clock"] = seq.get("clock", 0) + 1
                        clocks.append(
                            (seq["clock"], ident, "confirmation", requesting, 5, "working", "2025-01-01", created, 0,
                             False, created + timedelta(days=7), False, created + timedelta(days=5))
                        )  # fmt: skip
                await connection.copy_records_to_table("delegation", records=delegations, columns=d_cols)
                await connection.copy_records_to_table("stage_clock", records=clocks, columns=c_cols)
                await connection.copy_records_to_table("extension_request", records=extensions, columns=e_cols)
                await connection.copy_records_to_table("notice", records=notices, columns=n_cols)
                bar.update(len(delegations))
        for table in ("delegation", "stage_clock", "extension_request", "notice"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        started = time.perf_counter()
        for statement in _FOLD_PG:  # what every sla-watch run does (dashboard_service.compact_counters)
            await connection.execute(statement)
        print(f"  counter deltas folded in {time.perf_counter() - started:.1f} s")
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def make_users(url: str, now: datetime) -> dict[str, str]:
    """The users of PAGES, and an API token for the clerk."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            digest = hash_password(PASSWORD)

            for username, court, roles in USERS:
                session.add(
                    UserRow(
                        username=username,
                        display_name=username,
                        court_code=court,
                        roles=roles,
                        password_hash=digest,
                        created_at=now,
                    )
                )
            await session.commit()
            ref = await load_reference(session)
            token, _row = await auth_service.create_token(
                session, ref, now, username="zhifu-clerk", name="bench", created_by="bench"
            )
            return {"zhifu-clerk": token}
    finally:
        await engine.dispose()


async def api_tokens(url: str, now: datetime) -> dict[str, str]:
    """A new API token for the clerk (a kept database has the users already)."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            ref = await load_reference(session)
            token, _row = await auth_service.create_token(
                session, ref, now, username="zhifu-clerk", name=f"bench {uuid.uuid4().hex[:6]}", created_by="bench"
            )
            return {"zhifu-clerk": token}
    finally:
        await engine.dispose()


class Statements:
    """The SQL the app sends while one request is served (for EXPLAIN)."""

    def __init__(self) -> None:
        self.on = False
        self.seen: list[tuple[str, Any]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if self.on:
            self.seen.append((statement, parameters))

    def sent(self) -> int:
        """Statements sent while on (the session's BEGIN is implicit in asyncpg's and not among them)."""
        return len(self.seen)


def is_list_query(sql: str) -> bool:
    """A page of a list or its capped count: reads delegation or stage_clock with a LIMIT."""
    flat = " ".join(sql.split())
    return "LIMIT" in flat and ("FROM delegation" in flat or "FROM stage_clock" in flat) and "app_user" not in flat


def is_dashboard_query(sql: str) -> bool:
    """What a dashboard reads: everything but the session, the user and the menu's badges."""
    flat = " ".join(sql.split())
    return flat.startswith("SELECT") and not any(t in flat for t in ("user_session", "app_user", "inbox_item"))


async def explain(dsn: str, statements: list[tuple[str, Any]], indent: str = "      ") -> None:
    connection = await asyncpg.connect(dsn)
    try:
        for sql, params in statements:
            args = list(params) if isinstance(params, (tuple, list)) else []
            plan = await connection.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args)
            flat = " ".join(sql.split())
            print(f"{indent}SQL: {flat[:220]}{' …' if len(flat) > 220 else ''}")
            for record in plan:
                print(f"{indent}  {record[0]}")
    finally:
        await connection.close()


async def measure(
    url: str,
    dsn: str,
    data_dir: Path,
    requests: int,
    tokens: dict[str, str],
    rows: int,
    pages: str | None = None,
    plans: bool = True,
) -> None:
    app = create_app(Settings(database_url=url, data_dir=data_dir, secret_key="bench"))
    await app.state.runtime.start()
    transport = httpx.ASGITransport(app=app)
    recorder = Statements()
    event.listen(Engine, "before_cursor_execute", recorder)
    clients: dict[str, httpx.AsyncClient] = {}
    results: list[str] = []
    try:
        for username in dict.fromkeys(u for u, _, _ in PAGES):
            client = httpx.AsyncClient(transport=transport, base_url="http://bench")
            form = await client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token
            done = await client.post(
                "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
            )
            assert done.status_code == 303, done.text[:300]
            clients[username] = client
        for username, label, spec in PAGES:
            if pages and not re.search(pages, label):
                continue
            client = clients[username]
            headers = {}
            path = spec
            if spec.startswith("api:"):
                path = spec[4:]
                headers = {"Authorization": f"Bearer {tokens[username]}"}
            elif spec.startswith("next:"):  # the page's own 下一页 link
                first = await client.get(spec[5:])
                link = re.search(r'href="([^"]+)" rel="next"', first.text)
                if link is None:
                    print(f"  {rows:>9,} {username:14s} {label:28s} (one page only: nothing to measure)")
                    continue
                path = link.group(1).replace("&amp;", "&")
            for _ in range(3):  # warm up (template compilation, connection pool)
                response = await client.get(path, headers=headers)
                assert response.status_code == 200, (path, response.status_code, response.text[:300])
            times, cpu = [], []
            for _ in range(requests):
                started, used = time.perf_counter(), time.process_time()
                response = await client.get(path, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - used) * 1000)
                assert response.status_code == 200
            p50, p95 = percentile(times, 50), percentile(times, 95)
            verdict = "ok" if p95 < TARGET_MS else "OVER"
            recorder.seen.clear()
            recorder.on = True
            await client.get(path, headers=headers)
            recorder.on = False
            line = (
                f"  {rows:>9,} {username:14s} {label:28s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
                f"target p95 < {TARGET_MS:.0f} ms {verdict:4s}  (CPU {percentile(cpu, 50):5.1f} ms, "
                f"{recorder.sent():2d} statements, {len(response.content) // 1024} KB, {load()})"
            )
            print(line, flush=True)
            results.append(line)
            wanted = is_dashboard_query if "dashboard" in label else is_list_query
            if plans:
                await explain(dsn, [(sql, params) for sql, params in recorder.seen if wanted(sql)])
    finally:
        event.remove(Engine, "before_cursor_execute", recorder)
        for client in clients.values():
            await client.aclose()
        await app.state.runtime.stop()
    print(f"summary at {rows:,} delegations:")
    for line in results:
        print(line)


async def reconcile(url: str) -> None:
    """The nightly check of the counters against the rows, timed (nothing should differ)."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            started = time.perf_counter()
            found = await dashboard_service.reconcile_counters(session, repair=False)
            await session.rollback()
        print(
            f"  reconciliation: {found.status_differences} status and {found.due_differences} due-day differences "
            f"over {found.status_keys} + {found.due_keys} counters, {time.perf_counter() - started:.1f} s ({load()})"
        )
    finally:
        await engine.dispose()


async def count_delegations(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM delegation"))
    finally:
        await connection.close()


async def main(
    sizes: list[int],
    requests: int,
    keep: bool,
    reuse: str | None = None,
    pages: str | None = None,
    plans: bool = True,
) -> None:
    if reuse:  # a database kept by an earlier run (--keep): migrate it and measure again, no loading
        dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{reuse}"
        url = "postgresql+asyncpg://" + dsn.split("://", 1)[1]
        now = datetime.now(UTC)
        print(f"bench/dashboard.py --reuse {reuse} at {now:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, {load()}")
        await asyncio.to_thread(upgrade_database, url)
        tokens = await api_tokens(url, now)
        rows = await count_delegations(dsn)
        print(f"rendering pages through the app, {requests} requests each:")
        with tempfile.TemporaryDirectory() as data_dir:
            await measure(url, dsn, Path(data_dir), requests, tokens, rows, pages, plans)
        return
    name = f"jd_bench_dashboard_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    url = "postgresql+asyncpg://" + dsn.split("://", 1)[1]
    now = datetime.now(UTC)
    rng = random.Random(11)
    seq: dict[Any, int] = {}
    print(f"bench/dashboard.py at {now:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, {load()}")
    try:
        await asyncio.to_thread(upgrade_database, url)  # alembic runs its own event loop
        tokens = await make_users(url, now)
        loaded = 0
        for size in sizes:
            started = time.perf_counter()
            await bulk_load(dsn, loaded + 1, size, now, rng, seq)
            print(
                f"loaded {size - loaded:,} delegations (now {size:,}) "
                f"in {time.perf_counter() - started:.1f} s ({load()})"
            )
            loaded = size
            await reconcile(url)
            print(f"rendering pages through the app, {requests} requests each:")
            with tempfile.TemporaryDirectory() as data_dir:
                await measure(url, dsn, Path(data_dir), requests, tokens, size, pages, plans)
    finally:
        if keep:
            print(f"kept the database: {dsn}")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="delegation counts to measure at, ascending")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the database (to look at plans); drop it by hand")
    parser.add_argument("--reuse", metavar="DATABASE", help="measure again on a database kept with --keep (no load)")
    parser.add_argument("--pages", metavar="REGEX", help="only the pages whose label matches (e.g. dashboard)")
    parser.add_argument("--no-plans", action="store_true", help="leave out the EXPLAIN (ANALYZE) of each page")
    arguments = parser.parse_args()
    asyncio.run(
        main(
            [int(x) for x in arguments.sizes.split(",")],
            arguments.requests,
            arguments.keep,
            arguments.reuse,
            arguments.pages,
            not arguments.no_plans,
        )
    )
