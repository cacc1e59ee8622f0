"""Typed builders of the rows written with plain Core INSERTs (events, outbox, inbox) and the reader of a
clock from Core rows: one definition of each row's columns, instead of dicts built in every service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import insert
from sqlalchemy.engine import RowMapping
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core import clocks
from delegation.core.states import Stage
from delegation.store.sql import run, table
from delegation.store.tables import EventRow, InboxRow, OutboxRow

EVENT = table(EventRow)
OUTBOX = table(OutboxRow)
INBOX = table(InboxRow)

_RUNG_VALUES = frozenset(r.value for r in clocks.Rung)
M = TypeVar("M")


def built(model: type[M], values: Mapping[str, Any]) -> M:
    """A table row object holding `values` (every column), as the ORM builds a loaded one: without the model's
    __init__ (~0.1 ms of SQLModel's per object), outside any session. For rows just written or read with a
    plain statement, whose values need no checking."""
    obj = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    obj.__dict__.update(values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return cast(M, obj)


class Values(Protocol):
    def values(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Event:
    """One row of a delegation's append-only timeline (kind: transition | document | notice | clock)."""

    delegation_id: int
    action: str
    from_status: str | None
    to_status: str | None
    actor: str
    actor_court: str | None
    actor_role: str
    at: datetime
    comment: str = ""
    kind: str = "transition"
    data: Mapping[str, Any] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        return {
            "delegation_id": self.delegation_id,
            "kind": self.kind,
            "action": self.action,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "actor": self.actor,
            "actor_court": self.actor_court,
            "actor_role": self.actor_role,
            "at": self.at,
            "comment": self.comment,
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class Outbox:
    """A pending outbox row: a fan-out intent or one delivery, due at once."""

    channel: str
    topic: str
    subject: str
    payload: Mapping[str, Any]
    now: datetime
    target: str = ""
    subscription_id: int | None = None
    delegation_id: int | None = None
    notice_id: int | None = None

    def values(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "topic": self.topic,
            "target": self.target[:500],
            "subscription_id": self.subscription_id,
            "delegation_id": self.delegation_id,
            "notice_id": self.notice_id,
            "subject": self.subject[:200],
            "payload": dict(self.payload),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": self.now,
            "claim_token": None,
            "claimed_at": None,
            "last_error": None,
            "created_at": self.now,
            "sent_at": None,
        }


@dataclass(frozen=True)
class Inbox:
    """One in-app notification for one user, unread."""

    username: str
    topic: str
    title: str
    body: str
    now: datetime
    delegation_id: int | None = None
    notice_id: int | None = None

    def values(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "topic": self.topic,
            "delegation_id": self.delegation_id,
            "notice_id": self.notice_id,
            "title": self.title[:200],
            "body": self.body[:8000],
            "created_at": self.now,
            "read_at": None,
        }


async def insert_events(session: AsyncSession, events: Sequence[Event]) -> None:
    """Append timeline rows with a plain INSERT in the session's transaction (no objects, no RETURNING)."""
    if events:
        await run(session, insert(EVENT), [e.values() for e in events])


async def insert_outbox(session: AsyncSession, rows: Sequence[Outbox]) -> None:
    if rows:
        await run(session, insert(OUTBOX), [r.values() for r in rows])


async def insert_inbox(session: AsyncSession, rows: Sequence[Inbox]) -> None:
    if rows:
        await run(session, insert(INBOX), [r.values() for r in rows])


def clock_of(m: RowMapping, stops: Sequence[RowMapping], fired: Sequence[str]) -> clocks.Clock:
    """The pure clock of a stage_clock row read with Core, with its stop rows and fired rung names."""
    return clocks.Clock(
        stage=Stage(m["stage"]),
        court_code=m["court_code"],
        budget_days=m["budget_days"],
        unit=clocks.Unit(m["unit"]),
        started_at=m["started_at"],
        policy_version=m["policy_version"],
        anchor_date=m["anchor_date"],
        extra_days=m["extra_days"],
        extra_working_days=m["extra_working_days"],
        latest_due=m["latest_due"],
        stops=tuple(
            clocks.Stop(s["stopped_at"], s["reason"], s["resumed_at"], s["approved_by"], s["document_id"])
            for s in sorted(stops, key=lambda s: (s["stopped_at"], s["id"]))
        ),
        closed_at=m["closed_at"],
        fired=frozenset(clocks.Rung(r) for r in fired if r in _RUNG_VALUES),
    )
