"""The flow runner of `jiaodong serve` against a real Prefect server that is absent when serve starts and
appears later: serve answers meanwhile (not ready), the supervised runner connects once Prefect is up, and the
next sweep runs through Prefect and fires the rungs due in our database."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from delegation.refdata.service import load_reference
from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import ClockRungRow
from flows.deployments import served_name_suffix
from tests.faults.conftest import ROOT, environment, free_port, jiaodong
from tests.sla_support import add_users, at, filed

pytestmark = pytest.mark.faults


def _until(condition: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:]
            raise AssertionError(f"{what} not reached in {timeout:.0f} s; log:\n{tail}")
        time.sleep(0.5)


def _runner_state(base_url: str) -> str | None:
    try:
        body = httpx.get(f"{base_url}/readyz", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return None
    return str(body.get("checks", {}).get("flow_runner", {}).get("state"))


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 (the child's log)
    return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(5)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in reversed(started):
            _stop(process)


def test_the_runner_waits_for_an_absent_prefect_and_the_next_sweep_runs_once_it_appears(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'jiaodong.db'}"
    prefect_port = free_port()
    api_url = f"http://127.0.0.1:{prefect_port}/api"
    prefect_env = {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(prefect_port),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
    }
    env = environment(database_url, tmp_path / "data", **prefect_env)
    assert jiaodong(["db", "upgrade"], env).returncode == 0

    async def a_matter_due_for_signing() -> int:  # the only one: its rungs are the only ones
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                await add_users(session)
                row = await filed(session, await load_reference(session), at("2026-03-02"))  # sign for by 03-04
                return row.id or 0
        finally:
            await engine.dispose()

    assert asyncio.run(a_matter_due_for_signing()) > 0

    # serve first, with PREFECT_API_URL pointing at nothing yet
    serve_port = free_port()
    serve_log = tmp_path / "serve.log"
    serve_argv = [sys.executable, "-c", "from jiaodong.cli.main import main; main()", "serve"]
    serve_argv += ["--port", str(serve_port), "--register-deployments"]
    processes.append(_start(serve_argv, env, serve_log))
    base_url = f"http://127.0.0.1:{serve_port}"
    _until(lambda: _runner_state(base_url) == "waiting_for_prefect", 60, "serve up, runner waiting", serve_log)
    assert httpx.get(f"{base_url}/readyz", timeout=5).status_code == 503  # not ready without its runner
    assert httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200  # but alive and answering

    # then Prefect appears
    prefect_log = tmp_path / "prefect.log"
    prefect_argv = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    prefect_argv += ["--port", str(prefect_port)]
    processes.append(_start(prefect_argv, env, prefect_log))
    _until(lambda: _runner_state(base_url) == "running", 120, "the runner connected", serve_log)

    # the next sweep runs through Prefect (the served deployment, at a moment the rungs are due)
    deployment = f"sla-watch/sla-watch{served_name_suffix(api_url, socket.gethostname())}"

    async def sweep_through_prefect() -> str:
        from prefect.deployments import run_deployment

        deadline = time.monotonic() + 120
        while True:  # the runner registers its deployments a moment after it starts
            try:
                run = await run_deployment(
                    deployment, parameters={"now": at("2026-03-09", "08:30").isoformat()}, timeout=120
                )
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)
                continue
            state = run.state.type.value if run.state else "none"
            # A scheduled sweep (every minute) may hold the deployment's one slot: ours is cancelled (CANCEL_NEW)
            if state != "CANCELLED" or time.monotonic() > deadline:
                return state
            await asyncio.sleep(2)

    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        state = asyncio.run(sweep_through_prefect())
    assert state == "COMPLETED", serve_log.read_text(errors="replace")[-3000:]

    async def fired() -> list[str]:
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return sorted(r.rung for r in await session.exec(select(ClockRungRow)))
        finally:
            await engine.dispose()

    rungs = asyncio.run(fired())
    # The missed rungs fire together, each once. A scheduled sweep (every minute, at today's date) may have run
    # before ours or held the slot: it also fires the 报请协调 rung, which 2026-03-09 does not reach.
    assert {"due_soon", "overdue", "supervise"} <= set(rungs) <= {"due_soon", "overdue", "supervise", "escalate"}
    assert len(rungs) == len(set(rungs))
