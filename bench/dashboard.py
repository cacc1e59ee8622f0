"""Benchmark: the command center dashboard page with 100,000 delegations on PostgreSQL.

Bulk-loads delegations between all courts of the five cities (COPY), in every open and closed state, with
their running clocks (due dates spread around now: overdue, due soon, later, some paused), pending
extension requests and 催办/督办 notices (some acknowledged); then renders pages through the app
(in-process ASGI, the same app uvicorn serves: session cookie, page route, service layer, Jinja2) and prints
p50/p99 for the Yantai command center's dashboard, the regional coordinator's five-city dashboard and a
drill-down list, and the query plans of the aggregation (index-only scans on the dashboard indexes).

Not a test. Creates its own database on 127.0.0.1:5432 and drops it afterwards.
Usage: .venv/bin/python bench/dashboard.py [--rows 100000] [--requests 200]
Target: the dashboard renders in under 300 ms (p99) with 100,000 delegations.
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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import asyncpg
import httpx
from tqdm import tqdm

from api.app import create_app
from courts.registry import CourtRegistry
from delegation.accounts.passwords import hash_password
from jiaodong.cli.database import upgrade_database
from jiaodong.settings import Settings

ADMIN_DSN = os.environ.get("JIAODONG_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-123"  # a throwaway database
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
PARTIES = json.dumps(
    [
        {"role": "applicant", "party_type": "legal_person", "name": "青岛海联贸易", "uscc": "91350100M000100Y43"},
        {"role": "debtor", "party_type": "natural_person", "name": "张三", "id_number": "11010519491231002X"},
    ],
    ensure_ascii=False,
)
USERS = [("yantai-center", "鲁06", "command_center"), ("regional", "鲁02", "regional_coordinator")]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bulk_load(dsn: str, rows: int, now: datetime) -> None:
    registry = CourtRegistry.shipped()
    courts = [c.code for c in registry.courts() if c.city in registry.cities()]
    rng = random.Random(11)
    states, weights = [s for s, _ in STATUSES], [w for _, w in STATUSES]
    fields = json.dumps({"note": "查询车辆"}, ensure_ascii=False)
    connection = await asyncpg.connect(dsn)
    d_cols = [
        "id", "number", "case_number", "requesting_court", "assisting_court", "matter_type", "mechanism",
        "status", "policy_version", "summary", "fields", "parties", "search_text", "handler", "created_by",
        "created_at", "updated_at", "submitted_at", "version",
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
    clock_id = 0
    seq: dict[tuple[str, str], int] = {}
    try:
        with tqdm(total=rows, desc="bulk load (COPY)", unit="delegation") as bar:
            for start in range(1, rows + 1, 5000):
                delegations, clocks, extensions, notices = [], [], [], []
                for ident in range(start, min(start + 5000, rows + 1)):
                    requesting = rng.choice(courts)
                    assisting = rng.choice([c for c in courts if c != requesting])
                    status = rng.choices(states, weights)[0]
                    created = now - timedelta(minutes=rng.randrange(60, 400 * 24 * 60))
                    number = f"（{created.year}）{requesting}执{ident}号"
                    delegations.append(
                        (
                            ident, f"JD{created.year}-{ident:07d}", number, requesting, assisting,
                            "vehicle_inquiry", "matter_delegation", status, "2025-01-01", "查询被执行人名下车辆",
                            fields, PARTIES, f"{number} 青岛海联贸易有限公司 张三",
                            "王法官" if status in ("in_progress", "scheduled", "completed", "confirmed") else None,
                            "bulk", created, created + timedelta(hours=1), None if status == "draft" else created, 3,
                        )
                    )  # fmt: skip
                    if status == "returned":  # the sign-for clock waits, paused, while the requester corrects
                        clock_id += 1
                        clocks.append(
                            (clock_id, ident, "sign_for", assisting, 2, "working", "2025-01-01", created, 0, True,
                             None, False, None)
                        )  # fmt: skip
                    if status in STAGE:
                        clock_id += 1
                        holder = requesting if status in REQUESTER_HOLDS else assisting
                        due = now + timedelta(hours=rng.randrange(-30 * 24, 20 * 24))
                        clocks.append(
                            (clock_id, ident, STAGE[status], holder, 7, "working", "2025-01-01", created, 0, False,
                             due, False, None)
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
                        clock_id += 1
                        clocks.append(
                            (clock_id, ident, "confirmation", requesting, 5, "working", "2025-01-01", created, 0,
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
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def explain(dsn: str, now: datetime) -> None:
    """The plans of the dashboard's counting queries for the Yantai courts (EXPLAIN ANALYZE)."""
    registry = CourtRegistry.shipped()
    codes = [c.code for c in registry.by_city("烟台")]
    connection = await asyncpg.connect(dsn)
    try:
        queries = {
            "open matters by status (assisting court holds)": (
                "SELECT assisting_court, status, count(*) FROM delegation WHERE assisting_court = ANY($1) "
                "AND status = ANY($2) GROUP BY 1, 2",
                [codes, ["submitted", "declined", "accepted", "in_progress", "scheduled"]],
            ),
            "overdue and due soon (running clocks)": (
                "SELECT court_code, sum(CASE WHEN due_at <= $2 THEN 1 ELSE 0 END), count(*) FROM stage_clock "
                "WHERE court_code = ANY($1) AND closed_at IS NULL AND paused IS false AND due_at <= $3 GROUP BY 1",
                [codes, now, now + timedelta(days=2)],
            ),
            "the overdue list": (
                "SELECT c.id, d.id FROM stage_clock c JOIN delegation d ON d.id = c.delegation_id "
                "WHERE c.court_code = ANY($1) AND c.closed_at IS NULL AND c.paused IS false AND c.due_at <= $2 "
                "ORDER BY c.due_at, c.id LIMIT 20",
                [codes, now],
            ),
        }
        for label, (sql, args) in queries.items():
            plan = await connection.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + sql, *args)
            lines = [r[0] for r in plan]
            scans = [line.strip() for line in lines if "Scan" in line]
            total = next((line for line in lines if line.startswith("Execution Time")), "")
            print(f"  {label}: {total}")
            for scan in scans:
                print(f"      {scan}")
    finally:
        await connection.close()


