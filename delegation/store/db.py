"""Engine and session factory: the one place that knows how to reach the database."""

from __future__ import annotations

import gc
import time

from sqlalchemy import event, exc
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
    # SQLAlchemy's pool timeout (30 s) is kept: under a burst, requests wait for a connection rather than
    # failing; a database that is down refuses connections at once (503 without waiting).
    kwargs.setdefault("connect_args", {"timeout": 5})  # asyncpg's connect timeout (its default is 60 s)
    engine = create_async_engine(url, pool_recycle=1800, **kwargs)
    if "pool_pre_ping" not in kwargs:
        _check_on_checkout(engine)
    event.listen(engine.sync_engine.pool, "checkin", _restore_isolation)
    return engine


def _restore_isolation(dbapi_connection, _record):  # type: ignore[no-untyped-def]
    """A connection goes back to the pool in the engine's isolation level, whatever sql.outside_transaction
    did with it (a plain attribute of SQLAlchemy's asyncpg adapter: no round trip)."""
    if dbapi_connection is None or not hasattr(dbapi_connection, "_isolation_setting"):
        return
    if dbapi_connection.isolation_level != dbapi_connection._isolation_setting:
        dbapi_connection.isolation_level = dbapi_connection._isolation_setting


# A connection back in use within this many seconds is taken as alive without a round trip (see below).
PING_AFTER_IDLE_SECONDS = 10.0


def _check_on_checkout(engine: AsyncEngine) -> None:
    """A connection that died with a database restart is replaced at checkout, so service resumes on the first
    request after the database returns instead of failing once per pooled connection; and, like SQLAlchemy's
    pre-ping, a dead one invalidates the whole pool. Cheaper than pre-ping, which costs three round trips
    (BEGIN, a query, ROLLBACK) on every checkout: a restart closes the server's end of every connection, which
    asyncpg notices without a round trip (`is_closed`); only a connection idle for longer than
    PING_AFTER_IDLE_SECONDS (a silently dropped one: a firewall, a failover) is pinged."""
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _idle_since(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _alive(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        idle_since = record.info.get("idle_since")
        if idle_since is None:  # just connected
            return
        if dbapi_connection.driver_connection.is_closed():
            raise exc.InvalidatePoolError("the database closed the connection")
        if time.monotonic() - idle_since > PING_AFTER_IDLE_SECONDS:
            try:
                dialect.do_ping(dbapi_connection)
            except dialect.loaded_dbapi.Error as error:
                if dialect.is_disconnect(error, dbapi_connection, None):
                    raise exc.InvalidatePoolError("the connection did not answer a ping") from error
                raise


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


_startup_frozen = False


def freeze_startup_objects() -> None:
    """Once per process, when it has started and its first session is ready (the web app's runtime, a flow's
    first database session): the objects it holds by then (modules, settings, reference data) live as long as
    the process, and frozen (gc.freeze) the cyclic collector no longer walks them in every full collection. A
    sweep of 10,000 rungs ran four full collections of ~70 ms over them; frozen, ~3 ms each."""
    global _startup_frozen
    if not _startup_frozen:
        _startup_frozen = True
        gc.collect()  # what is garbage already is not frozen with the rest
        gc.freeze()
