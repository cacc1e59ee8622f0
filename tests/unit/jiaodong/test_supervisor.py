"""The supervised flow runner: started although Prefect is absent, it waits with backoff, runs the runner
once Prefect answers, restarts it when it dies, and reports each state (real child processes, loopback)."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from jiaodong.serve import make_folders, spawn, stop_process
from jiaodong.settings import Settings
from jiaodong.supervisor import Backoff, RunnerSupervisor, probe_file


class FakePrefectHealth:
    """Prefect's /api/health on a fixed port, switched on later (absent at start)."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.server: ThreadingHTTPServer | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def appear(self) -> None:
        class Health(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if self.path == "/api/health" else 404)
                self.end_headers()
                self.wfile.write(b"true")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Health)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def prefect() -> Iterator[FakePrefectHealth]:
    health = FakePrefectHealth()
    yield health
    health.close()


def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_the_runner_waits_for_an_absent_prefect_runs_when_it_appears_and_restarts_when_it_dies(
    prefect: FakePrefectHealth, tmp_path: Path
) -> None:
    lines: list[str] = []
    # The runner: lives 1.5 s, then dies (as a crashed runner would).
    runner = [sys.executable, "-c", "import time; time.sleep(1.5); raise SystemExit(3)"]
    supervisor = RunnerSupervisor(
        api_url=prefect.api_url,
        argv=runner,
        env={},
        log_path=tmp_path / "prefect" / "runner.log",
        say=lines.append,
        start_child=spawn,
        stop_child=lambda p: stop_process("runner", p),
        backoff=Backoff(first=0.1, cap=0.4),
        poll_seconds=0.05,
    )
    supervisor.start()
    try:
        _until(lambda: supervisor.probe()["state"] == "waiting_for_prefect")
        assert supervisor.probe()["alive"] is False
        time.sleep(0.5)  # several tries with backoff, still waiting, never given up
        assert supervisor.probe()["state"] == "waiting_for_prefect"
        prefect.appear()
        _until(lambda: supervisor.probe()["state"] == "running")
        assert supervisor.probe()["alive"] is True
        _until(lambda: supervisor.probe()["restarts"] >= 1)  # it died and was started again
        _until(lambda: supervisor.probe()["state"] == "running")
    finally:
        supervisor.stop()
    assert supervisor.probe()["state"] == "stopped"
    assert any(line.startswith("flow runner: waiting_for_prefect") for line in lines)
    assert any("restarting (exited with 3" in line for line in lines)
    assert (tmp_path / "prefect" / "runner.log").exists()  # its folder was made for it


def test_serve_creates_every_folder_it_writes_to(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    make_folders(Settings(data_dir=data))
    assert (data / "prefect").is_dir() and (data / "reports").is_dir()


def test_with_several_web_workers_the_runner_state_reaches_readyz_through_a_file(
    prefect: FakePrefectHealth, tmp_path: Path
) -> None:
    """`jiaodong serve --workers N`: /readyz is answered in the worker processes, which read the state the
    supervisor writes at each change; no file yet reads as unknown, never as alive."""
    state_file = tmp_path / "runner-state.json"
    probe = probe_file(state_file)
    assert probe()["state"] == "unknown" and probe()["alive"] is False
    supervisor = RunnerSupervisor(
        api_url=prefect.api_url,
        argv=[sys.executable, "-c", "import time; time.sleep(30)"],
        env={},
        log_path=tmp_path / "runner.log",
        say=lambda _line: None,
        start_child=spawn,
        stop_child=lambda p: stop_process("runner", p),
        backoff=Backoff(first=0.1, cap=0.2),
        poll_seconds=0.05,
        state_file=state_file,
    )
    supervisor.start()
    try:
        _until(lambda: probe()["state"] == "waiting_for_prefect")
        prefect.appear()
        _until(lambda: probe()["state"] == "running")
        assert probe()["alive"] is True
        assert probe() == supervisor.probe()
    finally:
        supervisor.stop()
    assert probe()["state"] == "stopped" and probe()["alive"] is False
