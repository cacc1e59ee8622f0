"""Users, tokens, the test clock and the Api handle shared by the API and page tests (builders, not fixtures)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts import auth as auth_service
from delegation.accounts.token_cache import TokenCache
from delegation.core.clocks import SHANGHAI
from delegation.refdata.service import load_reference
from delegation.store.tables import UserRow

PASSWORD = "correct horse battery"
LISTEN_SECONDS = 5.0  # a bound on waits for the credential listener, which takes milliseconds

# username: (court, roles)
USERS: dict[str, tuple[str, list[str]]] = {
    "shinan-officer": ("鲁0202", ["requesting_officer"]),  # Qingdao, requesting court of the story
    "zhifu-clerk": ("鲁0602", ["assisting_clerk"]),  # Yantai, assisting court of the story
    "zhifu-officer": ("鲁0602", ["requesting_officer"]),
    "fushan-clerk": ("鲁0611", ["assisting_clerk"]),
    "yantai-center": ("鲁06", ["command_center"]),
    "qingdao-center": ("鲁02", ["command_center"]),
    "regional": ("鲁02", ["regional_coordinator"]),
    "qingdao-admin": ("鲁02", ["admin"]),
    # Weifang: every role, foreign to a Qingdao -> Yantai matter
    "kuiwen-officer": ("鲁0705", ["requesting_officer"]),
    "kuiwen-clerk": ("鲁0705", ["assisting_clerk"]),
    "weifang-center": ("鲁07", ["command_center"]),
    "kuiwen-admin": ("鲁0705", ["admin"]),
    "kuiwen-all": ("鲁0705", ["requesting_officer", "assisting_clerk", "admin"]),
}
FOREIGN = ["kuiwen-officer", "kuiwen-clerk", "weifang-center", "kuiwen-admin", "kuiwen-all"]


@cache
def password_hash() -> str:
    # Cheap argon2 parameters for the test users (a verification takes the parameters stored in the hash):
    # the login tests check dozens of passwords on a shared machine.
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: at("2026-03-02"))

    def set(self, day: str, hm: str = "10:00") -> None:
        self.now = at(day, hm)


@dataclass
class Api:
    """The app, its clock, and a bearer token per user."""

    app: FastAPI
    clock: Clock
    tokens: dict[str, str]
    sessions: async_sessionmaker[AsyncSession]
    data_dir: Path

    @property
    def token_cache(self) -> TokenCache:
        cache: TokenCache = self.app.state.runtime.tokens
        return cache

    async def heard(self, since: int) -> None:
        """PostgreSQL: until the app's token cache heard a change to tokens or users committed after its
        generation was `since` (the notification arrived). SQLite has no cache: nothing to wait for."""
        if self.app.state.runtime.token_listener is None:
            return
        await until(lambda: self.token_cache.generation != since)

    def client(self, user: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://testserver", headers=headers, **kwargs
        )


async def until(condition: Callable[[], bool], seconds: float = LISTEN_SECONDS) -> None:
    """Until `condition()` holds, checked every 2 ms; TimeoutError after `seconds`. For state that moves on
    the event loop's other tasks (the credential listener) and offers nothing to await."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110  (a plain counter or flag: no event to wait on)
            await asyncio.sleep(0.002)


async def api_listening(app: FastAPI) -> None:
    """Until the app's credential listener listens (PostgreSQL; SQLite has none)."""
    listener = app.state.runtime.token_listener
    if listener is not None:
        async with asyncio.timeout(LISTEN_SECONDS):
            await listener.wait_listening()


async def add_users(sessions: async_sessionmaker[AsyncSession], now: datetime) -> dict[str, str]:
    tokens: dict[str, str] = {}
    async with sessions() as session:
        for username, (court, roles) in USERS.items():
            session.add(
                UserRow(
                    username=username,
                    display_name=username,
                    court_code=court,
                    roles=roles,
                    password_hash=password_hash(),
                    created_at=now,
                )
            )
        await session.commit()
        ref = await load_reference(session)
        for username in USERS:
            token, _row = await auth_service.create_token(
                session, ref, now, username=username, name="tests", created_by="tests"
            )
            tokens[username] = token
    return tokens
