"""What every flow needs: settings, a session on our database, the reference data, the current time.

An engine per flow run (disposed at the end): runs are short, and an engine must not outlive its event loop.
A flow that hosts many short runs in its own event loop (network-dispatch and its network-control children)
opens `shared_database()` once instead: every `database()` under it, in that loop, uses one engine (its pool of
connections and its compiled statements) and the reference data read at most a few seconds ago. Without it each
`database()` would open a new connection (a PostgreSQL backend started) and compile every statement anew.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.reference import Reference
from delegation.outbox.model import RetryPolicy
from delegation.refdata.service import load_reference
from delegation.store.blobs import BlobStore, make_blob_store
from delegation.store.db import freeze_startup_objects, make_engine, make_sessionmaker
from jiaodong.settings import Settings, get_settings


def settings() -> Settings:
    return get_settings()


def utcnow() -> datetime:
    return datetime.now(UTC)


def moment(now: datetime | None) -> datetime:
    """The `now` parameter of a flow (tests and backfills pass one), or the current time."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def retry_policy(s: Settings | None = None) -> RetryPolicy:
    s = s or settings()
    return RetryPolicy(
        max_attempts=s.outbox_max_attempts,
        base_seconds=s.outbox_backoff_seconds,
        max_seconds=s.outbox_backoff_max_seconds,
        lease_seconds=s.outbox_lease_seconds,
    )


def blob_store(s: Settings | None = None) -> BlobStore:
    """The document store (local folder or S3) as configured: documents/ and reports/ live in it."""
    s = s or settings()
    return make_blob_store(s.storage, s.data_dir, s.s3_bucket, s.s3_endpoint_url, s.s3_region)


@dataclass
class _Shared:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    reference_seconds: float
    reference: Reference | None = None
    read_at: float = 0.0


_SHARED: ContextVar[_Shared | None] = ContextVar("jiaodong_shared_database", default=None)


@asynccontextmanager
async def shared_database(reference_seconds: float = 5.0, pool_size: int = 10) -> AsyncIterator[None]:
    """One engine for every `database()` of this task and the tasks and flow runs it starts, in this event loop,
    until the block ends (then disposed); the reference data re-read once it is `reference_seconds` old (so a
    schedule or policy loaded now counts within seconds). Inside another such block, that one's engine is used."""
    if _SHARED.get() is not None:
        yield
        return
    engine = make_engine(settings().resolved_database_url, **_pool_options(pool_size))
    token = _SHARED.set(_Shared(engine, make_sessionmaker(engine), reference_seconds))
    try:
        yield
    finally:
        _SHARED.reset(token)
        await engine.dispose()


def _pool_options(pool_size: int) -> dict[str, object]:
    if settings().resolved_database_url.startswith("sqlite"):
        return {}  # aiosqlite's own pool
    return {"pool_size": pool_size, "max_overflow": pool_size * 2}


@asynccontextmanager
async def database() -> AsyncIterator[tuple[AsyncSession, Reference]]:
    """A session on the configured database and the reference data read from it (fresh every run, so a
    schedule or policy loaded a minute ago counts; under `shared_database()`, at most seconds old)."""
    shared = _SHARED.get()
    if shared is not None:
        async with shared.sessions() as session:
            if shared.reference is None or time.monotonic() - shared.read_at > shared.reference_seconds:
                shared.reference, shared.read_at = await load_reference(session), time.monotonic()
                await session.rollback()
                freeze_startup_objects()
            yield session, shared.reference
        return
    engine = make_engine(settings().resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            reference = await load_reference(session)
            await session.rollback()  # end the read transaction before the service starts its own
            freeze_startup_objects()
            yield session, reference
    finally:
        await engine.dispose()
