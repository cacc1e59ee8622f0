"""Browser stories: the app served by uvicorn on 127.0.0.1 (a free port, in a thread) over a fresh SQLite
database with the demo users and demo delegations, driven by Playwright in Debian's Chromium.

Time is the test's: the app takes `now` from its clock dependency, which these tests set (an override on
the app object, so nothing in production can reach it). Screenshots of every page go to
test-artifacts/e2e/ (gitignored); docs/screenshots/ holds a copy of the current ones.
Never downloads a browser: without /usr/bin/chromium the stories are skipped (under CI=true: failed).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn

from api.app import create_app
from api.deps import get_now
from delegation.core.clocks import SHANGHAI
from jiaodong.cli.database import upgrade_database
from jiaodong.demo.seeder import DEMO_PASSWORD, seed
from jiaodong.settings import Settings
from tests.e2e.accessibility import CHECKED, SERVED_APPS, write_report

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
SEED_NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday
PASSWORD = DEMO_PASSWORD
T = TypeVar("T")


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


@dataclass
class Clock:
    now: datetime = SEED_NOW

    def set(self, day: str, hm: str = "10:00") -> None:
        moment = at(day, hm)
        assert moment >= self.now, "time only moves forward in a story"
        self.now = moment


@dataclass
class LiveServer:
    base_url: str
    clock: Clock
    database_url: str
    data_dir: Path
    app: Any = None
    shots: list[str] = field(default_factory=list)


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a fresh loop in another thread (Playwright's sync API owns this
    thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def artifacts() -> Iterator[Path]:
    """test-artifacts/e2e/, emptied once per run; the accessibility report is written there at the end."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    yield ARTIFACTS
    if CHECKED:
        write_report(ARTIFACTS / "accessibility.json")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[LiveServer]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does it with apt)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    data_dir = tmp_path_factory.mktemp("e2e")
    url = f"sqlite+aiosqlite:///{data_dir / 'e2e.sqlite3'}"
    upgrade_database(url)
    run_async(lambda: seed(url, now=SEED_NOW, data_dir=data_dir))
    clock = Clock()
    app = create_app(Settings(database_url=url, data_dir=data_dir, secret_key="e2e-secret-key"))
    app.dependency_overrides[get_now] = lambda: clock.now
    SERVED_APPS.append(app)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", clock, url, data_dir, app)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser(live_server: LiveServer) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "after_all_stories: runs after every other browser test (coverage checks)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked after_all_stories go last, whatever the file names of new stories."""
    items.sort(key=lambda item: item.get_closest_marker("after_all_stories") is not None)
