"""The migrations and the tables agree, on both databases: no drift between SQLModel.metadata and what
`alembic upgrade head` builds, and every migration downgrades and upgrades again."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import delegation.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from delegation.store.db import make_engine
from jiaodong.cli.database import alembic_config
from tests.databases import create_pg_database, pg_admin

# Objects only the migrations create, on purpose, with why.
MIGRATION_ONLY = {
    "ix_delegation_search_trgm": "PostgreSQL trigram (pg_trgm GIN) index for the text search; no SQLite equivalent",
    "ix_delegation_search_keys_trgm": "PostgreSQL trigram index for the exact identifier search (LIKE '% key %')",
    "ix_delegation_number_trgm": "PostgreSQL trigram index: the search box on the platform number, in part",
    "ix_delegation_handler_trgm": "PostgreSQL trigram index: the search box on the handler's name, in part",
}


def _compared(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "index" and name in MIGRATION_ONLY)


def _drift(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "render_as_batch": connection.dialect.name == "sqlite",
            "include_object": _compared,
        },
    )
    return list(compare_metadata(context, SQLModel.metadata))


async def _differences(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_drift)
    finally:
        await engine.dispose()


async def _table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def test_the_migrations_build_exactly_the_tables_of_the_code(database_url: str) -> None:
    """database_url is migrated with `alembic upgrade head` (conftest); autogenerate finds nothing to add."""
    assert asyncio.run(_differences(database_url)) == []


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.sqlite3'}"
        return
    name = f"jd_migrate_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = create_pg_database(name)
    try:
        yield url
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_every_migration_downgrades_and_upgrades_again(fresh_url: str) -> None:
    config = alembic_config(fresh_url)
    command.upgrade(config, "head")
    tables = asyncio.run(_table_names(fresh_url))
    assert set(SQLModel.metadata.tables) <= tables
    command.downgrade(config, "base")
    assert asyncio.run(_table_names(fresh_url)) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert asyncio.run(_table_names(fresh_url)) == tables
    assert asyncio.run(_differences(fresh_url)) == []
