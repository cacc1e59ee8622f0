"""What the running app holds: settings, the engine, the session factory, the reference data, the file store.

Started by the lifespan under a server, or explicitly (`await runtime.start()`) by tests that drive the app
through httpx's ASGI transport, which runs no lifespan; `ready()` also starts it lazily on first use.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.auth_service import LoginThrottle
from delegation.db import make_engine, make_sessionmaker
from delegation.document_service import FileStore
from delegation.reference import Reference
from delegation.reference_service import load_reference
from jiaodong.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    engine: AsyncEngine | None = None  # given by a caller that owns it, or made (and disposed) here
    _owns_engine: bool = False
    _sessions: async_sessionmaker[AsyncSession] | None = None
    _reference: Reference | None = None
    _store: FileStore | None = None
    _lock: asyncio.Lock | None = None

    @property
    def started(self) -> bool:
        return self._reference is not None

    async def start(self) -> None:
        if self.started:
            return
        if self.engine is None:
            self.engine = make_engine(self.settings.resolved_database_url)
            self._owns_engine = True
        self._sessions = make_sessionmaker(self.engine)
        async with self._sessions() as session:
            self._reference = await load_reference(session)
        self._store = FileStore(self.settings.data_dir)

    async def ready(self) -> None:
        if self.started:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            await self.start()

    async def stop(self) -> None:
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
        assert self._reference is not None, "runtime not started"
        return self._reference

    @property
    def store(self) -> FileStore:
        assert self._store is not None, "runtime not started"
        return self._store

    async def reload_reference(self) -> None:
        """Pick up courts, schedules and policies an administrator changed in the database."""
        async with self.sessions() as session:
            self._reference = await load_reference(session)
