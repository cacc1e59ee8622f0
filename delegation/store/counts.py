"""SQL of the dashboard's maintained counters (tables.counts, migration 0014): read a court's counts (its
compacted rows plus the deltas appended since), fold the deltas, and reconcile both with the rows they count.

The triggers of migration 0014 write the deltas; nothing here runs per transition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, delete, func, insert, literal, select, text, true, union_all
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.sql import is_postgres, run, serialize_on, table
from delegation.store.tables import (
    ClockRow,
    DelegationRow,
    DueCountDeltaRow,
    DueCountRow,
    StatusCountDeltaRow,
    StatusCountRow,
)

STATUS = table(StatusCountRow)
STATUS_DELTA = table(StatusCountDeltaRow)
DUE = table(DueCountRow)
DUE_DELTA = table(DueCountDeltaRow)
DELEGATION = table(DelegationRow)
# Above this many courts (a coordinator's five cities) a read takes every court's rows and keeps the wanted
# ones: the tables hold a few rows per court and day, and comparing each with a long IN list costs more.
FEW_COURTS = 20
CLOCK = table(ClockRow)


async def status_counts(session: AsyncSession, courts: Sequence[str]) -> dict[tuple[str, str], int]:
    """Open matters per (court holding the ball, status), for these courts."""
    some = len(courts) <= FEW_COURTS
    rows = union_all(
        select(STATUS.c.court, STATUS.c.status, STATUS.c.n.label("n")).where(
            STATUS.c.court.in_(courts) if some else true()
        ),
        select(STATUS_DELTA.c.court, STATUS_DELTA.c.status, STATUS_DELTA.c.delta).where(
            STATUS_DELTA.c.court.in_(courts) if some else true()
        ),
    ).subquery()
    stmt = select(rows.c.court, rows.c.status, func.sum(rows.c.n)).group_by(rows.c.court, rows.c.status)
    wanted = set(courts)
    return {(c, status): int(n) for c, status, n in (await run(session, stmt)).all() if n and c in wanted}


async def due_counts(
    session: AsyncSession, courts: Sequence[str], now: datetime, until: datetime
) -> dict[str, tuple[int, int]]:
    """Running clocks per court: (overdue: due at or before `now`, due soon: after `now`, up to `until`)."""
    some = len(courts) <= FEW_COURTS
    rows = union_all(
        select(DUE.c.court, DUE.c.due_at, DUE.c.n.label("n")).where(
            DUE.c.court.in_(courts) if some else true(), DUE.c.due_at <= until
        ),
        select(DUE_DELTA.c.court, DUE_DELTA.c.due_at, DUE_DELTA.c.delta).where(
            DUE_DELTA.c.court.in_(courts) if some else true(), DUE_DELTA.c.due_at <= until
        ),
    ).subquery()
    stmt = select(
        rows.c.court,
        func.sum(case((rows.c.due_at <= now, rows.c.n), else_=literal(0))),
        func.sum(case((rows.c.due_at > now, rows.c.n), else_=literal(0))),
    ).group_by(rows.c.court)
    wanted = set(courts)
    return {c: (int(late or 0), int(soon or 0)) for c, late, soon in (await run(session, stmt)).all() if c in wanted}


async def court_figures(
    session: AsyncSession, courts: Sequence[str], now: datetime, until: datetime
) -> tuple[dict[tuple[str, str], int], dict[str, tuple[int, int]]]:
    """status_counts and due_counts in one round trip (the dashboard's matrix): both grouped reads as the
    arms of one UNION ALL, told apart by their first column."""
    some = len(courts) <= FEW_COURTS
    statuses = union_all(
        select(STATUS.c.court, STATUS.c.status, STATUS.c.n.label("n")).where(
            STATUS.c.court.in_(courts) if some else true()
        ),
        select(STATUS_DELTA.c.court, STATUS_DELTA.c.status, STATUS_DELTA.c.delta).where(
            STATUS_DELTA.c.court.in_(courts) if some else true()
        ),
    ).subquery()
    dues = union_all(
        select(DUE.c.court, DUE.c.due_at, DUE.c.n.label("n")).where(
            DUE.c.court.in_(courts) if some else true(), DUE.c.due_at <= until
        ),
        select(DUE_DELTA.c.court, DUE_DELTA.c.due_at, DUE_DELTA.c.delta).where(
            DUE_DELTA.c.court.in_(courts) if some else true(), DUE_DELTA.c.due_at <= until
        ),
    ).subquery()
    late = case((dues.c.due_at <= now, literal("late")), else_=literal("soon"))
    stmt = union_all(
        select(
            literal("s").label("part"), statuses.c.court, statuses.c.status.label("key"), func.sum(statuses.c.n)
        ).group_by(statuses.c.court, statuses.c.status),
        select(literal("d").label("part"), dues.c.court, late.label("key"), func.sum(dues.c.n)).group_by(
            dues.c.court, late
        ),
    )
    wanted = set(courts)
    by_status: dict[tuple[str, str], int] = {}
    by_due: dict[str, tuple[int, int]] = {}
    for part, court, key, n in (await run(session, stmt)).all():
        if court not in wanted or not n:
            continue
        if part == "s":
            by_status[(court, key)] = int(n)
        else:
            overdue, soon = by_due.get(court, (0, 0))
            by_due[court] = (overdue + int(n), soon) if key == "late" else (overdue, soon + int(n))
    return by_status, by_due


_FOLD_PG = [
    "WITH moved AS (DELETE FROM status_count_delta RETURNING court, status, delta)"
    " INSERT INTO status_count (court, status, n) SELECT court, status, sum(delta) FROM moved GROUP BY court, status"
    " ON CONFLICT (court, status) DO UPDATE SET n = status_count.n + EXCLUDED.n",
    "WITH moved AS (DELETE FROM due_count_delta RETURNING court, due_at, delta)"
    " INSERT INTO due_count (court, due_at, n) SELECT court, due_at, sum(delta) FROM moved GROUP BY court, due_at"
    " ON CONFLICT (court, due_at) DO UPDATE SET n = due_count.n + EXCLUDED.n",
]
# SQLite: the first INSERT takes the database's one writer lock, so nothing is appended between the two reads.
_FOLD_SQLITE = [
    "INSERT INTO status_count (court, status, n) SELECT court, status, sum(delta) FROM status_count_delta WHERE true"
    " GROUP BY court, status ON CONFLICT (court, status) DO UPDATE SET n = status_count.n + excluded.n",
    "DELETE FROM status_count_delta",
    "INSERT INTO due_count (court, due_at, n) SELECT court, due_at, sum(delta) FROM due_count_delta WHERE true"
    " GROUP BY court, due_at ON CONFLICT (court, due_at) DO UPDATE SET n = due_count.n + excluded.n",
    "DELETE FROM due_count_delta",
]
_DROP_ZEROS = ["DELETE FROM status_count WHERE n = 0", "DELETE FROM due_count WHERE n = 0"]


async def compact(session: AsyncSession) -> int:
    """Fold the appended deltas into the counts (in the caller's transaction); how many deltas were folded."""
    await serialize_on(session, "dashboard-counts")
    pending = (await run(session, select(func.count()).select_from(STATUS_DELTA))).scalar_one() + (
        await run(session, select(func.count()).select_from(DUE_DELTA))
    ).scalar_one()
    if not pending:
        return 0
    for statement in (_FOLD_PG if is_postgres(session) else _FOLD_SQLITE) + _DROP_ZEROS:
        await run(session, text(statement))
    return int(pending)


@dataclass(frozen=True)
class Reconciled:
    """What the counters said against the rows: the keys that differed (a few, as examples) and whether
    they were rebuilt."""

    status_keys: int
    due_keys: int
    status_differences: int
    due_differences: int
    examples: list[str] = field(default_factory=list)
    repaired: bool = False


def _truth(requester_holds: Sequence[str], open_statuses: Sequence[str]) -> tuple[Select[Any], Select[Any]]:
    """The counts as the rows give them: open matters per holder and status, running clocks per court and due."""
    holder = case(
        (DELEGATION.c.status.in_(requester_holds), DELEGATION.c.requesting_court), else_=DELEGATION.c.assisting_court
    )
    by_status = (
        select(holder.label("court"), DELEGATION.c.status, func.count().label("n"))
        .where(DELEGATION.c.status.in_(open_statuses))
        .group_by(holder, DELEGATION.c.status)
    )
    by_due = (
        select(CLOCK.c.court_code.label("court"), CLOCK.c.due_at, func.count().label("n"))
        .where(CLOCK.c.closed_at.is_(None), CLOCK.c.paused.is_(False), CLOCK.c.due_at.is_not(None))
        .group_by(CLOCK.c.court_code, CLOCK.c.due_at)
    )
    return by_status, by_due


async def _counted(session: AsyncSession) -> tuple[dict[tuple[str, str], int], dict[tuple[str, datetime], int]]:
    statuses = union_all(
        select(STATUS.c.court, STATUS.c.status, STATUS.c.n.label("n")),
        select(STATUS_DELTA.c.court, STATUS_DELTA.c.status, STATUS_DELTA.c.delta),
    ).subquery()
    dues = union_all(
        select(DUE.c.court, DUE.c.due_at, DUE.c.n.label("n")),
        select(DUE_DELTA.c.court, DUE_DELTA.c.due_at, DUE_DELTA.c.delta),
    ).subquery()
    by_status = await run(
        session,
        select(statuses.c.court, statuses.c.status, func.sum(statuses.c.n)).group_by(
            statuses.c.court, statuses.c.status
        ),
    )
    by_due = await run(
        session, select(dues.c.court, dues.c.due_at, func.sum(dues.c.n)).group_by(dues.c.court, dues.c.due_at)
    )
    return (
        {(c, s): int(n) for c, s, n in by_status.all() if n},
        {(c, d): int(n) for c, d, n in by_due.all() if n},
    )


async def reconcile(
    session: AsyncSession, requester_holds: Sequence[str], open_statuses: Sequence[str], repair: bool = True
) -> Reconciled:
    """Recompute the counts from `delegation` and `stage_clock` and compare; on a difference (and `repair`),
    rebuild them while writers wait (PostgreSQL: a SHARE lock on both tables; SQLite: the writer lock)."""
    by_status, by_due = _truth(requester_holds, open_statuses)
    counted_status, counted_due = await _counted(session)
    true_status = {(c, s): int(n) for c, s, n in (await run(session, by_status)).all()}
    true_due = {(c, d): int(n) for c, d, n in (await run(session, by_due)).all()}
    status_diff = sorted(
        k for k in true_status.keys() | counted_status.keys() if true_status.get(k) != counted_status.get(k)
    )
    due_diff = sorted(k for k in true_due.keys() | counted_due.keys() if true_due.get(k) != counted_due.get(k))
    examples = [
        f"{c} {s}: counted {counted_status.get((c, s), 0)}, rows {true_status.get((c, s), 0)}"
        for c, s in status_diff[:5]
    ]
    examples += [
        f"{c} due {d.isoformat()}: counted {counted_due.get((c, d), 0)}, rows {true_due.get((c, d), 0)}"
        for c, d in due_diff[:5]
    ]
    repaired = False
    if (status_diff or due_diff) and repair:
        if is_postgres(session):
            await run(session, text("LOCK TABLE delegation, stage_clock IN SHARE MODE"))
        for target in (STATUS, STATUS_DELTA, DUE, DUE_DELTA):  # SQLite: the first delete takes the writer lock
            await run(session, delete(target))
        await run(session, insert(STATUS).from_select(["court", "status", "n"], by_status))
        await run(session, insert(DUE).from_select(["court", "due_at", "n"], by_due))
        repaired = True
    return Reconciled(len(true_status), len(true_due), len(status_diff), len(due_diff), examples, repaired)
