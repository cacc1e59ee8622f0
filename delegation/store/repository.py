"""Queries. Each function does one round trip (or a fixed few), never one per row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import JSON, Table, bindparam, exists, func, literal_column, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.rows import built
from delegation.store.sql import Inserts, is_postgres, pg_fetch, pg_statement, rows_json, run
from delegation.store.sql import table as _table
from delegation.store.tables import (
    CalendarScheduleRow,
    ClockRow,
    ClockRungRow,
    ClockStopRow,
    CourtOverrideRow,
    DelegationRow,
    DocumentRow,
    EventRow,
    ExtensionRow,
    PolicyDocumentRow,
    StatutoryClockRow,
    UserRow,
)


async def get_delegation(session: AsyncSession, delegation_id: int) -> DelegationRow | None:
    return await session.get(DelegationRow, delegation_id)


@dataclass(frozen=True)
class ForAction:
    """A delegation loaded for an action, with what its own query could answer besides: the kinds of its
    documents (the required-documents check) and whether it has statutory clocks at all (None: not asked)."""

    row: DelegationRow
    document_kinds: list[str] | None
    has_duties: bool | None


async def load_for_action(session: AsyncSession, delegation_id: int, *, document_kinds: bool) -> ForAction | None:
    """The row and, in the same query, its document kinds (when asked) and whether any statutory clock exists;
    a row this session already holds (the second action of 签收 naming the handler) is taken as it is."""
    if identity_key(DelegationRow, delegation_id) in session.identity_map:
        held = await session.get(DelegationRow, delegation_id)
        return None if held is None else ForAction(held, None, None)
    if is_postgres(session):
        # On asyncpg itself, the row built as the ORM would build it (outside the session: nothing flushes it;
        # a follow-up action of the same transaction reads it again, changed).
        statement, _names = pg_statement(session, _for_action_core(document_kinds))
        records = await pg_fetch(session, statement, delegation_id)
        if not records:
            return None
        record = records[0]
        row = built(DelegationRow, {name: record[name] for name in _DELEGATION_COLUMNS})
        listed = [str(k) for k in (record["kinds"] or [])] if document_kinds else None
        return ForAction(row, listed, bool(record["has_duties"]))
    stmt = _for_action(is_postgres(session), document_kinds)
    found: Any = (await session.exec(stmt, params={"delegation_id": delegation_id})).first()
    if found is None:
        return None
    listed_kinds = [str(k) for k in (found[2] or [])] if document_kinds else None
    return ForAction(found[0], listed_kinds, bool(found[1]))


_FOR_ACTION: dict[tuple[bool, bool], Any] = {}
_FOR_ACTION_CORE: dict[bool, Any] = {}


def _for_action_core(document_kinds: bool) -> Any:
    """load_for_action's statement on PostgreSQL as plain columns, built once."""
    found = _FOR_ACTION_CORE.get(document_kinds)
    if found is None:
        delegation = _table(DelegationRow)
        has_duties = exists().where(col(StatutoryClockRow.delegation_id) == delegation.c.id).label("has_duties")
        columns: list[Any] = [*delegation.c, has_duties]
        if document_kinds:
            kinds = sa_select(type_coerce(func.json_agg(DocumentRow.kind), JSON)).where(
                col(DocumentRow.delegation_id) == delegation.c.id
            )
            columns.append(kinds.scalar_subquery().label("kinds"))
        found = sa_select(*columns).where(delegation.c.id == bindparam("delegation_id"))
        _FOR_ACTION_CORE[document_kinds] = found
    return found


def _for_action(postgres: bool, document_kinds: bool) -> Any:
    """load_for_action's statement, built once: building it and computing its cache key cost more than
    running it (the id is a bound parameter)."""
    found = _FOR_ACTION.get((postgres, document_kinds))
    if found is None:
        has_duties = exists().where(col(StatutoryClockRow.delegation_id) == DelegationRow.id)
        found = select(DelegationRow, has_duties).where(DelegationRow.id == bindparam("delegation_id"))
        if document_kinds:
            kinds = func.json_agg(DocumentRow.kind) if postgres else func.json_group_array(DocumentRow.kind)
            listed = sa_select(type_coerce(kinds, JSON)).where(col(DocumentRow.delegation_id) == DelegationRow.id)
            found = found.add_columns(listed.scalar_subquery())
        _FOR_ACTION[(postgres, document_kinds)] = found
    return found


