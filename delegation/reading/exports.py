"""The rows of a work list's export (every matter of the list, no pages), read lean: only the columns the file
shows, in keyset batches of the primary key, newest first, with each batch's running clocks and 网络查控
handling in one query each. The page's list (worklists.work_list) reads whole matters to decide what each row
offers (actions, roles); a file needs none of that, and 100,000 whole matters cost most of an export's time.

The same filters as the page (worklists.conditions_of), so the file holds exactly the list's matters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Integer,
    and_,
    any_,
    bindparam,
    select,
    text,
    true,
    type_coerce,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, Operation, authorize, enforce
from delegation.core.clocks import PlainClock, RunningClock, running_clock
from delegation.core.reference import Reference
from delegation.network.model import MATTER_ROUTES
from delegation.reading.delegations import Listed
from delegation.reading.worklists import WorkQuery, _check, conditions_of
from delegation.store.sql import is_postgres, run, table
from delegation.store.tables import ClockRow, DelegationRow, NetworkJobRow

DELEGATION = table(DelegationRow)
CLOCK = table(ClockRow)
JOB = table(NetworkJobRow)
COLUMNS = (
    "id",
    "number",
    "case_number",
    "policy_version",
    "matter_type",
    "requesting_court",
    "assisting_court",
    "status",
    "submitted_at",
    "updated_at",
)
# PostgreSQL: the debtors' names and identifiers taken out of the parties' JSON by the database, so an export
# never decodes whole party lists in Python (a third of its time at 100,000 rows).
_PG_DEBTOR_NAMES = text(
    "(SELECT coalesce(string_agg(coalesce(p ->> 'name', ''), '、' ORDER BY n), '')"
    " FROM jsonb_array_elements(delegation.parties) WITH ORDINALITY AS e(p, n) WHERE p ->> 'role' = 'debtor')"
)
_PG_DEBTOR_IDS = text(
    "(SELECT coalesce(array_agg(coalesce(nullif(p ->> 'id_number', ''), p ->> 'uscc') ORDER BY n), '{}')"
    " FROM jsonb_array_elements(delegation.parties) WITH ORDINALITY AS e(p, n) WHERE p ->> 'role' = 'debtor')"
)
BATCH = 2000
# A matter's 网络查控 handling by the state of its last round (delegation.network.service.handling_modes);
# a matter a registry can do with no round went by hand.
MODE_OF_JOB = {"done": "network", "handed_back": "handed_back"}


@dataclass(frozen=True, slots=True)
class ExportRow:
    """What a list's file shows of one matter."""

    id: int
    number: str
    case_number: str
    policy_version: str
    matter_type: str
    requesting_court: str
    assisting_court: str
    status: str
    submitted_at: datetime | None
    updated_at: datetime | None
    debtor_names: str  # joined with 、
    debtor_ids: list[str | None]  # in clear: the file masks them
    clock: RunningClock | None
    handling: str | None  # network | network_pending | handed_back | manual; None: no registry does this type


def debtors(parties: list[dict[str, Any]]) -> tuple[str, list[str | None]]:
    """The debtors' names (joined with 、) and identifiers (ID number, else USCC) of a party list."""
    found = [p for p in parties if p.get("role") == "debtor"]
    return "、".join(str(p.get("name") or "") for p in found), [p.get("id_number") or p.get("uscc") for p in found]


def of_listed(item: Listed, handling: str | None) -> ExportRow:
    """A matter the caller already read whole (the ticked rows of a batch export)."""
    r = item.row
    return ExportRow(
        r.id or 0,
        r.number,
        r.case_number,
        r.policy_version,
        r.matter_type,
        r.requesting_court,
        r.assisting_court,
        r.status,
        r.submitted_at,
        r.updated_at,
        *debtors(r.parties),
        item.clock,
        handling if r.matter_type in MATTER_ROUTES else None,
    )


