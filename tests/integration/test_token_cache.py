"""The token cache on PostgreSQL, driven by its listener on a real database: a token read once is served from
memory; every committed change to a token or its user (service functions, plain SQL) empties the cache of every
process through NOTIFY; expiry is judged per request; while the listener is down every lookup reads the
database. Waits are on the cache's generation (the notification arrived), with a deadline, never on sleeps.

Each test writes its users and tokens before the listener listens: their own notifications would otherwise
arrive at any moment of the test and empty the cache it looks at."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts import auth as auth_service
from delegation.accounts import users as user_service
from delegation.accounts.auth import NotAuthenticated, Principal
from delegation.accounts.token_cache import TokenCache
from delegation.refdata.service import load_reference
from delegation.store import repository
from delegation.store.credential_changes import CHANNEL, CredentialListener, connect_args
from delegation.store.tables import UserRow
from tests.api.actors import at, password_hash, until

pytestmark = pytest.mark.postgres_only

NOW = at("2026-03-02")
WAIT_SECONDS = 5.0


@dataclass
class Cached:
    cache: TokenCache
    listener: CredentialListener
    sessions: async_sessionmaker[AsyncSession]
    gate: asyncio.Event  # cleared: the listener cannot reconnect (the database stays as it is)

    async def listen(self) -> None:
        self.listener.start()
        async with asyncio.timeout(WAIT_SECONDS):
            await self.listener.wait_listening()

    async def resolve(self, token: str, now: datetime = NOW) -> Principal:
        async with self.sessions() as session:
            return await auth_service.resolve_token(session, token, now, self.cache)

    async def heard(self, since: int) -> None:
        """Until a notification (or a reconnection) moved the generation past `since`."""
        await until(lambda: self.cache.generation != since)


@pytest_asyncio.fixture
async def cached(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Cached]:
    cache = TokenCache()
    gate = asyncio.Event()
    gate.set()
    options = connect_args(engine)

    async def connect() -> asyncpg.Connection:
        await gate.wait()
        return await asyncpg.connect(**options)

    listener = CredentialListener(connect, cache, backoff_seconds=0.01, backoff_max_seconds=0.05)
    try:
        yield Cached(cache, listener, sessions, gate)
    finally:
        await listener.stop()


async def _token(
    sessions: async_sessionmaker[AsyncSession], username: str = "zhifu-clerk", expires_at: datetime | None = None
) -> tuple[str, int]:
    async with sessions() as session:
        if await repository.get_user(session, username) is None:
            session.add(
                UserRow(
                    username=username,
                    display_name="芝罘区书记员",
                    court_code="鲁0602",
                    roles=["assisting_clerk"],
                    password_hash=password_hash(),
                    created_at=NOW,
                )
            )
            await session.commit()
        ref = await load_reference(session)
        token, row = await auth_service.create_token(
            session, ref, NOW, username=username, name="tests", created_by="tests", expires_at=expires_at
        )
        return token, row.id or 0


async def _cached_token(cached: Cached) -> tuple[str, int]:
    """A token resolved twice, with the listener listening: read from the database, then from memory."""
    token, token_id = await _token(cached.sessions)
    await cached.listen()
    await cached.resolve(token)
    principal = await cached.resolve(token)
    assert principal.actor.username == "zhifu-clerk" and cached.cache.hits == 1 and len(cached.cache) == 1
    return token, token_id


async def test_a_token_read_once_is_served_from_memory_the_second_time(cached: Cached) -> None:
    token, token_id = await _token(cached.sessions)
    await cached.listen()
    first = await cached.resolve(token)
    assert (cached.cache.hits, cached.cache.misses) == (0, 1)
    second = await cached.resolve(token)
    assert (cached.cache.hits, cached.cache.misses) == (1, 1)
    assert first == second and second.credential_id == token_id and second.via == "token"


async def test_an_unknown_token_is_refused_and_not_cached(cached: Cached) -> None:
    await cached.listen()
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            await cached.resolve("jdt_made_up")
    assert len(cached.cache) == 0 and cached.cache.hits == 0


async def test_a_revocation_through_the_service_refuses_the_cached_token_once_notified(cached: Cached) -> None:
    token, token_id = await _cached_token(cached)
    since = cached.cache.generation
    async with cached.sessions() as other:  # another session, another connection: as another worker would
        await auth_service.revoke_token(other, token_id, NOW)
    await cached.heard(since)
    with pytest.raises(NotAuthenticated, match="revoked or has expired"):
        await cached.resolve(token)


async def _deactivate(session: AsyncSession, _token_id: int) -> None:
    await user_service.set_active(session, "zhifu-clerk", False, NOW)


async def _move_court(session: AsyncSession, _token_id: int) -> None:
    await session.exec(text("UPDATE app_user SET court_code = '鲁0611' WHERE username = 'zhifu-clerk'"))  # type: ignore[call-overload]
    await session.commit()


async def _revoke_by_sql(session: AsyncSession, token_id: int) -> None:
    await session.exec(  # type: ignore[call-overload]
        text("UPDATE api_token SET revoked_at = now() WHERE id = :id").bindparams(id=token_id)
    )
    await session.commit()


async def _delete_by_sql(session: AsyncSession, token_id: int) -> None:
    await session.exec(text("DELETE FROM api_token WHERE id = :id").bindparams(id=token_id))  # type: ignore[call-overload]
    await session.commit()


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (_deactivate, "inactive"),
        (_move_court, "no longer belongs"),
        (_revoke_by_sql, "revoked"),
        (_delete_by_sql, "Unknown API token"),
    ],
    ids=["user deactivated", "user moved to another court", "revoked by plain SQL", "deleted by plain SQL"],
)
async def test_any_committed_change_to_the_token_or_its_user_empties_the_cache(
    cached: Cached, change: object, refusal: str
) -> None:
    token, token_id = await _cached_token(cached)
    since = cached.cache.generation
    async with cached.sessions() as other:
        await change(other, token_id)  # type: ignore[operator]
    await cached.heard(since)
    assert len(cached.cache) == 0
    with pytest.raises(NotAuthenticated, match=refusal):
        await cached.resolve(token)


async def test_an_uncommitted_change_does_not_notify(cached: Cached, engine: AsyncEngine) -> None:
    token, token_id = await _cached_token(cached)
    since = cached.cache.generation
    async with engine.connect() as connection:
        await connection.execute(text("UPDATE api_token SET revoked_at = now() WHERE id = :id"), {"id": token_id})
        await connection.rollback()
    # A committed change on the same channel afterwards: its notification is the first to arrive.
    async with engine.begin() as connection:
        await connection.execute(text("SELECT pg_notify(:channel, 'probe')"), {"channel": CHANNEL})
    await cached.heard(since)
    assert cached.cache.generation == since + 1  # only the probe's notification, none for the rolled-back UPDATE
    assert (await cached.resolve(token)).credential_id == token_id


async def test_expiry_is_judged_at_each_requests_now_on_the_cached_row(cached: Cached) -> None:
    token, _ = await _token(cached.sessions, expires_at=NOW + timedelta(hours=1))
    await cached.listen()
    await cached.resolve(token, NOW)
    await cached.resolve(token, NOW + timedelta(minutes=59))
    assert cached.cache.hits == 1
    with pytest.raises(NotAuthenticated, match="expired"):
        await cached.resolve(token, NOW + timedelta(hours=1))
    assert cached.cache.hits == 2  # refused on the cached row itself, without a change to any row


async def test_while_the_listener_is_down_lookups_read_the_database_and_honour_a_revocation(
    cached: Cached, engine: AsyncEngine
) -> None:
    other_token, _ = await _token(cached.sessions)
    token, token_id = await _cached_token(cached)
    cached.gate.clear()  # it may not reconnect until the test says so
    pid = cached.listener.backend_pid
    assert pid is not None
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})).scalar_one()
    await until(lambda: not cached.cache.enabled)
    assert len(cached.cache) == 0 and not cached.listener.listening

    hits = cached.cache.hits
    for _ in range(2):  # read from the database each time, and not stored
        assert (await cached.resolve(other_token)).actor.username == "zhifu-clerk"
    assert cached.cache.hits == hits and len(cached.cache) == 0
    async with cached.sessions() as other:  # nobody hears this one
        await auth_service.revoke_token(other, token_id, NOW)
    with pytest.raises(NotAuthenticated, match="revoked"):
        await cached.resolve(token)

    cached.gate.set()
    async with asyncio.timeout(WAIT_SECONDS):
        await cached.listener.wait_listening()
    assert cached.listener.connections == 2 and cached.cache.enabled
    with pytest.raises(NotAuthenticated, match="revoked"):
        await cached.resolve(token)
    await cached.resolve(other_token)
    await cached.resolve(other_token)
    assert cached.cache.hits == hits + 1  # caching again


async def test_a_listener_that_cannot_connect_leaves_the_cache_off_and_stops_cleanly(engine: AsyncEngine) -> None:
    cache = TokenCache()
    attempts: list[int] = []

    async def refused() -> asyncpg.Connection:
        attempts.append(1)
        raise OSError("connection refused")

    listener = CredentialListener(refused, cache, backoff_seconds=0.001, backoff_max_seconds=0.004)
    listener.start()
    await until(lambda: len(attempts) >= 3)
    assert not cache.enabled and not listener.listening
    await listener.stop()
    count = len(attempts)
    await asyncio.sleep(0.02)
    assert len(attempts) == count  # no retries after stop


def _migration_channel() -> str:
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0022_credential_change_notify.py"
    spec = importlib.util.spec_from_file_location("migration_0022", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.CHANNEL)


async def test_the_triggers_notify_the_channel_the_listener_listens_on(engine: AsyncEngine) -> None:
    assert _migration_channel() == CHANNEL
    async with engine.connect() as connection:
        found = await connection.execute(
            text("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%credentials_changed'")
        )
        assert sorted(found.scalars()) == ["api_token", "app_user"]


async def test_stopping_the_listener_disables_the_cache_and_closes_its_connection(
    cached: Cached, engine: AsyncEngine
) -> None:
    await cached.listen()
    pid = cached.listener.backend_pid
    await cached.listener.stop()
    assert not cached.cache.enabled and cached.listener.backend_pid is None
    async with asyncio.timeout(WAIT_SECONDS), engine.connect() as connection:
        statement = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
        while (await connection.execute(statement, {"pid": pid})).scalar_one():  # noqa: ASYNC110  (its backend exits on close)
            await asyncio.sleep(0.002)


async def test_every_process_listening_hears_a_change(cached: Cached, engine: AsyncEngine) -> None:
    """Each web worker has its own listener and cache: one revocation empties them all."""
    token, token_id = await _cached_token(cached)
    second = TokenCache()
    listener = CredentialListener.for_engine(engine, second)
    assert listener is not None
    listener.start()
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await listener.wait_listening()
        async with cached.sessions() as session:
            await auth_service.resolve_token(session, token, NOW, second)
        assert len(second) == 1
        since, since_second = cached.cache.generation, second.generation
        async with cached.sessions() as other:
            await auth_service.revoke_token(other, token_id, NOW)
        await cached.heard(since)
        await until(lambda: second.generation != since_second)
        assert len(cached.cache) == len(second) == 0
    finally:
        await listener.stop()


async def test_the_cache_stays_off_while_a_trigger_is_missing_or_disabled(engine: AsyncEngine) -> None:
    """Code deployed before migration 0022 ran, or a trigger disabled by hand: nobody would notify."""
    cache = TokenCache()
    options = connect_args(engine)
    attempts: list[int] = []

    async def connect() -> asyncpg.Connection:
        attempts.append(1)
        return await asyncpg.connect(**options)

    listener = CredentialListener(connect, cache, backoff_seconds=0.01, backoff_max_seconds=0.02, ping_seconds=0.01)
    disable = text("ALTER TABLE api_token DISABLE TRIGGER api_token_credentials_changed")
    enable = text("ALTER TABLE api_token ENABLE TRIGGER api_token_credentials_changed")
    try:
        async with engine.begin() as connection:
            await connection.execute(disable)
        listener.start()
        await until(lambda: len(attempts) >= 3)
        assert not cache.enabled and not listener.listening
        async with engine.begin() as connection:
            await connection.execute(enable)
        async with asyncio.timeout(WAIT_SECONDS):
            await listener.wait_listening()
        assert cache.enabled
        async with engine.begin() as connection:  # disabled while it listens: its next ping finds out
            await connection.execute(disable)
        await until(lambda: not cache.enabled)
    finally:
        await listener.stop()
        async with engine.begin() as connection:
            await connection.execute(enable)
