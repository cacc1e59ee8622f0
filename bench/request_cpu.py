"""Benchmark: the web server's CPU per kind of request on the filing path, to see where a filing's CPU goes.

Prints, for `/healthz` (the fixed cost of any request: uvicorn, the middleware, routing), creating a draft,
uploading one document and submitting, the server process's CPU per request (user and kernel, from /proc)
and the wall time per request, one request at a time on one keep-alive connection; then what the database
did per filing (transactions committed and WAL flushes, from pg_stat_database and pg_stat_wal). Each kind is
measured --count times in each of --rounds rounds; the summary is the median round.

Not a test, and not a ratio: bench/api.py measures the filing path against raw asyncpg. This one says which
request to look at. Creates its own database on 127.0.0.1:5432 and drops it afterwards; loopback only.
Usage: .venv/bin/python bench/request_cpu.py [--rows 10000] [--count 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import asyncpg

from bench.api import (
    OFFICER,
    cpu_split,
    file_over_http,
    filing_body,
    scan,
    scratch_database,
    start_loaded_server,
    wait_ready,
)
from bench.http_client import BenchClient

KINDS = ("healthz", "create", "upload", "submit")


async def database_work(probe: asyncpg.Connection) -> tuple[int, int]:
    """Transactions committed in this database and WAL flushes of the cluster, so far."""
    await probe.execute("SELECT pg_stat_force_next_flush()")
    row = await probe.fetchrow(
        "SELECT xact_commit, (SELECT wal_sync FROM pg_stat_wal) AS syncs FROM pg_stat_database "
        "WHERE datname = current_database()"
    )
    assert row is not None
    return int(row["xact_commit"]), int(row["syncs"])


class Round:
    """One round: each kind of request --count times, the drafts of `create` then uploaded to and submitted."""

    def __init__(self, client: BenchClient, pid: int, count: int, first: int) -> None:
        self.client, self.pid, self.count, self.first = client, pid, count, first
        self.drafts: list[tuple[int, str]] = []  # (id, ETag)

    async def measure(self, requests: Callable[[], Awaitable[int]]) -> tuple[float, float, float]:
        """(user ms, kernel ms, wall ms) per request."""
        user, kernel = cpu_split(self.pid)
        started = time.perf_counter()
        done = await requests()
        wall = time.perf_counter() - started
        user_after, kernel_after = cpu_split(self.pid)
        return tuple(1000 * v / done for v in (user_after - user, kernel_after - kernel, wall))  # type: ignore[return-value]

    async def healthz(self) -> int:
        for _ in range(self.count):
            response = await self.client.get("/healthz")
            assert response.status_code == 200, response.text
        return self.count

    async def create(self) -> int:
        for n in range(self.count):
            serial = self.first + n
            body = filing_body(serial)
            created = await self.client.post_json(
                "/api/v1/delegations", body, headers={"Idempotency-Key": f"cpu-{serial}"}
            )
            assert created.status_code == 201, created.text
            self.drafts.append((int(created.json()["id"]), created.headers["etag"]))
        return self.count

    async def upload(self) -> int:
        for n, (ident, _etag) in enumerate(self.drafts):
            for k, kind in enumerate(("letter_of_delegation", "officer_credentials")):
                files = {"file": (f"{kind}.pdf", scan(2 * (self.first + n) + k + 10_000_000), "application/pdf")}
                path = f"/api/v1/delegations/{ident}/documents"
                uploaded = await self.client.post_multipart(path, {"kind": kind}, files)
                assert uploaded.status_code == 201, uploaded.text
        return 2 * len(self.drafts)

    async def submit(self) -> int:
        for ident, etag in self.drafts:
            submitted = await self.client.post_json(
                f"/api/v1/delegations/{ident}/submit", {}, headers={"If-Match": etag}
            )
            assert submitted.status_code == 200, submitted.text
        return len(self.drafts)


Measured = tuple[dict[str, list[tuple[float, float, float]]], list[tuple[float, float]], tuple[float, float]]


async def measure(dsn: str, rows: int, count: int, rounds: int) -> Measured:
    """Per kind, (user ms, kernel ms, wall ms) per request of each round; per round, the database's transactions
    and WAL flushes per filing; the load average before and after."""
    results: dict[str, list[tuple[float, float, float]]] = {kind: [] for kind in KINDS}
    per_filing: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="jd-bench-") as data_dir:
        server, port, tokens = await start_loaded_server(dsn, rows, Path(data_dir))
        try:
            await wait_ready(f"http://127.0.0.1:{port}")
            probe = await asyncpg.connect(dsn)
            client = BenchClient("127.0.0.1", port, {"Authorization": f"Bearer {tokens[OFFICER[0]]}"})
            async with client:
                for serial in range(30):  # warm up: imports, caches, prepared statements
                    await file_over_http(client, serial)
                load_before = os.getloadavg()[0]
                for r in range(rounds):
                    one = Round(client, server.pid, count, first=(r + 1) * 100_000)
                    results["healthz"].append(await one.measure(one.healthz))
                    commits, syncs = await database_work(probe)
                    for kind in ("create", "upload", "submit"):
                        results[kind].append(await one.measure(getattr(one, kind)))
                    commits_after, syncs_after = await database_work(probe)
                    per_filing.append(((commits_after - commits) / count, (syncs_after - syncs) / count))
                    print(
                        f"round {r + 1}: "
                        + ", ".join(f"{kind} {sum(results[kind][-1][:2]):.2f} ms" for kind in KINDS)
                        + " of server CPU per request",
                        flush=True,
                    )
                load_after = os.getloadavg()[0]
            await probe.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return results, per_filing, (load_before, load_after)


async def main(rows: int, count: int, rounds: int) -> None:
    async with scratch_database("jd_bench_cpu") as dsn:
        results, per_filing, (load_before, load_after) = await measure(dsn, rows, count, rounds)
    print()
    print(f"server CPU per request, one at a time on one connection ({count} of each; the median of {rounds} rounds):")
    filing = 0.0
    for kind in KINDS:
        # The round whose CPU is the median, its user and kernel shares and its wall time together.
        user, kernel, wall = sorted(results[kind], key=lambda v: v[0] + v[1])[len(results[kind]) // 2]
        filing += {"healthz": 0, "upload": 2}.get(kind, 1) * (user + kernel)
        print(f"  {kind:<8} {user + kernel:6.2f} ms  (user {user:5.2f}, kernel {kernel:5.2f})   wall {wall:6.2f} ms")
    print(f"  CPU of a filing in the server (create, 2 uploads, submit): {filing:.2f} ms")
    transactions = statistics.median(c for c, _ in per_filing)
    flushes = statistics.median(f for _, f in per_filing)
    print(
        f"the database per filing: {transactions:.1f} transactions committed (read-only ones included), "
        f"{flushes:.1f} WAL flushes (the whole cluster's)"
    )
    print(f"load average {load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="delegations loaded before measuring")
    parser.add_argument("--count", type=int, default=200, help="requests of each kind per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.count, args.rounds))
