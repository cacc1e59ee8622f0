"""Benchmark: the HTTP API under uvicorn (one worker, 127.0.0.1) on PostgreSQL with 100,000 delegations.

Prints: create-and-submit throughput (a filing = create the draft, upload the matter's two required
documents, submit: four requests, four transactions) against raw asyncpg writing the same rows in the same
four transactions (the submit's statutory clocks and statistics included, bench/raw_rows.py), as a ratio;
and p50/p99 latency of the inbox list and of one delegation's page.
Both sides are measured one request at a time (latency-bound, like bench/submit.py) and with 8 in flight.
The filings are sent with aiohttp (bench/http_client.py: ~1.5 ms of CPU per filing, where httpx spent 5-10 ms
on the same two cores, in series with the server one at a time); the CPU per filing of the server process
(from /proc) and of this process (the client) are printed beside the ratios.
Then filings with 8 in flight against `jiaodong serve --no-flows --workers N` for each N of --workers
(default 1,2): the throughput one host gains from more web worker processes, and its ratio to raw asyncpg with
8 in flight. Each of the 8 keeps one connection, and the 8 are spread evenly over the workers (checked in
/proc: opened at once, they typically all land on the worker that wakes first).

Not a test. Creates its own database on 127.0.0.1:5432 and drops it afterwards; loopback only.
Usage: .venv/bin/python bench/api.py [--rows 100000] [--filings 600] [--requests 1000] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import asyncpg
import httpx
from tqdm import tqdm

from bench.http_client import BenchClient
from bench.raw_rows import SubmitExtras, extras_of, write_extras
from delegation.accounts import auth as auth_service
from delegation.accounts.passwords import hash_password
from delegation.refdata.service import load_reference
from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import UserRow
from jiaodong.cli.database import upgrade_database

ADMIN_DSN = os.environ.get("JIAODONG_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
ROOT = Path(__file__).resolve().parent.parent
COURTS = ["鲁0202", "鲁0602", "鲁0705", "鲁1002", "鲁1102"]
OFFICER, CLERK = ("bench-officer", "鲁0202"), ("bench-clerk", "鲁0602")
STATUSES = [
    ("submitted", 20),
    ("returned", 5),
    ("accepted", 10),
    ("in_progress", 30),
    ("completed", 10),
    ("confirmed", 20),
    ("withdrawn", 5),
]
PARTIES = [
    {"role": "applicant", "party_type": "legal_person", "name": "青岛海联贸易有限公司", "uscc": "91350100M000100Y43"},
    {
        "role": "debtor",
        "party_type": "natural_person",
        "name": "张三",
        "id_number": "11010519491231002X",
        "address": "山东省烟台市芝罘区南大街100号",
        "phone": "13800138000",
    },
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_split(pid: int) -> tuple[float, float]:
    """A process's CPU time so far, (user, kernel) in seconds (Linux /proc, else zeros)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + kernel; Linux /proc, else 0)."""
    return sum(cpu_split(pid))


def worker_pids(pid: int) -> list[int]:
    """The child processes of `pid` (uvicorn's web workers under `jiaodong serve --workers N`; Linux /proc)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return children


def connections_per_worker(port: int, pids: list[int]) -> dict[int, int]:
    """How many established connections to `port` each of these processes holds (Linux /proc): the kernel hands
    each new connection to whichever worker accepts first, so 8 of them can all land on one."""
    owner: dict[int, int] = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:["):
                owner[int(target[8:-1])] = pid
    held = dict.fromkeys(pids, 0)
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        established = fields[3] == "01"
        if established and int(fields[1].rsplit(":", 1)[1], 16) == port and int(fields[9]) in owner:
            held[owner[int(fields[9])]] += 1
    return held


async def spread_clients(
    port: int, pids: list[int], workers: int, count: int, headers: dict[str, str]
) -> tuple[list[BenchClient], list[int]]:
    """`count` clients of one connection each, spread evenly over the web workers. Which worker accepts a new
    connection is up to the kernel (whichever wakes first: opened at once, 8 connections typically all land on
    one), so each is opened alone and opened again while it lands on a worker that already has its share.
    Returns the clients and the connections each worker holds (most first)."""
    share = -(-count // workers)
    clients: list[BenchClient] = []
    for _ in range(count):
        for _attempt in range(50):
            before = connections_per_worker(port, pids)
            client = BenchClient("127.0.0.1", port, headers)
            await client.__aenter__()
            assert (await client.get("/healthz")).status_code == 200
            after = connections_per_worker(port, pids)
            landed = [pid for pid in pids if after[pid] > before[pid]]
            if landed and after[landed[0]] <= share:
                break
            await client.__aexit__(None, None, None)
            await asyncio.sleep(0.01)  # the closed connection leaves the table
        clients.append(client)  # after 50 tries, as it landed
    return clients, sorted(connections_per_worker(port, pids).values(), reverse=True)[:workers]


@asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    """A new database for one bench run on ADMIN_DSN's server, dropped afterwards whatever happened; its DSN."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# ---------------------------------------------------------------- setup


