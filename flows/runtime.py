"""What every flow needs: settings, a session on our database, the reference data, the current time.

An engine per flow run (disposed at the end): runs are short, and an engine must not outlive its event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.reference import Reference
from delegation.outbox.model import RetryPolicy
from delegation.refdata.service import load_reference
from delegation.store.blobs import BlobStore, make_blob_store
from delegation.store.db import make_engine, make_sessionmaker
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


@asynccontextmanager
async def database() -> AsyncIterator[tuple[AsyncSession, Reference]]:
    """A session on the configured database and the reference data read from it (fresh every run, so a
    schedule or policy loaded a minute ago counts)."""
    engine = make_engine(settings().resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            reference = await load_reference(session)
            await session.rollback()  # end the read transaction before the service starts its own
            yield session, reference
    finally:
        await engine.dispose()