_BY_KEY = sa_select(DelegationRow.id).where(  # type: ignore[call-overload]
    col(DelegationRow.created_by) == bindparam("username"), col(DelegationRow.idempotency_key) == bindparam("key")
)


async def find_by_idempotency_key(session: AsyncSession, username: str, key: str) -> DelegationRow | None:
    if is_postgres(session):  # nearly always none: asked for the id alone, on asyncpg itself
        statement, _names = pg_statement(session, _BY_KEY)
        if not await pg_fetch(session, statement, username, key):
            return None
    stmt = select(DelegationRow).where(DelegationRow.created_by == username, DelegationRow.idempotency_key == key)
    return (await session.exec(stmt)).first()


_DELEGATION = cast(Table, DelegationRow.__table__)  # type: ignore[attr-defined]
_DELEGATION_COLUMNS = tuple(c.name for c in _DELEGATION.columns)


def compare_and_set(appended: Inserts, row: DelegationRow, expected_version: int, values: dict[str, Any]) -> None:
    """Write `values` and the next version if the row still has `expected_version`: the UPDATE goes first in
    `appended` (one statement with the action's other rows on PostgreSQL), whose `write` answers False, and
    writes nothing, when another transaction changed the row meanwhile; the caller then rolls back.

    A plain UPDATE (no ORM synchronisation) keeps the hot path of every transition short; the loaded object
    is told the new values as committed state at once (the rest of the action reads them: the new status,
    the new court after a redirect), so it is not flushed again.
    """
    changes = {**values, "version": expected_version + 1}
    appended.update(_DELEGATION, {"id": row.id, "version": expected_version}, changes)
    for name, value in changes.items():
        set_committed_value(row, name, value)


_EVENT = cast(Table, EventRow.__table__)  # type: ignore[attr-defined]


def _numbered(prefix: str, ident: int) -> str:
    return f"{prefix}{ident:07d}"


async def insert_draft(session: AsyncSession, values: dict[str, Any], event: dict[str, Any], prefix: str) -> int | None:
    """A new delegation numbered after its id (`prefix` and the id in at least seven digits, e.g. JD2026-0000042)
    with its create event (`event`: the event's columns but its delegation_id); the new id. PostgreSQL: one
    statement (the id drawn from the sequence first), which writes nothing and answers None when the creator
    used the row's idempotency key before (a retry; the id it drew is skipped, as a rolled-back insert's would
    be); SQLite: the row, its number, its event (IntegrityError then)."""
    if not is_postgres(session):
        ident = int((await run(session, _DELEGATION.insert().returning(_DELEGATION.c.id), [values])).scalar_one())
        await run(
            session,
            _DELEGATION.update().where(_DELEGATION.c.id == ident).values(number=_numbered(prefix, ident)),
        )
        await run(session, _EVENT.insert(), [{**event, "delegation_id": ident}])
        return ident
    columns = [c for c in values if c not in ("id", "number")]
    events = [c for c in event if c != "delegation_id"]
    found = await pg_fetch(
        session, _insert_draft_sql(tuple(columns), tuple(events)), prefix, rows_json([values]), rows_json([event])
    )
    return int(found[0][0]) if found else None


_DRAFT_SQL: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}


def _insert_draft_sql(columns: tuple[str, ...], events: tuple[str, ...]) -> str:
    found = _DRAFT_SQL.get((columns, events))
    if found is None:
        if not set(columns) <= set(_DELEGATION.c.keys()) or not set(events) <= set(_EVENT.c.keys()):
            raise ValueError("not columns of delegation and delegation_event")
        names, event_names = ", ".join(columns), ", ".join(events)
        # Names checked against the tables' columns; values only in the bound parameters. The number pads the
        # id to seven digits and never cuts a longer one (as _numbered does).
        number = "$1 || CASE WHEN n.id < 10000000 THEN lpad(n.id::text, 7, '0') ELSE n.id::text END"
        found = (
            "WITH n AS (SELECT nextval(pg_get_serial_sequence('delegation', 'id')) AS id), "  # noqa: S608
            f"d AS (INSERT INTO delegation (id, number, {names}) SELECT n.id, {number}, "
            f"{', '.join(f'r.{c}' for c in columns)} "
            "FROM n, jsonb_populate_recordset(NULL::delegation, CAST($2 AS jsonb)) r "
            "ON CONFLICT ON CONSTRAINT uq_delegation_idempotency DO NOTHING RETURNING id), "
            f"e AS (INSERT INTO delegation_event (delegation_id, {event_names}) "
            f"SELECT d.id, {', '.join(f'r.{c}' for c in events)} "
            "FROM d, jsonb_populate_recordset(NULL::delegation_event, CAST($3 AS jsonb)) r) "
            "SELECT id FROM d"
        )
        _DRAFT_SQL[(columns, events)] = found
    return found