async def measure(url: str, data_dir: Path, requests: int) -> None:
    app = create_app(Settings(database_url=url, data_dir=data_dir, secret_key="bench"))
    await app.state.runtime.start()
    transport = httpx.ASGITransport(app=app)
    try:
        for username, paths in (
            ("yantai-center", ["/dashboard", "/work?view=all&holder_city=烟台&lateness=overdue&sort=due"]),
            ("regional", ["/dashboard", "/dashboard?city=烟台"]),
        ):
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                form = await client.get("/login")
                token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                assert token
                done = await client.post(
                    "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
                )
                assert done.status_code == 303, done.text[:300]
                for path in paths:
                    for _ in range(5):  # warm up (template compilation, connection pool)
                        assert (await client.get(path)).status_code == 200
                    times = []
                    for _ in range(requests):
                        started = time.perf_counter()
                        response = await client.get(path)
                        times.append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200
                    print(
                        f"  {username:14s} {path:58s} p50 {percentile(times, 50):6.1f} ms   "
                        f"p99 {percentile(times, 99):6.1f} ms   ({len(response.content) // 1024} KB)"
                    )
    finally:
        await app.state.runtime.stop()


async def main(rows: int, requests: int, keep: bool) -> None:
    name = f"jd_bench_dashboard_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    url = "postgresql+asyncpg://" + dsn.split("://", 1)[1]
    now = datetime.now(UTC)
    try:
        await asyncio.to_thread(upgrade_database, url)  # alembic runs its own event loop
        started = time.perf_counter()
        await bulk_load(dsn, rows, now)
        print(f"loaded {rows:,} delegations in {time.perf_counter() - started:.1f} s")
        print("query plans (Yantai's courts):")
        await explain(dsn, now)
        print(f"rendering pages through the app, {requests} requests each:")
        with tempfile.TemporaryDirectory() as data_dir:
            await measure(url, Path(data_dir), requests)
    finally:
        if keep:
            print(f"kept the database: {dsn}")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database (to look at plans); drop it by hand")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.requests, arguments.keep))
