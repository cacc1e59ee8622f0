"""Load test: 200 simulated users of the five cities against `jiaodong serve` on PostgreSQL, for a bounded time.

Each city has requesting officers and assisting clerks at its basic courts, and a command center. Users act
with think time in a realistic mix: officers list what they sent, open matters and file new ones (create,
two uploads, submit); clerks list their inbox, open matters, sign for submitted ones and assign a handler;
command centers open their dashboard page. Prints throughput, p50/p95/p99 per kind of request, errors (any
transport error, 5xx or unexpected 4xx; a 409 where two clerks race for the same matter is counted apart as
an expected conflict), and the server's resident memory before and after.

Not a test. Creates its own database on 127.0.0.1:5432 and drops it afterwards; loopback only.
Usage: .venv/bin/python bench/load.py [--users 200] [--seconds 60] [--seed-matters 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import asyncpg
import httpx
from argon2 import PasswordHasher

from courts.registry import CourtLevel
from delegation.accounts import auth as auth_service
from delegation.refdata.service import load_reference
from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import UserRow
from jiaodong.cli.database import upgrade_database

ADMIN_DSN = os.environ.get("JIAODONG_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
ROOT = Path(__file__).resolve().parent.parent
CITIES = ["青岛", "烟台", "潍坊", "威海", "日照"]
CENTER_OF_CITY = {"青岛": "鲁02", "烟台": "鲁06", "潍坊": "鲁07", "威海": "鲁10", "日照": "鲁11"}
PASSWORD = "load-test-password"
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
EXPECTED = {200, 201, 204}


@dataclass(frozen=True)
class User:
    name: str
    court: str
    role: str  # requesting_officer | assisting_clerk | command_center
    city: str


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0

    def note(self, kind: str, started: float, response: httpx.Response, allowed: set[int] = EXPECTED) -> bool:
        self.latencies[kind].append(time.perf_counter() - started)
        if response.status_code in allowed:
            return True
        if response.status_code == 409:
            self.conflicts += 1
            return False
        self.errors.append(f"{kind}: HTTP {response.status_code} {response.text[:200]}")
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------- setup


async def make_users(url: str, count: int) -> tuple[list[User], dict[str, str]]:
    """`count` users spread over the five cities (officers and clerks at basic courts, one command center
    per city); a bearer token each (the dashboard page logs in with the password instead)."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    tokens: dict[str, str] = {}
    users: list[User] = []
    digest = PasswordHasher().hash(PASSWORD)
    try:
        async with make_sessionmaker(engine)() as session:
            ref = await load_reference(session)
            per_city = count // len(CITIES)
            for city in CITIES:
                courts = [c.code for c in ref.registry.by_city(city) if c.level == CourtLevel.BASIC][:4]
                users.append(User(f"center-{CENTER_OF_CITY[city]}", CENTER_OF_CITY[city], "command_center", city))
                for n in range(per_city - 1):
                    role = "requesting_officer" if n % 2 == 0 else "assisting_clerk"
                    court = courts[n % len(courts)]
                    users.append(User(f"{role[:5]}-{court}-{n}", court, role, city))
            for user in users:
                session.add(
                    UserRow(
                        username=user.name,
                        display_name=user.name,
                        court_code=user.court,
                        roles=[user.role],
                        password_hash=digest,
                        created_at=now,
                    )
                )
            await session.commit()
            ref = await load_reference(session)
            for user in users:
                token, _row = await auth_service.create_token(
                    session, ref, now, username=user.name, name="load", created_by="load"
                )
                tokens[user.name] = token
    finally:
        await engine.dispose()
    return users, tokens