def set_columns(appended: Inserts, row: DelegationRow, values: dict[str, Any]) -> None:
    """Write `values` on a row this transaction holds (no version check: it created the row), first in
    `appended`; mirrored on `row` as committed state."""
    appended.update(_DELEGATION, {"id": row.id}, values)
    for name, value in values.items():
        set_committed_value(row, name, value)


async def document_kinds(session: AsyncSession, delegation_id: int) -> list[str]:
    stmt = select(DocumentRow.kind).where(DocumentRow.delegation_id == delegation_id)
    return list(await session.exec(stmt))


async def clocks_of(session: AsyncSession, delegation_id: int) -> list[tuple[ClockRow, list[ClockStopRow], list[str]]]:
    """Every clock of a delegation with its stops and fired rungs, in three queries."""
    clock_rows = list(
        await session.exec(select(ClockRow).where(ClockRow.delegation_id == delegation_id).order_by(col(ClockRow.id)))
    )
    ids = [c.id for c in clock_rows]
    stops: dict[int, list[ClockStopRow]] = {i: [] for i in ids if i is not None}
    fired: dict[int, list[str]] = {i: [] for i in ids if i is not None}
    if ids:
        for stop in await session.exec(select(ClockStopRow).where(col(ClockStopRow.clock_id).in_(ids))):
            stops[stop.clock_id].append(stop)
        for rung in await session.exec(select(ClockRungRow).where(col(ClockRungRow.clock_id).in_(ids))):
            fired[rung.clock_id].append(rung.rung)
    return [(c, stops[c.id], fired[c.id]) for c in clock_rows if c.id is not None]


async def statutory_clocks_of(session: AsyncSession, delegation_id: int) -> list[StatutoryClockRow]:
    """Every statutory clock of a delegation (民诉法 第二百四十条), oldest first."""
    stmt = select(StatutoryClockRow).where(StatutoryClockRow.delegation_id == delegation_id)
    return list(await session.exec(stmt.order_by(col(StatutoryClockRow.id))))


async def events_of(session: AsyncSession, delegation_id: int) -> Sequence[EventRow]:
    stmt = select(EventRow).where(EventRow.delegation_id == delegation_id).order_by(EventRow.id)  # type: ignore[arg-type]
    return list(await session.exec(stmt))


