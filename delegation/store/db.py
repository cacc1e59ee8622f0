"""Engine and session factory: the one place that knows how to reach the database."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # Pre-ping: a connection that died with a database restart is replaced at checkout, so service resumes
    # on the first request after the database returns instead of failing once per pooled connection.
    # SQLAlchemy's pool timeout (30 s) is kept: under a burst, requests wait for a connection rather than
    # failing; a database that is down refuses connections at once (503 without waiting).
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"timeout": 5})  # asyncpg's connect timeout (its default is 60 s)
    return create_async_engine(url, pool_recycle=1800, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