def start_server(url: str, data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JIAODONG_DATA_DIR": str(data_dir),
        "JIAODONG_SECRET_KEY": secrets.token_hex(32),
    }
    command = [
        sys.executable,
        "-c",
        "from jiaodong.cli.main import main; main()",
        "serve",
        "--no-flows",
        "--port",
        str(port),
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(600):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not become ready")


# ---------------------------------------------------------------- what users do


def scan(serial: int) -> bytes:
    return b"%PDF-1.4\n% load scan " + str(serial).encode() + b"\n%%EOF\n"


class Serial:
    value = 0

    @classmethod
    def next(cls) -> int:
        cls.value += 1
        return cls.value


async def file_matter(client: httpx.AsyncClient, user: User, assisting: str, results: Results) -> None:
    serial = Serial.next()
    body = {
        "case_number": f"（2026）{user.court}执{100000 + serial}号",
        "assisting_court": assisting,
        "matter_type": "property_investigation",
        "fields": {"scope": "被执行人名下的房产、车辆"},
        "parties": PARTIES,
    }
    started = time.perf_counter()
    created = await client.post("/api/v1/delegations", json=body, headers={"Idempotency-Key": f"load-{serial}"})
    if not results.note("file: create draft", started, created):
        return
    ident = created.json()["id"]
    for n, kind in enumerate(("letter_of_delegation", "officer_credentials")):
        files = {"file": (f"{kind}.pdf", scan(serial * 2 + n), "application/pdf")}
        started = time.perf_counter()
        uploaded = await client.post(f"/api/v1/delegations/{ident}/documents", data={"kind": kind}, files=files)
        if not results.note("file: upload", started, uploaded):
            return
    started = time.perf_counter()
    submitted = await client.post(
        f"/api/v1/delegations/{ident}/submit", json={}, headers={"If-Match": created.headers["ETag"]}
    )
    results.note("file: submit", started, submitted)


async def open_one(
    client: httpx.AsyncClient, items: list[dict[str, Any]], rng: random.Random, results: Results
) -> None:
    if not items:
        return
    started = time.perf_counter()
    results.note("matter page (API)", started, await client.get(f"/api/v1/delegations/{rng.choice(items)['id']}"))


async def officer(client: httpx.AsyncClient, user: User, assisting: list[str], rng: random.Random, r: Results) -> None:
    roll = rng.random()
    if roll < 0.15:
        await file_matter(client, user, rng.choice(assisting), r)
        return
    started = time.perf_counter()
    listed = await client.get("/api/v1/delegations", params={"box": "outbox", "limit": 20})
    if r.note("list: sent", started, listed) and roll < 0.6:
        await open_one(client, listed.json()["items"], rng, r)


async def clerk(client: httpx.AsyncClient, rng: random.Random, r: Results) -> None:
    roll = rng.random()
    if roll < 0.3:
        started = time.perf_counter()
        waiting = await client.get("/api/v1/delegations", params={"box": "inbox", "status": "submitted", "limit": 10})
        if not r.note("list: to sign for", started, waiting) or not waiting.json()["items"]:
            return
        item = rng.choice(waiting.json()["items"])
        started = time.perf_counter()
        signed = await client.post(
            f"/api/v1/delegations/{item['id']}/sign-for", json={}, headers={"If-Match": f'"{item["version"]}"'}
        )
        if r.note("action: sign for", started, signed):
            started = time.perf_counter()
            assigned = await client.post(
                f"/api/v1/delegations/{item['id']}/assign-handler",
                json={"handler": "王法官"},
                headers={"If-Match": signed.headers["ETag"]},
            )
            r.note("action: assign handler", started, assigned)
        return
    started = time.perf_counter()
    inbox = await client.get("/api/v1/delegations", params={"box": "inbox", "limit": 20})
    if r.note("list: inbox", started, inbox) and roll < 0.7:
        await open_one(client, inbox.json()["items"], rng, r)


async def center(client: httpx.AsyncClient, rng: random.Random, r: Results) -> None:
    started = time.perf_counter()
    r.note("dashboard page", started, await client.get("/dashboard"))
    if rng.random() < 0.5:
        started = time.perf_counter()
        r.note(
            "list: overdue", started, await client.get("/api/v1/delegations", params={"overdue": "true", "limit": 20})
        )


async def simulate(
    base: str, user: User, token: str, assisting: list[str], deadline: float, seed: int, r: Results
) -> None:
    rng = random.Random(seed)
    headers = {} if user.role == "command_center" else {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        if user.role == "command_center":  # a person at the dashboard: logs in once with the password
            login = await client.post("/api/v1/auth/login", json={"username": user.name, "password": PASSWORD})
            if login.status_code != 200:
                r.errors.append(f"login {user.name}: HTTP {login.status_code}")
                return
        await asyncio.sleep(rng.random() * 2)  # users arrive over two seconds
        while time.monotonic() < deadline:
            try:
                if user.role == "requesting_officer":
                    await officer(client, user, assisting, rng, r)
                elif user.role == "assisting_clerk":
                    await clerk(client, rng, r)
                else:
                    await center(client, rng, r)
            except httpx.TransportError as exc:
                r.errors.append(f"{user.role}: {type(exc).__name__}: {exc}")
            await asyncio.sleep(rng.uniform(0.5, 2.0))  # think time


# ---------------------------------------------------------------- main


async def main(user_count: int, seconds: float, seed_matters: int) -> None:
    name = f"jd_bench_load_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    server: subprocess.Popen[bytes] | None = None
    results = Results()
    try:
        with tempfile.TemporaryDirectory(prefix="jd-load-") as data_dir:
            await asyncio.to_thread(upgrade_database, url)
            users, tokens = await make_users(url, user_count)
            port = free_port()
            server = start_server(url, Path(data_dir), port, Path(data_dir) / "serve.log")
            base = f"http://127.0.0.1:{port}"
            await wait_ready(base)
            clerks_courts = sorted({u.court for u in users if u.role == "assisting_clerk"})
            officers = [u for u in users if u.role == "requesting_officer"]
            # Matters already waiting, so clerks have work from the first second.
            seeding = Results()
            rng = random.Random(1)
            for n in range(seed_matters):
                user = officers[n % len(officers)]
                async with httpx.AsyncClient(
                    base_url=base, headers={"Authorization": f"Bearer {tokens[user.name]}"}, timeout=60
                ) as client:
                    await file_matter(
                        client, user, rng.choice([c for c in clerks_courts if c[:4] != user.court[:4]]), seeding
                    )
            if seeding.errors:
                raise RuntimeError(f"seeding failed: {seeding.errors[:3]}")
            memory_before = rss_mib(server.pid)
            started = time.monotonic()
            deadline = started + seconds
            await asyncio.gather(
                *(
                    simulate(
                        base,
                        user,
                        tokens[user.name],
                        [c for c in clerks_courts if c[:4] != user.court[:4]],
                        deadline,
                        n,
                        results,
                    )
                    for n, user in enumerate(users)
                )
            )
            elapsed = time.monotonic() - started
            memory_after = rss_mib(server.pid)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    total = sum(len(v) for v in results.latencies.values())
    print()
    print(f"users: {len(users)} ({', '.join(CITIES)}); {seconds:.0f} s; seeded matters: {seed_matters}")
    print(f"requests: {total:,} in {elapsed:.1f} s = {total / elapsed:.1f} requests/s")
    print(f"{'kind':<26}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for kind in sorted(results.latencies):
        values = results.latencies[kind]
        print(
            f"{kind:<26}{len(values):>8}{percentile(values, 50) * 1000:>10.1f}"
            f"{percentile(values, 95) * 1000:>10.1f}{percentile(values, 99) * 1000:>10.1f}"
        )
    print(f"errors: {len(results.errors)}   expected conflicts (two clerks, one matter): {results.conflicts}")
    for error in results.errors[:10]:
        print(f"  {error}")
    print(f"server memory (RSS): {memory_before:.0f} MiB before, {memory_after:.0f} MiB after the load")
    if results.errors:
        raise SystemExit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed-matters", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.users, args.seconds, args.seed_matters))
