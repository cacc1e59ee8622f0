"""Handlers (承办人) as users: the assisting court's users with the handler role, to choose from when a matter
is signed for or reassigned."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor
from delegation.store import repository


@dataclass(frozen=True)
class Handler:
    username: str
    display_name: str


async def handlers_of(session: AsyncSession, court_code: str) -> list[Handler]:
    return [Handler(u.username, u.display_name) for u in await repository.handlers_of(session, court_code)]


async def my_court_handlers(session: AsyncSession, actor: Actor) -> list[Handler]:
    """The handlers of the caller's own court (no court: none): whom its clerks may assign."""
    return await handlers_of(session, actor.court_code) if actor.court_code else []