async def last_event(session: AsyncSession, delegation_id: int, action: str) -> EventRow | None:
    """The delegation's latest event of one action (the last return for correction), or None."""
    stmt = (
        select(EventRow)
        .where(EventRow.delegation_id == delegation_id, EventRow.action == action)
        .order_by(col(EventRow.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def documents_of(session: AsyncSession, delegation_id: int) -> Sequence[DocumentRow]:
    stmt = select(DocumentRow).where(DocumentRow.delegation_id == delegation_id).order_by(DocumentRow.id)  # type: ignore[arg-type]
    return list(await session.exec(stmt))


async def extensions_of(session: AsyncSession, delegation_id: int) -> Sequence[ExtensionRow]:
    stmt = select(ExtensionRow).where(ExtensionRow.delegation_id == delegation_id).order_by(ExtensionRow.id)  # type: ignore[arg-type]
    return list(await session.exec(stmt))


async def court_overrides(session: AsyncSession) -> Sequence[CourtOverrideRow]:
    stmt = select(CourtOverrideRow).order_by(CourtOverrideRow.effective_from, CourtOverrideRow.id)  # type: ignore[arg-type]
    return list(await session.exec(stmt))


async def calendar_schedules(session: AsyncSession) -> Sequence[CalendarScheduleRow]:
    stmt = select(CalendarScheduleRow).order_by(CalendarScheduleRow.year, CalendarScheduleRow.id)  # type: ignore[arg-type]
    return list(await session.exec(stmt))


async def policy_documents(session: AsyncSession) -> Sequence[PolicyDocumentRow]:
    stmt = select(PolicyDocumentRow).order_by(PolicyDocumentRow.effective_from)  # type: ignore[arg-type]
    return list(await session.exec(stmt))


async def get_user(session: AsyncSession, username: str) -> UserRow | None:
    return (await session.exec(select(UserRow).where(UserRow.username == username))).first()


async def create_fingerprint(session: AsyncSession, delegation_id: int) -> str | None:
    """The request hash kept on a delegation's create event (None for drafts created without one)."""
    stmt = select(EventRow.data).where(EventRow.delegation_id == delegation_id, EventRow.action == "create")
    first = (await session.exec(stmt.order_by(col(EventRow.id)).limit(1))).first() or {}
    value = first.get("fingerprint")
    return value if isinstance(value, str) else None


async def delete_document(session: AsyncSession, delegation_id: int, document_id: int) -> DocumentRow | None:
    """Remove one document row of a delegation (a draft's replaced scan); the removed row, or None."""
    stmt = select(DocumentRow).where(DocumentRow.id == document_id, DocumentRow.delegation_id == delegation_id)
    found = (await session.exec(stmt)).first()
    if found is not None:
        await session.delete(found)
    return found


_WITH_TOTALS = select(
    DelegationRow,
    sa_select(func.count()).where(col(DocumentRow.delegation_id) == DelegationRow.id).scalar_subquery(),
    sa_select(func.coalesce(func.sum(DocumentRow.size), 0))
    .where(col(DocumentRow.delegation_id) == DelegationRow.id)
    .scalar_subquery(),
).where(DelegationRow.id == bindparam("delegation_id"))


_WITH_TOTALS_CORE = sa_select(
    *_table(DelegationRow).c,
    sa_select(func.count()).where(col(DocumentRow.delegation_id) == _table(DelegationRow).c.id).scalar_subquery(),
    sa_select(func.coalesce(func.sum(DocumentRow.size), literal_column("0")))  # no parameter but the id
    .where(col(DocumentRow.delegation_id) == _table(DelegationRow).c.id)
    .scalar_subquery(),
).where(_table(DelegationRow).c.id == bindparam("delegation_id"))


async def with_document_totals(session: AsyncSession, delegation_id: int) -> tuple[DelegationRow, int, int] | None:
    """The delegation with how many documents it holds and their bytes in all, in one query. SQLite: the row
    is in the session (a later `get_delegation` costs no query); PostgreSQL: read on asyncpg, the row built
    outside the session (pass it on)."""
    if is_postgres(session):
        statement, _names = pg_statement(session, _WITH_TOTALS_CORE)
        records = await pg_fetch(session, statement, delegation_id)
        if not records:
            return None
        record = records[0]
        columns = len(_DELEGATION_COLUMNS)
        row = built(DelegationRow, dict(zip(_DELEGATION_COLUMNS, record[:columns], strict=True)))
        return row, int(record[columns]), int(record[columns + 1])
    found: Any = (await session.exec(_WITH_TOTALS, params={"delegation_id": delegation_id})).first()
    return None if found is None else (found[0], int(found[1]), int(found[2]))


async def document_totals(session: AsyncSession, delegation_id: int) -> tuple[int, int]:
    """How many documents a delegation holds and their bytes in all."""
    stmt = select(func.count(), func.coalesce(func.sum(DocumentRow.size), 0)).where(
        DocumentRow.delegation_id == delegation_id
    )
    count, total = (await session.exec(stmt)).one()
    return int(count), int(total)


async def users_of_courts(session: AsyncSession, courts: Sequence[str]) -> list[UserRow]:
    stmt = (
        select(UserRow).where(col(UserRow.court_code).in_(list(courts))).order_by(UserRow.court_code, UserRow.username)
    )
    return list(await session.exec(stmt))


async def handlers_of(session: AsyncSession, court_code: str) -> list[UserRow]:
    """The court's active users holding the handler role, by display name (JSON roles: filtered here, a
    court has a handful of users)."""
    stmt = (
        select(UserRow)
        .where(UserRow.court_code == court_code, col(UserRow.active).is_(True))
        .order_by(UserRow.display_name, UserRow.username)
    )
    return [u for u in await session.exec(stmt) if "handler" in (u.roles or [])]
