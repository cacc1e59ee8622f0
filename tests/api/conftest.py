"""The API driven in-process: httpx against the ASGI app, on the run's SQLite and PostgreSQL databases.

Users are written directly with one precomputed argon2 hash (hashing per user would cost seconds per test);
systems and most tests authenticate with bearer tokens, the login tests with the real password.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from api.deps import get_now
from delegation.accounts.auth import LoginThrottle
from jiaodong.settings import Settings
from tests.api.actors import USERS, Api, Clock, add_users, api_listening, at  # noqa: F401  (at: for the fixtures below)


@pytest_asyncio.fixture
async def api(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], tmp_path: Path, database_url: str
) -> AsyncIterator[Api]:
    settings = Settings(database_url=database_url, data_dir=tmp_path, secret_key="test-secret-key")
    app = create_app(settings, engine=engine, throttle=LoginThrottle(per_account=3, per_address=6))
    clock = Clock()
    app.dependency_overrides[get_now] = lambda: clock.now
    tokens = await add_users(sessions, clock.now)
    # Started after the users are written, and listening before the test begins (PostgreSQL): the token cache
    # is on from the first request, and no notification of the fixture's own writes arrives during the test.
    await app.state.runtime.start()
    await api_listening(app)
    try:
        yield Api(app, clock, tokens, sessions, tmp_path)
    finally:
        await app.state.runtime.stop()