async def make_users(url: str) -> dict[str, str]:
    engine = make_engine(url)
    now = datetime.now(UTC)
    tokens: dict[str, str] = {}
    try:
        async with make_sessionmaker(engine)() as session:
            digest = hash_password("bench-password-123")
            for name, court, role in ((*OFFICER, "requesting_officer"), (*CLERK, "assisting_clerk")):
                session.add(
                    UserRow(
                        username=name,
                        display_name=name,
                        court_code=court,
                        roles=[role],
                        password_hash=digest,
                        created_at=now,
                    )
                )
            await session.commit()
            ref = await load_reference(session)
            for name, _court in (OFFICER, CLERK):
                token, _row = await auth_service.create_token(
                    session, ref, now, username=name, name="bench", created_by="bench"
                )
                tokens[name] = token
    finally:
        await engine.dispose()
    return tokens


async def bulk_load(dsn: str, rows: int) -> None:
    """Delegations between the five demo courts in realistic states, with events, documents and clocks."""
    connection = await asyncpg.connect(dsn)
    rng = random.Random(7)
    now = datetime.now(UTC)
    weights = [w for _s, w in STATUSES]
    states = [s for s, _w in STATUSES]
    fields = json.dumps({"note": "查询车辆"}, ensure_ascii=False)
    parties = json.dumps(PARTIES, ensure_ascii=False)
    chunk = 5000
    delegation_columns = [
        "id", "number", "case_number", "requesting_court", "assisting_court", "matter_type", "mechanism",
        "status", "policy_version", "summary", "fields", "parties", "search_text", "handler", "created_by",
        "created_at", "updated_at", "submitted_at", "version",
    ]  # fmt: skip
    event_columns = [
        "delegation_id", "kind", "action", "from_status", "to_status", "actor", "actor_court", "actor_role",
        "at", "comment", "data",
    ]  # fmt: skip
    document_columns = [
        "delegation_id", "kind", "filename", "content_type", "size", "sha256", "storage_key", "uploaded_by",
        "uploaded_court", "uploaded_at",
    ]  # fmt: skip
    clock_columns = [
        "delegation_id", "stage", "court_code", "budget_days", "unit", "policy_version", "started_at",
        "extra_days", "paused", "due_at", "due_provisional",
    ]  # fmt: skip
    try:
        with tqdm(total=rows, desc="bulk load (COPY)", unit="delegation") as bar:
            for start in range(1, rows + 1, chunk):
                delegations, events, documents, clocks = [], [], [], []
                for ident in range(start, min(start + chunk, rows + 1)):
                    requesting = rng.choice(COURTS)
                    assisting = rng.choice([c for c in COURTS if c != requesting])
                    status = rng.choices(states, weights)[0]
                    created = now - timedelta(minutes=rng.randrange(1, 700 * 24 * 60))
                    case_number = f"（{created.year}）{requesting}执{ident}号"
                    delegations.append(
                        (
                            ident, f"JD{created.year}-{ident:07d}", case_number, requesting, assisting,
                            "vehicle_inquiry", "matter_delegation", status, "2025-01-01", "查询被执行人名下车辆",
                            fields, parties, f"{case_number} 青岛海联贸易有限公司 张三",
                            "王法官" if status in ("in_progress", "completed", "confirmed") else None,
                            "bulk", created, created + timedelta(hours=1), created, 3,
                        )
                    )  # fmt: skip
                    for action, before, after in (("create", None, "draft"), ("submit", "draft", "submitted")):
                        events.append(
                            (ident, "transition", action, before, after, "bulk", requesting, "requester", created,
                             "", "{}")
                        )  # fmt: skip
                    for kind in ("letter_of_delegation", "officer_credentials"):
                        documents.append(
                            (ident, kind, f"{kind}.pdf", "application/pdf", 1000, "0" * 64, "documents/00/x.pdf",
                             "bulk", requesting, created)
                        )  # fmt: skip
                    if status not in ("confirmed", "withdrawn"):
                        stage = {"submitted": "sign_for", "returned": "correction", "completed": "confirmation"}
                        holder = requesting if status in ("returned", "completed") else assisting
                        due = now + timedelta(days=rng.randrange(-20, 15))
                        clocks.append(
                            (ident, stage.get(status, "execution"), holder, 7, "working", "2025-01-01", created, 0,
                             False, due, due.year > 2026)
                        )  # fmt: skip
                await connection.copy_records_to_table("delegation", records=delegations, columns=delegation_columns)
                await connection.copy_records_to_table("delegation_event", records=events, columns=event_columns)
                await connection.copy_records_to_table("document", records=documents, columns=document_columns)
                await connection.copy_records_to_table("stage_clock", records=clocks, columns=clock_columns)
                bar.update(len(delegations))
        for table in ("delegation", "delegation_event", "document", "stage_clock"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


# ---------------------------------------------------------------- the server


def start_server(url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "JIAODONG_DATA_DIR": str(data_dir), "JIAODONG_SECRET_KEY": "bench"}
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env)


