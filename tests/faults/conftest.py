"""Fault tests: real processes on loopback, bounded in time (marker `faults`, run by CI with the rest).

`postgres`: a throwaway PostgreSQL cluster (initdb + pg_ctl into a temporary folder, on a free port) that a
test may stop and start; `serve`: `jiaodong serve --no-flows` against it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from delegation.store.db import make_engine, make_sessionmaker
from tests.api.actors import add_users, at

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.faults


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        message = "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found[-1].parent


def as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: its tools run as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class ThrowawayPostgres:
    work: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.work / "pg"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/jiaodong"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            as_postgres([str(pg_bin() / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def init(self) -> None:
        self.data.mkdir()
        sockets = self.work / "socket"
        sockets.mkdir()
        if os.geteuid() == 0:
            for path in (self.work, self.data, sockets):
                shutil.chown(path, "postgres")
        subprocess.run(
            as_postgres([str(pg_bin() / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.options = f"-p {self.port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.start()
        subprocess.run(
            [str(pg_bin() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "jiaodong"],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        self._pg_ctl("-o", self.options, "-l", str(self.work / "postgres.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "stop")

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                as_postgres([str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                check=False,
            )


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    bindir = pg_bin()
    assert (bindir / "pg_ctl").exists()
    work = Path(tempfile.mkdtemp(prefix="jd-faults-", dir="/tmp"))  # not under pytest's root-only folder
    cluster = ThrowawayPostgres(work)
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.close()
        shutil.rmtree(work, ignore_errors=True)


def jiaodong(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", "from jiaodong.cli.main import main; main()", *args]
    return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)


def environment(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "JIAODONG_")) and k != "DATABASE_URL"}
    env.update(DATABASE_URL=database_url, JIAODONG_DATA_DIR=str(data_dir), JIAODONG_SECRET_KEY=secrets.token_hex(32))
    env.update(extra)
    return env


def migrated_with_users(database_url: str, env: dict[str, str]) -> dict[str, str]:
    """Apply the migrations (the command line) and add the test users; returns a bearer token per user."""
    done = jiaodong(["db", "upgrade"], env)
    assert done.returncode == 0, done.stderr

    async def users() -> dict[str, str]:
        engine = make_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"))
        try:
            return await add_users(make_sessionmaker(engine), at("2026-03-02"))
        finally:
            await engine.dispose()

    return asyncio.run(users())


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(env: dict[str, str], log: Path) -> Server:
    port = free_port()
    argv = [sys.executable, "-c", "from jiaodong.cli.main import main; main()"]
    argv += ["serve", "--no-flows", "--port", str(port)]
    out = open(log, "ab")  # noqa: SIM115 (the child's log)
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise AssertionError("jiaodong serve did not become ready: " + log.read_text(errors="replace")[-3000:])
