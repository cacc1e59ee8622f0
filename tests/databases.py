"""Database helpers shared by the fixtures and the tests that manage their own databases."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from delegation.store.db import make_engine

PG_ADMIN_URL = os.environ.get("JIAODONG_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


async def empty_all_tables(engine: AsyncEngine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            # The counting triggers (migration 0014) append to the counters while their tables are emptied.
            counters = ["status_count", "status_count_delta", "due_count", "due_count_delta"]
            for table in tables + counters:
                await connection.execute(text(f"DELETE FROM {table}"))


async def pg_admin(sql: str) -> None:
    engine = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


def create_pg_database(name: str) -> str:
    try:
        asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server, refused, auth: all mean "no PostgreSQL here"
        message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({type(exc).__name__}: {exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; under CI=true this is a failure", pytrace=False)
        pytest.skip(
            message + "; start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