def _among(session: AsyncSession, column: ColumnElement[int], ids: Sequence[int]) -> ColumnElement[bool]:
    """column IN ids; on PostgreSQL = ANY(one array parameter), not thousands of parameters to render."""
    if is_postgres(session):
        return column == any_(bindparam("ids", list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


async def handling_modes(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    """Per matter with a round of network handling: the mode of its last round (one query)."""
    if not ids:
        return {}
    stmt = select(JOB.c.delegation_id, JOB.c.status, JOB.c.round).where(_among(session, JOB.c.delegation_id, ids))
    latest: dict[int, tuple[int, str]] = {}
    for delegation_id, status, round_ in (await run(session, stmt)).all():
        if delegation_id not in latest or round_ > latest[delegation_id][0]:
            latest[delegation_id] = (round_, status)
    return {d: MODE_OF_JOB.get(s, "network_pending") for d, (_r, s) in latest.items()}


async def _running_clocks(
    session: AsyncSession, ref: Reference, ids: Sequence[int], now: datetime
) -> dict[int, RunningClock]:
    stmt = select(
        CLOCK.c.delegation_id,
        CLOCK.c.stage,
        CLOCK.c.court_code,
        CLOCK.c.closed_at,
        CLOCK.c.paused,
        CLOCK.c.due_at,
        CLOCK.c.due_provisional,
        CLOCK.c.unit,
    ).where(_among(session, CLOCK.c.delegation_id, ids), CLOCK.c.closed_at.is_(None))
    open_clocks: dict[int, list[PlainClock]] = {}
    for delegation_id, *values in (await run(session, stmt)).all():
        open_clocks.setdefault(delegation_id, []).append(PlainClock(*values))
    out: dict[int, RunningClock] = {}
    for ident, found in open_clocks.items():
        clock = running_clock(found, now, ref.calendar)
        if clock is not None:
            out[ident] = clock
    return out


async def iter_export(
    session: AsyncSession, ref: Reference, actor: Actor, now: datetime, q: WorkQuery, batch: int = BATCH
) -> AsyncIterator[list[ExportRow]]:
    """Every matter of a work list, newest first, in batches (a batch is written out before the next is
    read, so memory stays flat whatever the list's size)."""
    enforce(authorize(actor, Operation.LIST_DELEGATIONS), "Delegations", Operation.LIST_DELEGATIONS)
    _check(q)
    where = and_(true(), *conditions_of(ref, actor, now, q))
    columns: list[Any] = [DELEGATION.c[name] for name in COLUMNS]
    postgres = is_postgres(session)
    if postgres:  # aware already: no per-value conversion (UTCDateTime makes SQLite's naive values aware)
        columns[8:10] = [type_coerce(DELEGATION.c[n], DateTime(timezone=True)) for n in ("submitted_at", "updated_at")]
        columns += [_PG_DEBTOR_NAMES, _PG_DEBTOR_IDS]  # untyped: asyncpg's own text and list, unprocessed
    else:
        columns.append(DELEGATION.c.parties)
    last: int | None = None
    while True:
        stmt = select(*columns).select_from(DELEGATION).where(where)
        if last is not None:
            stmt = stmt.where(DELEGATION.c.id < last)
        rows = (await run(session, stmt.order_by(DELEGATION.c.id.desc()).limit(batch))).all()
        if not rows:
            return
        ids = [r[0] for r in rows]
        clocks = await _running_clocks(session, ref, ids, now)
        modes = await handling_modes(session, [r[0] for r in rows if r[4] in MATTER_ROUTES])
        out = []
        for r in rows:
            ident, matter_type = r[0], r[4]
            handling = modes.get(ident, "manual") if matter_type in MATTER_ROUTES else None
            names, ids_ = (r[10], r[11]) if postgres else debtors(r[10])
            out.append(ExportRow(*r[:10], names, ids_, clocks.get(ident), handling))  # type: ignore[call-arg]
        yield out
        last = ids[-1]
