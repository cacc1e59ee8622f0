"""Shared fixtures: a fresh database per test run on each backend, migrated with Alembic.

PostgreSQL: a new database named after this run on 127.0.0.1:5432, dropped at the end. Missing PostgreSQL
skips those tests with a message, except under CI=true where it fails the run.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.db import make_engine, make_sessionmaker
from tests.databases import create_pg_database, empty_all_tables, pg_admin

# PostgreSQL runs are marked `pg`, so `-m "not pg"` (scripts/test --fast) keeps the SQLite half.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]

# Folders whose every test is slow or end to end (markers: pyproject.toml [tool.pytest.ini_options]).
_FOLDER_MARKS = {"e2e": ("e2e", "browser", "slow"), "flows": ("slow",)}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's, which reads the xdist_group marks set here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test of PostgreSQL's own behaviour (marker postgres_only) has no SQLite half: deselected, not skipped.
    sqlite_halves = [item for item in items if item.get_closest_marker("postgres_only") and _on_sqlite(item)]
    if sqlite_halves:
        config.hook.pytest_deselected(items=sqlite_halves)
        items[:] = [item for item in items if item not in sqlite_halves]
    for item in items:
        parts = Path(str(item.path)).parts
        folder = parts[parts.index("tests") + 1] if "tests" in parts else ""
        for name in _FOLDER_MARKS.get(folder, ()):
            item.add_marker(name)
        if folder == "e2e":
            # One worker under pytest-xdist (`--dist loadgroup`, scripts/test): the browser stories share one live
            # server, and the tour's last test checks the pages every story visited in that process.
            item.add_marker(pytest.mark.xdist_group("e2e"))


def _on_sqlite(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_url") == "sqlite"


def _migrate(url: str) -> None:
    from jiaodong.cli.database import upgrade_database

    upgrade_database(url)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database per backend for the whole run."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        _migrate(url)
        yield url
        return
    name = f"jd_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = create_pg_database(name)
    try:
        _migrate(url)
        yield url
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest_asyncio.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the run's database, emptied before each test."""
    engine = make_engine(database_url)
    await empty_all_tables(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest_asyncio.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session