def start_serve(url: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """`jiaodong serve --workers N` without the flows (the web workers alone)."""
    env = {**os.environ, "DATABASE_URL": url, "JIAODONG_DATA_DIR": str(data_dir), "JIAODONG_SECRET_KEY": "bench" * 8}
    command = [
        str(Path(sys.executable).with_name("jiaodong")), "serve", "--no-flows", "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


Server = subprocess.Popen[bytes]


async def start_loaded_server(dsn: str, rows: int, data_dir: Path) -> tuple[Server, int, dict[str, str]]:
    """Migrate the bench's database, add its two users, load `rows` delegations, and start the web server on a free
    port (not yet answering: wait_ready). The server, its port and the users' API tokens."""
    url = dsn.replace("postgresql://", "postgresql+asyncpg://")
    await asyncio.to_thread(upgrade_database, url)
    tokens = await make_users(url)
    await bulk_load(dsn, rows)
    port = free_port()
    return start_server(url, data_dir, port), port, tokens


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(2400):  # up to 2 minutes: a loaded machine imports slowly
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not start")


# ---------------------------------------------------------------- create and submit


def scan(serial: int) -> bytes:
    """A small, distinct PDF per upload (content-addressed storage would skip identical ones)."""
    return b"%PDF-1.4\n% bench scan " + str(serial).encode() + b"\n%%EOF\n"


def filing_body(serial: int) -> dict[str, Any]:
    """The draft of a bench filing, Qingdao's 市南区 to Yantai's 芝罘区, its case number distinct per serial."""
    return {
        "case_number": f"（2026）鲁0202执{200000 + serial}号",
        "assisting_court": "鲁0602",
        "matter_type": "property_investigation",
        "fields": {"scope": "被执行人在烟台的房产、车辆"},
        "parties": PARTIES,
    }


async def file_over_http(client: BenchClient, serial: int) -> int:
    body = filing_body(serial)
    created = await client.post_json("/api/v1/delegations", body, headers={"Idempotency-Key": f"bench-{serial}"})
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    for n, kind in enumerate(("letter_of_delegation", "officer_credentials")):
        files = {"file": (f"{kind}.pdf", scan(serial * 2 + n), "application/pdf")}
        uploaded = await client.post_multipart(f"/api/v1/delegations/{ident}/documents", {"kind": kind}, files)
        assert uploaded.status_code == 201, uploaded.text
    submitted = await client.post_json(
        f"/api/v1/delegations/{ident}/submit", {}, headers={"If-Match": created.headers["etag"]}
    )
    assert submitted.status_code == 200, submitted.text
    return int(ident)


async def seconds(count: int, concurrency: int, one: Callable[[int], Awaitable[Any]], first: int) -> float:
    queue = iter(range(first, first + count))

    async def worker() -> None:
        for serial in queue:
            await one(serial)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


ROUNDS = 5


class RawFiler:
    """The same rows the API wrote for one filing, written with hand-written SQL in the same transactions."""

    def __init__(self, pool: asyncpg.Pool, templates: dict[str, list[dict[str, Any]]], extras: SubmitExtras) -> None:
        self.pool = pool
        self.t = templates
        self.extras = extras

    @staticmethod
    def _insert(table: str, row: dict[str, Any]) -> tuple[str, list[Any]]:
        columns = [c for c in row if c != "id"]
        placeholders = ", ".join(f"${i + 1}" for i in range(len(columns)))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) RETURNING id"
        return sql, [row[c] for c in columns]

    async def file(self, serial: int) -> None:
        d = dict(self.t["delegation"][0])
        async with self.pool.acquire() as connection:
            async with connection.transaction():  # create
                d.update(number=f"tmp-{uuid.uuid4().hex[:24]}", idempotency_key=f"raw-{serial}", status="draft")
                d.update(version=1, submitted_at=None, case_number=f"（2026）鲁0202执{400000 + serial}号")
                sql, args = self._insert("delegation", d)
                ident = await connection.fetchval(sql, *args)
                await connection.execute("UPDATE delegation SET number=$2 WHERE id=$1", ident, f"JD2026-{ident:07d}")
                await self._rows(connection, "create", ident)
            for n in range(2):  # two uploads
                async with connection.transaction():
                    document = dict(self.t["document"][n], delegation_id=ident, sha256=f"{serial:064d}")
                    sql, args = self._insert("document", document)
                    await connection.fetchval(sql, *args)
                    await self._rows(connection, f"upload{n}", ident)
            async with connection.transaction():  # submit
                await connection.execute(
                    "UPDATE delegation SET status='submitted', version=2, updated_at=$2, submitted_at=$2 "
                    "WHERE id=$1 AND version=1",
                    ident,
                    datetime.now(UTC),
                )
                await self._rows(connection, "submit", ident)
                await write_extras(connection, self.extras, ident)

    async def _rows(self, connection: asyncpg.Connection, step: str, ident: int) -> None:
        for table, row in self.t[step]:  # type: ignore[misc]
            sql, args = self._insert(table, {**row, "delegation_id": ident})
            await connection.fetchval(sql, *args)


async def templates_of(connection: asyncpg.Connection, ident: int) -> dict[str, Any]:
    """Rows the API wrote for filing `ident`, grouped by the request that wrote them."""
    delegation = [dict(r) for r in await connection.fetch("SELECT * FROM delegation WHERE id=$1", ident)]
    documents = [
        dict(r) for r in await connection.fetch("SELECT * FROM document WHERE delegation_id=$1 ORDER BY id", ident)
    ]
    events = [
        dict(r)
        for r in await connection.fetch("SELECT * FROM delegation_event WHERE delegation_id=$1 ORDER BY id", ident)
    ]
    clocks = [dict(r) for r in await connection.fetch("SELECT * FROM stage_clock WHERE delegation_id=$1", ident)]
    outbox = [dict(r) for r in await connection.fetch("SELECT * FROM outbox WHERE delegation_id=$1", ident)]
    by_action = {e["action"]: e for e in events}
    uploads = [e for e in events if e["action"] == "upload_document"]
    return {
        "delegation": delegation,
        "document": documents,
        "create": [("delegation_event", by_action["create"])],
        "upload0": [("delegation_event", uploads[0])],
        "upload1": [("delegation_event", uploads[1])],
        "submit": [("delegation_event", by_action["submit"])]
        + [("stage_clock", c) for c in clocks]
        + [("outbox", o) for o in outbox],
    }


async def row_counts(connection: asyncpg.Connection) -> dict[str, int]:
    tables = (
        "delegation", "delegation_event", "document", "stage_clock", "outbox", "statutory_clock", "stat_fact",
    )  # fmt: skip
    return {t: int(await connection.fetchval(f"SELECT count(*) FROM {t}")) for t in tables}


# ---------------------------------------------------------------- latency


async def latencies(client: httpx.AsyncClient, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        started = time.perf_counter()
        response = await client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return out


def line(label: str, values: list[float]) -> str:
    return (
        f"{label:<34} p50 {percentile(values, 50):7.2f} ms   p99 {percentile(values, 99):7.2f} ms   (n={len(values)})"
    )


async def main(rows: int, filings: int, requests: int, workers: list[int]) -> None:
    async with scratch_database("jd_bench_api") as dsn:
        url = dsn.replace("postgresql://", "postgresql+asyncpg://")
        server: Server | None = None
        try:
            with tempfile.TemporaryDirectory(prefix="jd-bench-") as data_dir:
                server, port, tokens = await start_loaded_server(dsn, rows, Path(data_dir))
                base = f"http://127.0.0.1:{port}"
                await wait_ready(base)
                officer = BenchClient("127.0.0.1", port, {"Authorization": f"Bearer {tokens[OFFICER[0]]}"})
                clerk = httpx.AsyncClient(
                    base_url=base, headers={"Authorization": f"Bearer {tokens[CLERK[0]]}"}, timeout=60
                )
                async with officer, clerk:
                    # warm up both paths
                    await seconds(20, 1, lambda s: file_over_http(officer, s), 0)
                    await latencies(clerk, ["/api/v1/delegations?box=inbox"] * 20)

                    probe = await asyncpg.connect(dsn)
                    before = await row_counts(probe)
                    load_before = os.getloadavg()
                    # One round of each side first (the raw side copies the rows the API wrote), then the sides
                    # take turns, so a change in the machine's load falls on both.
                    # CPU of the server process and of this one (the HTTP client) over the one-at-a-time API rounds.
                    cpu_server, cpu_client = cpu_seconds(server.pid), time.process_time()
                    api_s = [await seconds(filings // ROUNDS, 1, lambda s: file_over_http(officer, s), 1000)]
                    cpu_server, cpu_client = cpu_seconds(server.pid) - cpu_server, time.process_time() - cpu_client
                    cpu_server_c = cpu_seconds(server.pid)
                    api_c = [await seconds(filings // ROUNDS, 8, lambda s: file_over_http(officer, s), 100000)]
                    cpu_server_c = cpu_seconds(server.pid) - cpu_server_c
                    after = await row_counts(probe)
                    last = int(await probe.fetchval("SELECT max(id) FROM delegation WHERE created_by=$1", OFFICER[0]))
                    templates = await templates_of(probe, last)
                    extras = await extras_of(probe, last)
                    await probe.close()
                    per_filing = {t: (after[t] - before[t]) / (2 * (filings // ROUNDS)) for t in after}

                    pool = await asyncpg.create_pool(dsn, min_size=8, max_size=8)
                    raw = RawFiler(pool, templates, extras)
                    part = filings // ROUNDS
                    raw_s = [await seconds(part, 1, raw.file, 1000)]
                    raw_c = [await seconds(part, 8, raw.file, 100000)]
                    for r in range(1, ROUNDS):
                        server_at, client_at = cpu_seconds(server.pid), time.process_time()
                        api_s.append(await seconds(part, 1, lambda s: file_over_http(officer, s), 1000 + r * part))
                        cpu_server += cpu_seconds(server.pid) - server_at
                        cpu_client += time.process_time() - client_at
                        raw_s.append(await seconds(part, 1, raw.file, 1000 + r * part))
                        server_at = cpu_seconds(server.pid)
                        api_c.append(await seconds(part, 8, lambda s: file_over_http(officer, s), 100000 + r * part))
                        cpu_server_c += cpu_seconds(server.pid) - server_at
                        raw_c.append(await seconds(part, 8, raw.file, 100000 + r * part))
                    await pool.close()
                    load_after = os.getloadavg()
                    done = part * ROUNDS
                    api_sequential, api_concurrent = done / sum(api_s), done / sum(api_c)
                    raw_sequential, raw_concurrent = done / sum(raw_s), done / sum(raw_c)

                    inbox = await latencies(clerk, ["/api/v1/delegations?box=inbox"] * requests)
                    first = (await clerk.get("/api/v1/delegations?box=inbox")).json()
                    ids = [d["id"] for d in first["items"]]
                    cursor = first["next_cursor"]
                    next_page = f"/api/v1/delegations?box=inbox&cursor={cursor}"
                    second = await latencies(clerk, [next_page] * (requests // 4))
                    overdue = await latencies(clerk, ["/api/v1/delegations?box=inbox&overdue=true"] * (requests // 4))
                    text = await latencies(clerk, ["/api/v1/delegations?q=张三&status=in_progress"] * (requests // 4))
                    rng = random.Random(3)
                    pages = await latencies(clerk, [f"/api/v1/delegations/{rng.choice(ids)}" for _ in range(requests)])
                    inbox_size = int(
                        (await clerk.get("/api/v1/delegations?box=inbox&limit=1")).status_code == 200
                        and await _count(dsn, CLERK[1])
                    )
                server.terminate()
                server.wait(timeout=30)
                server = None
                scaled: list[tuple[int, float, tuple[float, float], list[int]]] = []
                for n, count in enumerate(workers):
                    port = free_port()
                    server = start_serve(url, Path(data_dir), port, count)
                    base = f"http://127.0.0.1:{port}"
                    await wait_ready(base)
                    pids = worker_pids(server.pid) if count > 1 else [server.pid]
                    headers = {"Authorization": f"Bearer {tokens[OFFICER[0]]}"}
                    clients, spread = await spread_clients(port, pids, count, 8, headers)
                    idle: asyncio.Queue[BenchClient] = asyncio.Queue()
                    for client in clients:
                        idle.put_nowait(client)

                    async def one(serial: int, idle: asyncio.Queue[BenchClient] = idle) -> int:
                        client = await idle.get()  # a filing's four requests on one connection, as a browser's
                        try:
                            return await file_over_http(client, serial)
                        finally:
                            idle.put_nowait(client)

                    try:
                        await seconds(16, 8, one, 500000 + n * 100000)  # warm up
                        load = os.getloadavg()[0]
                        took = await seconds(filings, 8, one, 510000 + n * 100000)
                        scaled.append((count, filings / took, (load, os.getloadavg()[0]), spread))
                    finally:
                        for client in clients:
                            await client.__aexit__(None, None, None)
                    server.terminate()
                    server.wait(timeout=30)
                    server = None
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=10)

    print()
    print(f"delegations loaded:                 {rows:,} (the clerk's inbox: {inbox_size:,})")
    print(f"rows per filing (API, measured):    {', '.join(f'{t} {n:g}' for t, n in per_filing.items() if n)}")
    print("create-and-submit (create + 2 uploads + submit = 4 requests, 4 transactions):")
    print(
        f"  API, one at a time:               {api_sequential:8.1f} filings/s  ({4 * api_sequential:7.1f} requests/s)"
    )
    print(f"  raw asyncpg, one at a time:       {raw_sequential:8.1f} filings/s")
    print(f"  ratio API / raw, one at a time:   {api_sequential / raw_sequential:8.3f}  (target >= 0.33)")
    print(
        f"  CPU per filing, one at a time:    server {cpu_server / done * 1000:.1f} ms, this bench's HTTP client "
        f"(bench/http_client.py, aiohttp) {cpu_client / done * 1000:.1f} ms"
    )
    print(
        f"  API, 8 in flight:                 {api_concurrent:8.1f} filings/s  ({4 * api_concurrent:7.1f} requests/s)"
    )
    print(f"  raw asyncpg, 8 in flight:         {raw_concurrent:8.1f} filings/s")
    print(f"  ratio API / raw, 8 in flight:     {api_concurrent / raw_concurrent:8.3f}  (target >= 0.33)")
    print(f"  CPU per filing, 8 in flight:      server {cpu_server_c / done * 1000:.1f} ms")
    print(line("inbox list (first page of 50)", inbox) + "   target p99 < 100 ms")
    print(line("inbox list, second page", second))
    print(line("inbox list, overdue only", overdue))
    print(line("all visible, text + status filter", text))
    print(line("one delegation's page", pages))
    print(f"load average: {load_before[0]:.2f} before the filings, {load_after[0]:.2f} after (2 cores)")
    print("jiaodong serve --workers N (no flows), filings with 8 in flight:")
    for count, rate, (load_start, load_end), spread in scaled:
        print(
            f"  {count} worker{'s' if count > 1 else ' '}:                        {rate:8.1f} filings/s  "
            f"({4 * rate:7.1f} requests/s; load average {load_start:.2f} -> {load_end:.2f}; connections per "
            f"worker {', '.join(map(str, spread))}; ratio to raw asyncpg 8 in flight {rate / raw_concurrent:.3f})"
        )
    if len(scaled) > 1:
        print(f"  speed-up {scaled[-1][0]} vs {scaled[0][0]} workers:          {scaled[-1][1] / scaled[0][1]:8.2f}x")


async def _count(dsn: str, court: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM delegation WHERE assisting_court=$1 AND status <> 'draft'", court
            )
        )
    finally:
        await connection.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--filings", type=int, default=600, help="filings per side and mode")
    parser.add_argument("--requests", type=int, default=1000, help="requests per latency measurement")
    parser.add_argument("--workers", default="1,2", help="web worker counts for `jiaodong serve --workers N`")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.filings, args.requests, [int(n) for n in args.workers.split(",") if n]))
