"""The flow runner under supervision (`jiaodong serve`): it starts whether or not Prefect answers, waits for
Prefect with backoff, restarts the runner when it dies, and reports its state to `/readyz` and the log.

A thread of the serving process: it only starts, watches and stops child processes and never touches the
web app's event loop; `probe()` is cheap and safe from any thread.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

STABLE_SECONDS = 60.0  # a runner up this long has its backoff reset
# Asking an absent Prefect whether it is up is one cheap request: at most this long apart, so a server that
# comes up (the embedded one takes 20-60 s) is found within seconds, not after a 30 s backoff step.
WAIT_CAP_SECONDS = 5.0


@dataclass
class Backoff:
    first: float = 1.0
    cap: float = 30.0
    current: float = 0.0

    def next(self) -> float:
        self.current = self.first if self.current == 0 else min(self.cap, self.current * 2)
        return self.current

    def reset(self) -> None:
        self.current = 0.0


def prefect_healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class RunnerSupervisor:
    """Keeps `argv` (the flow runner) running while the Prefect API at `api_url` answers."""

    api_url: str
    argv: Sequence[str]
    env: dict[str, str]
    log_path: Path
    say: Callable[[str], None]
    start_child: Callable[[Sequence[str], dict[str, str], Path], subprocess.Popen[bytes]]
    stop_child: Callable[[subprocess.Popen[bytes]], None]
    is_healthy: Callable[[str], bool] = prefect_healthy
    backoff: Backoff = field(default_factory=Backoff)
    poll_seconds: float = 0.5
    state: str = "starting"
    restarts: int = 0
    detail: str = ""
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _child: subprocess.Popen[bytes] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # With several web workers (`jiaodong serve --workers N`) /readyz is answered in other processes: each
    # state is also written here, and read back by `probe_file`.
    state_file: Path | None = None

    # ------------------------------------------------------------ what /readyz sees

    def probe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "state": self.state,
                "alive": self.state == "running",
                "restarts": self.restarts,
                "since": self.since.isoformat(),
                "detail": self.detail,
            }

    def _set(self, state: str, detail: str = "") -> None:
        with self._lock:
            changed = state != self.state or detail != self.detail
            self.state, self.detail = state, detail
            if changed:
                self.since = datetime.now(UTC)
        if changed:
            self.say(f"flow runner: {state}" + (f" ({detail})" if detail else ""))
            self._write_state()

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        partial = self.state_file.with_name(self.state_file.name + ".tmp")
        partial.write_text(json.dumps(self.probe()), encoding="utf-8")
        partial.replace(self.state_file)  # atomic: a reader sees the old state or the new one

    # ------------------------------------------------------------ the loop

    def start(self) -> None:
        self._write_state()
        self._thread = threading.Thread(target=self._run, name="flow-runner-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        child = self._child
        if child is not None:
            self.stop_child(child)
        self._set("stopped")

    def _wait(self, seconds: float) -> bool:
        """Sleep unless stopping; True when stopping."""
        return self._stopping.wait(seconds)

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self.is_healthy(self.api_url):
                delay = min(self.backoff.next(), WAIT_CAP_SECONDS)
                self._set("waiting_for_prefect", f"{self.api_url} does not answer; next try in {delay:.0f} s")
                if self._wait(delay):
                    return
                continue
            self.backoff.reset()
            child = self.start_child(self.argv, self.env, self.log_path)
            self._child = child
            started = time.monotonic()
            self._set("running", f"pid {child.pid}")
            while not self._stopping.is_set() and child.poll() is None:
                self._wait(self.poll_seconds)
            if self._stopping.is_set():
                return
            self._child = None
            if time.monotonic() - started > STABLE_SECONDS:
                self.backoff.reset()
            with self._lock:
                self.restarts += 1
            delay = self.backoff.next()
            self._set("restarting", f"exited with {child.returncode}; restart in {delay:.0f} s (see {self.log_path})")
            if self._wait(delay):
                return


def probe_file(path: Path) -> Callable[[], dict[str, Any]]:
    """The runner's state as the supervising process last wrote it (RunnerSupervisor.state_file), for /readyz
    in a web worker process; a missing or unreadable file reads as unknown, not alive."""

    def probe() -> dict[str, Any]:
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"state": "unknown", "alive": False, "restarts": 0, "since": None, "detail": f"no state in {path}"}
        return found if isinstance(found, dict) else {"state": "unknown", "alive": False}

    return probe
