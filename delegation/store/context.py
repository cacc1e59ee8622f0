"""The context of one unit of work: the session, the reference data, who acts and when. Built once per
request (api.deps.Ctx, the pages' WebContext), per flow run and per test, then passed whole."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor
from delegation.core.reference import Reference


@dataclass(frozen=True)
class Context:
    session: AsyncSession
    ref: Reference
    actor: Actor
    now: datetime

    def acting(self, actor: Actor, now: datetime | None = None) -> Context:
        """The same session and reference data, another actor (and moment): scripted flows, the demo, tests."""
        return replace(self, actor=actor, now=self.now if now is None else now)

    def at(self, now: datetime) -> Context:
        return replace(self, now=now)
