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
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.db import make_engine, make_sessionmaker

PG_ADMIN_URL = os.environ.get("JIAODONG_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
# PostgreSQL runs are marked `pg`, so `-m "not pg"` (scripts/test --fast) keeps the SQLite half.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]

# Folders whose every test is slow or end to end (markers: pyproject.toml [tool.pytest.ini_options]).
_FOLDER_MARKS = {"e2e": ("e2e", "browser", "slow"), "flows": ("slow",)}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.path)).parts
        folder = parts[parts.index("tests") + 1] if "tests" in parts else ""
        for name in _FOLDER_MARKS.get(folder, ()):
            item.add_marker(name)


async def _pg_admin(sql: str) -> None:
    engine = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


def _create_pg_database(name: str) -> str:
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server, refused, auth: all mean "no PostgreSQL here"
        message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({type(exc).__name__}: {exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; under CI=true this is a failure", pytrace=False)
        pytest.skip(
            message + "; start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _migrate(url: str) -> None:
    from jiaodong.cli import upgrade_database

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
    url = _create_pg_database(name)
    try:
        _migrate(url)
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_all_tables(engine: AsyncEngine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))


@pytest_asyncio.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the run's database, emptied before each test."""
    engine = make_engine(database_url)
    await _empty_all_tables(engine)
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
