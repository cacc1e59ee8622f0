"""schemathesis, as an integrator would run it: the command line against `uvicorn` serving the app on
PostgreSQL with the demo matters, authenticated as a requesting officer and (for the assisting court's
actions) an assisting clerk, with every check, and its stateful phase following the document's links
(create -> submit -> sign-for -> ...). It must find nothing. tests/api/schemathesis.toml holds the run's
configuration and says where a check's expectation is widened, and why.

Bounded: a few examples per operation (JIAODONG_SCHEMATHESIS_EXAMPLES, default 3), two workers, one seed.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from delegation.accounts import auth as auth_service
from delegation.accounts import users as user_service
from delegation.refdata.service import load_reference
from delegation.store.db import make_engine, make_sessionmaker
from jiaodong.cli.database import upgrade_database
from jiaodong.demo import seeder as demo
from tests.api.actors import password_hash
from tests.databases import create_pg_database, pg_admin

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = os.environ.get("JIAODONG_SCHEMATHESIS_EXAMPLES", "3")
pytestmark = [pytest.mark.pg, pytest.mark.slow]  # a live server on PostgreSQL, minutes: not the inner loop

OFFICER, CLERK = "shinan-officer", "zhifu-clerk"  # 市南 (Qingdao) requests, 芝罘 (Yantai) assists


@pytest.fixture
def demo_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"jd_schemathesis_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = create_pg_database(name)
    try:
        upgrade_database(url)
        yield url
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _seed(url: str, data_dir: Path) -> dict[str, str]:
    now = datetime.now(UTC)
    await demo.seed(url, now=now, data_dir=data_dir)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            ref = await load_reference(session)
            tokens = {}
            for user in (OFFICER, CLERK):
                token, _row = await auth_service.create_token(
                    session, ref, now, username=user, name="schemathesis", created_by="tests"
                )
                tokens[user] = token
            return tokens
    finally:
        await engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(base: str, server: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        assert server.poll() is None, "uvicorn exited before it answered"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("uvicorn did not become ready")


def test_schemathesis_with_every_check_as_officer_and_clerk_over_demo_matters_finds_nothing(
    demo_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(user_service, "hash_password", lambda _password: password_hash())  # argon2 is slow
    tokens = asyncio.run(_seed(demo_database, tmp_path))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "JIAODONG_DATABASE_URL": demo_database,
        "JIAODONG_DATA_DIR": str(tmp_path),
        "JIAODONG_SECRET_KEY": uuid.uuid4().hex,
        "JD_OFFICER_TOKEN": tokens[OFFICER],
        "JD_CLERK_TOKEN": tokens[CLERK],
    }
    server = subprocess.Popen(
        [str(bin_dir / "uvicorn"), "api.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(base, server, time.monotonic() + 120)
        command = [
            str(bin_dir / "schemathesis"),
            "--no-color",
            "--config-file",
            str(CONFIG),
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            EXAMPLES,
            "--output-truncate",
            "false",
        ]
        # In the test's folder: schemathesis keeps a cache where it runs.
        run = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False)
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = run.stdout + run.stderr
    (tmp_path / "schemathesis.txt").write_text(output)
    failures = output.find("FAILURES")
    assert run.returncode == 0, output[failures:][:30000] if failures >= 0 else output[-5000:]
    summary = output[output.find("SUMMARY") :]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", output)
    assert links is not None and int(links.group(2)) >= 12, output  # the document's links, none inferred
    assert int(links.group(1)) >= 1, output  # the walk went from a created draft along a link
