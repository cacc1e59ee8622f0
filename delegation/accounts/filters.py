"""Saved filters: a user names the filters of a work list they use often (待签收 from 青岛, overdue, ...) and
applies them again from the work page. Each is the list's query string, kept per user in the database."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor
from delegation.core.errors import FieldError, NotFound, ValidationFailed
from delegation.store.tables import SavedFilterRow

NAME_MAX = 40
QUERY_MAX = 1000
PER_USER = 20
# The work list's own parameters; anything else in a saved query is dropped (never the page number).
KEYS = (
    "view",
    "stage",
    "status",
    "matter_type",
    "counterpart",
    "city",
    "holder",
    "holder_city",
    "lateness",
    "overdue",
    "provisional",
    "due_before",
    "q",
    "sort",
)


def clean_query(query: str) -> str:
    """The work list's parameters of a query string, in a fixed order, empty ones left out."""
    given = dict(parse_qsl(query, keep_blank_values=False))
    return urlencode([(k, given[k]) for k in KEYS if given.get(k)])


async def list_filters(session: AsyncSession, actor: Actor) -> list[SavedFilterRow]:
    stmt = select(SavedFilterRow).where(SavedFilterRow.username == actor.username).order_by(col(SavedFilterRow.name))
    return list(await session.exec(stmt))


async def save_filter(session: AsyncSession, actor: Actor, now: datetime, name: str, query: str) -> SavedFilterRow:
    """Save the list's filters under a name (a name already used is given the new filters)."""
    label = " ".join(name.split())
    problems: list[FieldError] = []
    if not 1 <= len(label) <= NAME_MAX:
        problems.append(
            FieldError(
                "name", f"请为筛选条件起一个名称（1至{NAME_MAX}字）", f"Name the filter (1 to {NAME_MAX} characters)."
            )
        )
    cleaned = clean_query(query)
    if not cleaned or len(cleaned) > QUERY_MAX:
        problems.append(
            FieldError("query", "当前列表没有可保存的筛选条件", "The list has no filters to save (or too many).")
        )
    if problems:
        raise ValidationFailed(problems)
    mine = await list_filters(session, actor)
    existing = next((f for f in mine if f.name == label), None)
    if existing is None and len(mine) >= PER_USER:
        raise ValidationFailed(
            [
                FieldError(
                    "name",
                    f"最多保存{PER_USER}个筛选条件，请先删除不用的",
                    f"At most {PER_USER} saved filters; delete one first.",
                )
            ]
        )
    row = existing or SavedFilterRow(username=actor.username, name=label, query=cleaned, created_at=now)
    row.query = cleaned
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row


async def delete_filter(session: AsyncSession, actor: Actor, filter_id: int) -> None:
    """Delete one of the user's saved filters (another user's is not found)."""
    row = await session.get(SavedFilterRow, filter_id)
    if row is None or row.username != actor.username:
        raise NotFound(f"Saved filter {filter_id} not found.")
    await session.delete(row)
    await session.commit()
