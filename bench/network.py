"""Benchmark: 网络查控 end to end. N vehicle inquiries filed at a steady rate to the five cities' courts while
network-dispatch runs them through the registry simulator (realistic behaviour: latency 50-400 ms, 30 %
answered by callback into the web app, 3 % errors and 2 % time-outs retried by Prefect).

Not a test; prints numbers. Creates its own PostgreSQL databases on 127.0.0.1:5432 (ours and the Prefect
server's, both dropped afterwards), a Prefect server on PostgreSQL (`prefect server start` in a subprocess, as
production runs it; `--prefect-db sqlite`: the SQLite-backed test server, prefect_test_harness, instead), the
simulator and the web app (callbacks) on loopback.
Prints: time from submission to result (p50, p95, max), throughput, and the cost per flow run (CPU seconds of
this process, which hosts every run and files the inquiries, and of the Prefect server; Prefect task runs per
flow run).
Usage: .venv/bin/python bench/network.py [--inquiries 1000] [--rate 10] [--max-runs 20] [--budget-seconds 900]
    [--prefect-db postgresql|sqlite]

The machine is shared: with --budget-seconds the bench stops filing once the matters still open could not be
finished within the budget at the completion rate measured so far, says so with the numbers, and measures the
inquiries it did file (the largest run that fits).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="jd-bench-prefect-"))
os.environ.pop("PREFECT_API_URL", None)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"

from sqlalchemy import func
from sqlmodel import col, select

from delegation.core.access import Actor, UserRole
from delegation.core.states import Action
from delegation.handling import commands
from delegation.handling.service import DraftInput, create_draft, perform
from delegation.refdata.service import load_reference
from delegation.store.context import Context
from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import DelegationRow, DocumentRow, EventRow, NetworkJobRow
from jiaodong.cli.database import upgrade_database
from jiaodong.registry_sim import Behaviour, create_sim_app
from tests.databases import PG_ADMIN_URL, pg_admin
from tests.network_support import free_port, served

SECRET = "bench-registry-secret-0123456789"
# (requesting court, assisting court): each of the five cities asked by another one.
PAIRS = [("鲁0202", "鲁0602"), ("鲁0602", "鲁0202"), ("鲁0702", "鲁1002"), ("鲁1002", "鲁1102"), ("鲁1102", "鲁0702")]
DOCUMENTS = ("letter_of_delegation", "assistance_notice", "officer_credentials")


def id_number(n: int) -> str:
    body = f"370202198{n % 10}{(n % 12) + 1:02d}{(n % 27) + 1:02d}{n % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


async def file_one(sessions: object, ref: object, n: int) -> None:
    requesting, assisting = PAIRS[n % len(PAIRS)]
    officer = Actor(f"bench-{requesting}", requesting, frozenset({UserRole.REQUESTING_OFFICER}))
    now = datetime.now(UTC)
    async with sessions() as session:  # type: ignore[operator]
        ctx = Context(session, ref, officer, now)  # type: ignore[arg-type]
        draft = DraftInput(
            case_number=f"（2026）{requesting}执{n + 1}号",
            assisting_court=assisting,
            matter_type="vehicle_inquiry",
            fields={"note": "请查询被执行人名下车辆"},
            parties=[
                {
                    "role": "applicant",
                    "party_type": "legal_person",
                    "name": "青岛海联贸易有限公司",
                    "uscc": "91350100M000100Y43",
                },
                {"role": "debtor", "party_type": "natural_person", "name": f"被执行人{n}", "id_number": id_number(n)},
            ],
        )
        row = (await create_draft(ctx, draft)).row
        ident = row.id or 0
        for kind in DOCUMENTS:
            session.add(
                DocumentRow(
                    delegation_id=ident,
                    kind=kind,
                    filename=f"{kind}.pdf",
                    content_type="application/pdf",
                    size=10,
                    sha256=uuid.uuid4().hex * 2,
                    storage_key=f"bench/{uuid.uuid4().hex}",
                    uploaded_by=officer.username,
                    uploaded_court=requesting,
                    uploaded_at=now,
                )
            )
        await session.commit()
        await perform(ctx, ident, Action.SUBMIT, 1, commands.Plain())


def cpu_seconds_of_children() -> float:
    """CPU seconds (user + system) of this process's descendants now alive: the Prefect server."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    ours, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier and pid not in ours}
        ours |= frontier
    return sum(times[pid] for pid in ours)


