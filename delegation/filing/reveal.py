"""Personal data: masked in every view, revealed one value at a time with a reason, and every reveal and
document download written to the append-only access log (who, what, when, why).

The application only ever inserts into the access log; nothing here (or anywhere) updates or deletes it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts.users import administered_courts
from delegation.catalogue.searchkeys import recognise
from delegation.core.access import Actor, Operation, authorize, enforce
from delegation.core.errors import FieldError, ValidationFailed
from delegation.core.reference import Reference
from delegation.reading.delegations import load_authorized, masked, roles_label
from delegation.store.tables import AccessLogRow, DelegationRow, IdentifierSearchLogRow

REASON_MIN, REASON_MAX = 4, 500
_FIELD_PATH = re.compile(r"^fields\.([a-z][a-z0-9_]{0,63})(?:\[(\d{1,4})\]\.([a-z][a-z0-9_]{0,63}))?$")
_PARTY_PATH = re.compile(r"^parties\[(\d{1,4})\]\.([a-z][a-z0-9_]{0,63})$")


def _bad_path(path: str) -> ValidationFailed:
    return ValidationFailed(
        [
            FieldError(
                "field",
                f"“{path[:80]}”不是本委托中可查看的个人信息字段",
                f"'{path[:80]}' is not a personal-data value of this delegation (see revealable_fields).",
            )
        ]
    )


def _value_at(ref: Reference, row: DelegationRow, path: str) -> object:
    """The stored value at `path`, only if that path is a masked personal-data field with a value."""
    if path not in masked(ref, row).revealable:
        raise _bad_path(path)
    found = _FIELD_PATH.match(path)
    if found:
        name, index, sub = found.groups()
        value = row.fields.get(name)
        if index is not None and isinstance(value, list):
            item = value[int(index)]
            return item.get(sub) if isinstance(item, Mapping) else None
        return value
    found = _PARTY_PATH.match(path)
    if found is None:
        raise _bad_path(path)
    index, name = found.groups()
    return row.parties[int(index)].get(name)


def _reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise ValidationFailed(
            [
                FieldError(
                    "reason",
                    f"请写明查看理由（{REASON_MIN}至{REASON_MAX}字）",
                    f"State why you need the value ({REASON_MIN} to {REASON_MAX} characters).",
                )
            ]
        )
    return text


async def reveal(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    path: str,
    reason: str,
    address: str = "",
) -> object:
    """One personal-data value in full, for an actor whose part covers the matter; logged with the reason."""
    row = await load_authorized(session, ref, actor, delegation_id, Operation.REVEAL)
    why = _reason(reason)
    value = _value_at(ref, row, path)
    session.add(
        AccessLogRow(
            at=now,
            actor=actor.username,
            actor_court=actor.court_code,
            actor_roles=roles_label(actor, row, ref)[:100],
            kind="reveal",
            delegation_id=delegation_id,
            target=path[:200],
            reason=why,
            address=address[:64],
        )
    )
    await session.commit()
    return value


PRINT_REASON = "打印发往受托法院的法律文书（须载明协助所需的全部信息）"


async def printed_in_full(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    document: str,
    address: str = "",
) -> DelegationRow:
    """A document addressed to the court that must act prints the personal data it needs in full (it is the
    legal instrument); only for a part covering the matter, and every print is logged like a reveal."""
    row = await load_authorized(session, ref, actor, delegation_id, Operation.REVEAL)
    session.add(
        AccessLogRow(
            at=now,
            actor=actor.username,
            actor_court=actor.court_code,
            actor_roles=roles_label(actor, row, ref)[:100],
            kind="print",
            delegation_id=delegation_id,
            target=f"print:{document}"[:200],
            reason=PRINT_REASON,
            address=address[:64],
        )
    )
    await session.commit()
    return row


def download_log_row(
    actor: Actor, row: DelegationRow, ref: Reference, now: datetime, document_id: int, address: str
) -> AccessLogRow:
    assert row.id is not None
    return AccessLogRow(
        at=now,
        actor=actor.username,
        actor_court=actor.court_code,
        actor_roles=roles_label(actor, row, ref)[:100],
        kind="download",
        delegation_id=row.id,
        target=f"document:{document_id}",
        reason="",
        address=address[:64],
    )


async def access_log_page(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    *,
    delegation_id: int | None = None,
    username: str | None = None,
    kind: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> tuple[list[AccessLogRow], int | None]:
    """Administrators' view of the log, newest first; returns the rows and the cursor id for the next page.

    Only rows that concern a court the administrator administers: the court of who looked, or either court
    of the delegation looked at."""
    enforce(authorize(actor, Operation.READ_ACCESS_LOG), "The access log", Operation.READ_ACCESS_LOG)
    courts = sorted(administered_courts(ref, actor))
    stmt = (
        select(AccessLogRow)
        .join(DelegationRow, col(DelegationRow.id) == col(AccessLogRow.delegation_id))
        .where(
            or_(
                col(AccessLogRow.actor_court).in_(courts),
                col(DelegationRow.requesting_court).in_(courts),
                col(DelegationRow.assisting_court).in_(courts),
            )
        )
    )
    if delegation_id is not None:
        stmt = stmt.where(AccessLogRow.delegation_id == delegation_id)
    if username is not None:
        stmt = stmt.where(AccessLogRow.actor == username)
    if kind is not None:
        stmt = stmt.where(AccessLogRow.kind == kind)
    if before is not None:
        stmt = stmt.where(col(AccessLogRow.id) < before)
    rows = list(await session.exec(stmt.order_by(col(AccessLogRow.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


MATCHES_LOGGED = 200  # the matters named in one search's log row (the count is always whole)


async def log_identifier_search(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    text: str | None,
    conditions: list[ColumnElement[bool]],
    address: str = "",
) -> int:
    """A list searched by a resident ID number or USCC (the search box's `text`), logged like a reveal: who,
    when, the value's masked form and digest, the matters the search matched (`conditions`: the list's whole
    query, as the caller ran it). Other searches are not logged. Returns the rows written."""
    if not text:
        return 0
    logged = [i for i in recognise(unicodedata.normalize("NFKC", text.strip())) if i.logged]
    if not logged:
        return 0
    where = and_(true(), *conditions)
    d = DelegationRow
    ids = list(await session.exec(select(d.id).where(where).order_by(col(d.id).desc()).limit(MATCHES_LOGGED)))
    count = int((await session.exec(select(func.count()).select_from(d).where(where))).one())
    roles = ",".join(sorted(r.value for r in actor.roles)) or "none"
    for identifier in logged:
        session.add(
            IdentifierSearchLogRow(
                at=now,
                actor=actor.username,
                actor_court=actor.court_code,
                actor_roles=roles[:100],
                kind=identifier.kind,
                digest=identifier.key,
                masked=identifier.masked[:64],
                matched=[i for i in ids if i is not None],
                matched_count=count,
                address=address[:64],
            )
        )
    await session.commit()
    return len(logged)


async def identifier_search_page(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    *,
    username: str | None = None,
    value: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> tuple[list[IdentifierSearchLogRow], int | None]:
    """Administrators' view of the searches by ID number or USCC, newest first: those made by users of the
    courts they administer; `value` (an ID number or USCC, any width or case) finds who searched for it."""
    enforce(authorize(actor, Operation.READ_ACCESS_LOG), "The access log", Operation.READ_ACCESS_LOG)
    courts = sorted(administered_courts(ref, actor))
    log = IdentifierSearchLogRow
    stmt = select(log).where(col(log.actor_court).in_(courts))
    if username is not None:
        stmt = stmt.where(log.actor == username)
    if value is not None:
        keys = [i.key for i in recognise(unicodedata.normalize("NFKC", value.strip())) if i.logged]
        if not keys:
            raise ValidationFailed(
                [FieldError("value", "请填写有效的身份证号码或统一社会信用代码", "Give a valid ID number or USCC.")]
            )
        stmt = stmt.where(col(log.digest).in_(keys))
    if before is not None:
        stmt = stmt.where(col(log.id) < before)
    rows = list(await session.exec(stmt.order_by(col(log.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)
