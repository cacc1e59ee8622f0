"""The PostgreSQL pool's check at checkout (delegation.store.db): a connection whose server end went away (a
restart, a terminated backend) is replaced before the request uses it, with the rest of the pool, and a
connection in steady use is handed out without a round trip of its own."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from delegation.store.db import make_engine
from jiaodong.settings import Settings
from tests.databases import PG_ADMIN_URL, create_pg_database, pg_admin

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_url() -> Iterator[str]:
    name = f"jd_test_pool_{uuid.uuid4().hex[:8]}"
    url = create_pg_database(name)
    yield url
    asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _count_pings(engine: AsyncEngine) -> list[Any]:
    """The connections pinged from now on (the dialect's do_ping, which SQLAlchemy's pre-ping uses too)."""
    pings: list[Any] = []
    dialect = engine.dialect
    ping = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    dialect.do_ping = counted  # type: ignore[method-assign]
    return pings


async def _backend_pids(engine: AsyncEngine, count: int) -> list[int]:
    """Check out `count` connections at once (so the pool holds that many) and return their backends."""
    connections = [await engine.connect() for _ in range(count)]
    try:
        return [(await c.execute(text("SELECT pg_backend_pid()"))).scalar_one() for c in connections]
    finally:
        for c in connections:
            await c.close()


async def _terminated(pids: list[int]) -> None:
    """Terminate these backends and wait until they are gone, then let the event loop read the closed sockets."""
    await pg_admin(f"SELECT pg_terminate_backend(pid) FROM unnest(ARRAY{pids}) AS pid")
    engine = make_engine(PG_ADMIN_URL)
    try:
        deadline = time.monotonic() + 30
        async with engine.connect() as connection:
            while time.monotonic() < deadline:
                query = text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)").bindparams(pids=pids)
                if (await connection.execute(query)).scalar_one() == 0:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"backends {pids} still running")
    finally:
        await engine.dispose()
    for _ in range(3):
        await asyncio.sleep(0)


def test_connections_the_database_closed_are_replaced_at_checkout_and_the_request_succeeds(pg_url: str) -> None:
    async def scenario() -> None:
        engine = make_engine(pg_url, pool_size=2)
        try:
            first = await _backend_pids(engine, 2)
            await _terminated(first)
            async with engine.connect() as connection:  # no error: the dead connection was replaced
                pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert pid not in first
            later = await _backend_pids(engine, 2)  # the other dead one went with the pool
            assert set(later).isdisjoint(first)
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_a_connection_in_steady_use_is_handed_out_without_a_ping(pg_url: str) -> None:
    async def scenario() -> list[Any]:
        engine = make_engine(pg_url, pool_size=1)
        pings = _count_pings(engine)
        try:
            for _ in range(5):
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        finally:
            await engine.dispose()
        return pings

    assert asyncio.run(scenario()) == []


def test_a_connection_idle_for_long_is_pinged_at_checkout(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("delegation.store.db.PING_AFTER_IDLE_SECONDS", -1.0)  # every checkout counts as long idle

    async def scenario() -> int:
        engine = make_engine(pg_url, pool_size=1)
        pings = _count_pings(engine)
        try:
            for _ in range(3):
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        finally:
            await engine.dispose()
        return len(pings)

    assert asyncio.run(scenario()) == 2  # not the first checkout: a new connection needs no ping


def test_a_web_process_keeps_a_connection_for_each_of_8_requests_in_flight_instead_of_reopening_them(
    pg_url: str,
) -> None:
    """The web runtime's pool (Settings.pool_options): with SQLAlchemy's default of 5, the 6th to 8th concurrent
    requests opened a connection each (a new backend, a TLS handshake) and closed it when they ended, again and
    again under steady load; with the default of 10, the 8 connections stay open for the next requests."""

    async def kept_after_bursts(settings: Settings) -> tuple[int, int]:
        engine = make_engine(pg_url, **settings.pool_options())
        try:
            first = await _backend_pids(engine, 8)
            second = await _backend_pids(engine, 8)
            return len(set(first) & set(second)), engine.pool.checkedin()  # type: ignore[attr-defined]
        finally:
            await engine.dispose()

    default = Settings(database_url=pg_url)
    assert asyncio.run(kept_after_bursts(default)) == (8, 8)
    sqlalchemy_default = Settings(database_url=pg_url, database_pool_size=5, database_max_overflow=10)
    assert asyncio.run(kept_after_bursts(sqlalchemy_default)) == (5, 5)