@contextmanager
def prefect_server(kind: str) -> Iterator[None]:
    """PREFECT_API_URL pointing at a fresh Prefect server for the duration: on PostgreSQL (its own database,
    created here and dropped afterwards; `prefect server start` in a subprocess), or the SQLite test harness."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    if kind == "sqlite":
        with prefect_test_harness(server_startup_timeout=120):
            yield
        return
    import httpx

    name = f"jd_bench_prefect_{uuid.uuid4().hex[:8]}"
    asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    home = tempfile.mkdtemp(prefix="jd-bench-prefect-server-")
    env = dict(
        os.environ,
        PREFECT_HOME=home,
        PREFECT_SERVER_DATABASE_CONNECTION_URL=PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    env.pop("PREFECT_API_URL", None)
    log = open(Path(home) / "server.log", "ab")  # noqa: SIM115 (open for the server's life)
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not start (log in {home}/server.log)")
            time.sleep(0.5)
        os.environ["PREFECT_API_URL"] = api_url
        with temporary_settings({PREFECT_API_URL: api_url}):
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def main(args: argparse.Namespace) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    from api.app import create_app
    from delegation.network import service as network
    from delegation.network.model import BusinessHours, ConnectorConfig, RegistryKind
    from flows.network import network_dispatch
    from jiaodong.registry_sim import endpoint_of
    from jiaodong.settings import Settings, get_settings

    name = f"jd_bench_network_{uuid.uuid4().hex[:8]}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    data = Path(tempfile.mkdtemp(prefix="jd-bench-data-"))
    try:
        await asyncio.to_thread(upgrade_database, url)
        os.environ.update(DATABASE_URL=url, JIAODONG_DATA_DIR=str(data), JIAODONG_BENCH_SECRET=SECRET)
        behaviour = Behaviour(timeout_sleep=6.0)  # the realistic defaults; a time-out is longer than the client's 3 s
        web = create_app(Settings(database_url=url, data_dir=data, secret_key="bench-secret-key-0123456789"))
        with (
            served(create_sim_app(SECRET, behaviour)) as sim,
            served(web) as app_url,
        ):
            os.environ["JIAODONG_NETWORK_CALLBACK_URL"] = f"{app_url}/api/v1/network/callbacks"
            os.environ["JIAODONG_NETWORK_POLL_SECONDS"] = "1"
            get_settings.cache_clear()
            engine = make_engine(url)
            sessions = make_sessionmaker(engine)
            async with sessions() as session:
                ref = await load_reference(session)
                admin = Context(
                    session, ref, Actor("bench", None, frozenset({UserRole.ADMIN})), datetime(2026, 1, 1, tzinfo=UTC)
                )
                for scope in ("鲁02", "鲁06", "鲁07", "鲁10", "鲁11"):
                    await network.save_connector(
                        admin,
                        ConnectorConfig(
                            scope=scope,
                            registry=RegistryKind.VEHICLE,
                            name=f"{scope}车管所（模拟）",
                            matter_types=("vehicle_inquiry",),
                            endpoint=endpoint_of(sim, scope, RegistryKind.VEHICLE),
                            secret_ref="env:JIAODONG_BENCH_SECRET",
                            rate_per_minute=6000,
                            max_in_flight=20,
                            request_timeout_seconds=3,
                            answer_timeout_seconds=120,
                            business_hours=BusinessHours(start="00:00", end="23:59", working_days_only=False),
                            auto_accept=True,
                        ),
                    )
            print(
                f"filing {args.inquiries} vehicle inquiries at {args.rate}/s; {args.max_runs} runs at once; "
                f"budget {args.budget_seconds:.0f} s; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
                flush=True,
            )
            cpu0, server_cpu0, wall0 = time.process_time(), cpu_seconds_of_children(), time.monotonic()

            filed = 0
            stop_reason = ""

            async def finished_jobs() -> int:
                async with sessions() as session:
                    return (
                        await session.exec(
                            select(func.count())
                            .select_from(NetworkJobRow)
                            .where(col(NetworkJobRow.status).in_(("done", "handed_back")))
                        )
                    ).one()

            async def submitter() -> None:
                nonlocal filed, stop_reason
                for n in range(args.inquiries):
                    elapsed = time.monotonic() - wall0
                    if args.budget_seconds and n and n % 10 == 0 and elapsed > 60:
                        finished = await finished_jobs()
                        still_open = n - finished
                        rate = finished / elapsed
                        drain = (still_open + 1) / rate if rate > 0 else float("inf")
                        if finished >= 10 and elapsed + drain > args.budget_seconds:
                            stop_reason = (
                                f"stopped filing at {n} of {args.inquiries} after {elapsed:.0f} s: {finished} finished "
                                f"so far ({rate:.2f} matters/s), {still_open} still open would need "
                                f"{drain:.0f} s more, past the {args.budget_seconds:.0f} s budget; at that rate "
                                f"{args.inquiries} would take about {args.inquiries / rate / 60:.0f} min"
                            )
                            print(stop_reason, flush=True)
                            return
                    await file_one(sessions, ref, n)
                    filed = n + 1
                    # On a schedule (the n-th at n / rate s), so the time filing takes is not added to the gaps.
                    await asyncio.sleep(max(0.0, wall0 + filed / args.rate - time.monotonic()))

            async def dispatcher() -> None:
                while True:
                    await network_dispatch(watch_seconds=30, every_seconds=1, max_runs=args.max_runs, limit=500)
                    async with sessions() as session:
                        open_jobs = (
                            await session.exec(
                                select(func.count())
                                .select_from(NetworkJobRow)
                                .where(col(NetworkJobRow.status).in_(("queued", "running", "recorded")))
                            )
                        ).one()
                        total = (await session.exec(select(func.count()).select_from(NetworkJobRow))).one()
                    if (total >= args.inquiries or (stop_reason and total >= filed)) and open_jobs == 0:
                        return

            await asyncio.gather(submitter(), dispatcher())
            wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
            server_cpu = cpu_seconds_of_children() - server_cpu0
            async with sessions() as session:
                submitted = {d.id: d.submitted_at for d in await session.exec(select(DelegationRow))}
                done = {
                    e.delegation_id: e.at
                    for e in await session.exec(select(EventRow).where(EventRow.action == "complete"))
                }
                jobs = list(await session.exec(select(NetworkJobRow)))
            seconds = sorted((done[d] - submitted[d]).total_seconds() for d in done if submitted.get(d))
            handed = [j for j in jobs if j.status == "handed_back"]
            async with get_client() as client:
                count_runs = await client.count_flow_runs(
                    flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_="-inquire"))
                )
                count_tasks = (await client._client.post("/task_runs/count", json={})).json()
            q = statistics.quantiles(seconds, n=100)
            print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            if stop_reason:
                print(f"measured {filed} inquiries, not {args.inquiries}: {stop_reason}")
            print(f"completed by network: {len(done)} of {filed}; handed back: {len(handed)}")
            print(f"time to result: p50 {q[49]:.1f} s, p95 {q[94]:.1f} s, max {seconds[-1]:.1f} s")
            print(f"throughput: {len(done) / wall:.2f} matters/s ({wall:.0f} s wall for {filed})")
            print(
                f"cost per flow run: {cpu / max(count_runs, 1) * 1000:.0f} ms CPU of this process (filing included), "
                f"{server_cpu / max(count_runs, 1) * 1000:.0f} ms CPU of the Prefect server ({args.prefect_db}), "
                f"{count_tasks / max(count_runs, 1):.1f} task runs; {count_runs} network-control runs"
            )
            await engine.dispose()
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inquiries", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0, help="inquiries filed per second")
    parser.add_argument("--max-runs", type=int, default=20, help="network-control runs at once")
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=900.0,
        help="stop filing when the open matters could not finish within this (0: no budget)",
    )
    parser.add_argument(
        "--prefect-db",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="the Prefect server's database: PostgreSQL (prefect server start) or the SQLite test harness",
    )
    arguments = parser.parse_args()
    with prefect_server(arguments.prefect_db):
        asyncio.run(main(arguments))
