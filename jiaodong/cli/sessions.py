"""One way for a command to reach the database: an engine for the configured URL, one session, disposed after."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.db import make_engine, make_sessionmaker
from jiaodong.settings import get_settings

T = TypeVar("T")


def in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work(session)` against the configured database and return its result."""

    async def main() -> T:
        engine = make_engine(get_settings().resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())
