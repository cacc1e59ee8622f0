"""Operational figures for the operators' metrics (Prometheus `/metrics`): outbox backlog, due rungs not yet
fired, notices, failed logins. Each is one small aggregate over an indexed column; no personal data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.sql import run, table
from delegation.store.tables import ClockRow, LoginAttemptRow, NoticeRow, OutboxRow, ReceiverCircuitRow

LOGIN_FAILURE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class OutboxFigures:
    rows: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, status) -> count
    oldest_pending_seconds: dict[str, float] = field(default_factory=dict)  # channel -> age of its oldest
    paused_receivers: tuple[str, ...] = ()  # receivers whose circuit breaker is open now


@dataclass(frozen=True)
class OperationalFigures:
    outbox: OutboxFigures
    due_rungs_unfired: int
    oldest_due_rung_lag_seconds: float
    notices: dict[tuple[str, str], int]  # (kind, "issued" | "acknowledged") -> count
    login_failures_last_hour: int


def _age(at: datetime | None, now: datetime) -> float:
    if at is None:
        return 0.0
    if at.tzinfo is None:  # SQLite hands back naive UTC timestamps
        at = at.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - at).total_seconds())


async def _outbox(session: AsyncSession, now: datetime) -> OutboxFigures:
    outbox = table(OutboxRow)
    counts = await run(
        session,
        select(outbox.c.channel, outbox.c.status, func.count()).group_by(outbox.c.channel, outbox.c.status),
    )
    oldest = await run(
        session,
        select(outbox.c.channel, func.min(outbox.c.created_at))
        .where(outbox.c.status.in_(("pending", "sending")))
        .group_by(outbox.c.channel),
    )
    circuit = table(ReceiverCircuitRow)
    paused = await run(
        session, select(circuit.c.receiver).where(circuit.c.open_until > now).order_by(circuit.c.receiver)
    )
    return OutboxFigures(
        rows={(channel, status): int(n) for channel, status, n in counts},
        oldest_pending_seconds={channel: _age(at, now) for channel, at in oldest},
        paused_receivers=tuple(paused.scalars()),
    )


async def operational_figures(session: AsyncSession, now: datetime) -> OperationalFigures:
    clock = table(ClockRow)
    notice = table(NoticeRow)
    attempt = table(LoginAttemptRow)
    due_count, oldest_due = (
        await run(
            session,
            select(func.count(), func.min(clock.c.next_rung_at)).where(
                clock.c.closed_at.is_(None), clock.c.next_rung_at.is_not(None), clock.c.next_rung_at <= now
            ),
        )
    ).one()
    notices = await run(
        session,
        select(notice.c.kind, func.count(), func.count(notice.c.acknowledged_at)).group_by(notice.c.kind),
    )
    failures = (
        await run(
            session,
            select(func.count()).where(attempt.c.succeeded.is_(False), attempt.c.at >= now - LOGIN_FAILURE_WINDOW),
        )
    ).scalar_one()
    notice_counts: dict[tuple[str, str], int] = {}
    for kind, issued, acknowledged in notices:
        notice_counts[(kind, "issued")] = int(issued)
        notice_counts[(kind, "acknowledged")] = int(acknowledged)
    return OperationalFigures(
        outbox=await _outbox(session, now),
        due_rungs_unfired=int(due_count),
        oldest_due_rung_lag_seconds=_age(oldest_due, now) if due_count else 0.0,
        notices=notice_counts,
        login_failures_last_hour=int(failures),
    )
