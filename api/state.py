"""What the running app holds: settings, the engine, the session factory, the reference data, the file store,
and on PostgreSQL the cache of API-token lookups with the listener that empties it (docs/api.md).

Started by the lifespan under a server, or explicitly (`await runtime.start()`) by tests that drive the app
through httpx's ASGI transport, which runs no lifespan; `ready()` also starts it lazily on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts.auth import LoginThrottle
from delegation.accounts.token_cache import TokenCache
from delegation.core.reference import Reference
from delegation.filing.documents import MatterLimits
from delegation.refdata.service import load_reference
from delegation.store.blobs import BlobStore, make_blob_store
from delegation.store.credential_changes import CredentialListener
from delegation.store.db import freeze_startup_objects, make_engine, make_sessionmaker
from jiaodong.settings import Settings

log = logging.getLogger("jiaodong.api")
REFERENCE_TTL_SECONDS = 60.0


def store_of(settings: Settings) -> BlobStore:
    return make_blob_store(
        settings.storage, settings.data_dir, settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region
    )


@dataclass
class Runtime:
    settings: Settings
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    engine: AsyncEngine | None = None  # given by a caller that owns it, or made (and disposed) here
    _owns_engine: bool = False
    _sessions: async_sessionmaker[AsyncSession] | None = None
    _reference: Reference | None = None
    _store: BlobStore | None = None
    _lock: asyncio.Lock | None = None
    _loaded_at: float = 0.0
    _refreshing: asyncio.Task[None] | None = None
    # Disabled (every lookup reads the database) until the listener listens; never on SQLite.
    tokens: TokenCache = field(default_factory=TokenCache)
    token_listener: CredentialListener | None = None

    @property
    def started(self) -> bool:
        return self._reference is not None

    async def start(self) -> None:
        if self.started:
            return
        if self.engine is None:
            self.engine = make_engine(self.settings.resolved_database_url, **self.settings.pool_options())
            self._owns_engine = True
        self._sessions = make_sessionmaker(self.engine)
        async with self._sessions() as session:
            self._reference = await load_reference(session)
        self._loaded_at = time.monotonic()
        self._store = store_of(self.settings)
        self.tokens = TokenCache(max_entries=self.settings.token_cache_size)
        if self.settings.token_cache_size > 0:
            self.token_listener = CredentialListener.for_engine(self.engine, self.tokens)
            if self.token_listener is not None:
                self.token_listener.start()  # in the background: the cache stays off until it listens
        freeze_startup_objects()

    async def ready(self) -> None:
        if self.started:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            await self.start()

    async def stop(self) -> None:
        if self.token_listener is not None:
            await self.token_listener.stop()
            self.token_listener = None
        if self._refreshing is not None:
            await asyncio.gather(self._refreshing, return_exceptions=True)
        if self._owns_engine and self.engine is not None:
            await self.engine.dispose()
            self.engine = None
        self._reference = None

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        assert self._sessions is not None, "runtime not started"
        return self._sessions

    @property
    def reference(self) -> Reference:
        """The reference data; reloaded in the background once it is a minute old, so that courts, holiday
        schedules and policy versions an administrator stored reach every worker without a restart."""
        assert self._reference is not None, "runtime not started"
        if time.monotonic() - self._loaded_at > REFERENCE_TTL_SECONDS and self._refreshing is None:
            # Without a running loop (a synchronous caller) the refresh waits for a later request.
            with contextlib.suppress(RuntimeError):
                self._refreshing = asyncio.get_running_loop().create_task(self._refresh())
        return self._reference

    @property
    def matter_limits(self) -> MatterLimits:
        return MatterLimits(self.settings.max_documents_per_matter, self.settings.max_bytes_per_matter)

    @property
    def store(self) -> BlobStore:
        assert self._store is not None, "runtime not started"
        return self._store

    async def reload_reference(self) -> None:
        """Pick up courts, schedules and policies an administrator changed in the database."""
        async with self.sessions() as session:
            self._reference = await load_reference(session)
        self._loaded_at = time.monotonic()

    async def _refresh(self) -> None:
        try:
            await self.reload_reference()
        except Exception:  # keep serving the previous reference data; try again after the next TTL
            log.exception("reloading the reference data failed")
            self._loaded_at = time.monotonic()
        finally:
            self._refreshing = None
