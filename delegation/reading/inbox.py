"""Each user's inbox (消息中心): the in-app items the outbox expansion writes for them (the other court
signed for, returned, completed, wrote; an extension decided; a 催办/督办 to the court; a matter assigned),
the unread state behind the badge in the top bar, and the reader's own read marks.

Items belong to one username; nobody reads or marks another user's items (an id that is not the caller's is
"not found"). The unread state is one round trip over two indexes (the unread partial index and the
per-user id index), so the badge can be polled cheaply; its tag changes exactly when the count or the newest
item changes, which lets the pages and court systems ask with If-None-Match and get 304 otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, literal, update
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.errors import FieldError, NotFound, ValidationFailed
from delegation.outbox.model import Topic
from delegation.store.sql import run, table
from delegation.store.tables import DelegationRow, InboxRow

TOPICS: tuple[str, ...] = tuple(t.value for t in Topic)
MAX_LIMIT = 100
MAX_MARK = 500  # ids marked read in one request

INBOX = table(InboxRow)


@dataclass(frozen=True)
class InboxQuery:
    unread: bool = False
    topic: str | None = None
    delegation_id: int | None = None
    before: int | None = None  # keyset cursor: items older than this id
    limit: int = 30


@dataclass(frozen=True)
class InboxItem:
    id: int
    topic: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None
    delegation_id: int | None
    delegation_number: str | None
    notice_id: int | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


@dataclass(frozen=True)
class UnreadState:
    unread: int
    latest: int  # the newest item's id (0: none yet)

    @property
    def tag(self) -> str:
        """A strong entity-tag of this state (RFC 9110): equal tags mean nothing changed."""
        return f'"{self.latest}-{self.unread}"'


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    next_before: int | None
    state: UnreadState


def _check(query: InboxQuery) -> None:
    errors: list[FieldError] = []
    if query.topic is not None and query.topic not in TOPICS:
        errors.append(FieldError("topic", "消息类别不正确", f"topic must be one of {', '.join(TOPICS)}"))
    if not 1 <= query.limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"每页条数应为1至{MAX_LIMIT}", f"limit must be 1 to {MAX_LIMIT}"))
    if errors:
        raise ValidationFailed(errors)


def unread_columns(username: ColumnElement[str]) -> tuple[ScalarSelect[int], ScalarSelect[int]]:
    """unread_state's two figures for the user `username` names (a column of an enclosing query: the page's
    session lookup reads them with the session, auth.session_lookup), as scalar subqueries."""
    unread = (
        core_select(func.count())
        .select_from(INBOX)
        .where(INBOX.c.username == username, INBOX.c.read_at.is_(None))
        .scalar_subquery()
    )
    latest = core_select(func.max(INBOX.c.id)).where(INBOX.c.username == username).scalar_subquery()
    return unread, latest


def unread_of(count: int | None, newest: int | None) -> UnreadState:
    return UnreadState(int(count or 0), int(newest or 0))


async def unread_state(session: AsyncSession, username: str) -> UnreadState:
    """How many items are unread and the newest id, in one statement (two index lookups)."""
    unread, latest = unread_columns(literal(username))
    count, newest = (await run(session, core_select(unread, latest))).one()
    return unread_of(count, newest)


async def list_items(session: AsyncSession, username: str, query: InboxQuery) -> InboxPage:
    """The caller's items, newest first, one keyset page, with the unread state of the whole inbox."""
    _check(query)
    conditions: list[ColumnElement[bool]] = [col(InboxRow.username) == username]
    if query.unread:
        conditions.append(col(InboxRow.read_at).is_(None))
    if query.topic:
        conditions.append(col(InboxRow.topic) == query.topic)
    if query.delegation_id is not None:
        conditions.append(col(InboxRow.delegation_id) == query.delegation_id)
    if query.before is not None:
        conditions.append(col(InboxRow.id) < query.before)
    stmt = (
        select(InboxRow, DelegationRow.number)
        .join(DelegationRow, col(DelegationRow.id) == col(InboxRow.delegation_id), isouter=True)
        .where(and_(*conditions))
        .order_by(col(InboxRow.id).desc())
        .limit(query.limit + 1)
    )
    found = list((await session.exec(stmt)).all())
    items = [_item(row, number) for row, number in found[: query.limit]]
    more = len(found) > query.limit
    return InboxPage(items, items[-1].id if more and items else None, await unread_state(session, username))


def _item(row: InboxRow, number: str | None) -> InboxItem:
    assert row.id is not None
    return InboxItem(
        id=row.id,
        topic=row.topic,
        title=row.title,
        body=row.body,
        created_at=row.created_at,
        read_at=row.read_at,
        delegation_id=row.delegation_id,
        delegation_number=number,
        notice_id=row.notice_id,
    )


async def get_item(session: AsyncSession, username: str, item_id: int) -> InboxItem:
    stmt = (
        select(InboxRow, DelegationRow.number)
        .join(DelegationRow, col(DelegationRow.id) == col(InboxRow.delegation_id), isouter=True)
        .where(col(InboxRow.id) == item_id, col(InboxRow.username) == username)
    )
    found = (await session.exec(stmt)).first()
    if found is None:
        raise NotFound(f"Inbox item {item_id} not found.", title_zh="未找到该消息")
    return _item(*found)


async def mark_read(
    session: AsyncSession,
    username: str,
    now: datetime,
    *,
    ids: Sequence[int] = (),
    up_to: int | None = None,
) -> int:
    """Mark the caller's items read: these ids, or every item up to and including `up_to` (the newest one the
    reader has seen, so that "all read" never swallows an item that arrived meanwhile). Items already read
    keep their first read time. Returns how many items changed; commits."""
    if not ids and up_to is None:
        raise ValidationFailed([FieldError("ids", "请选择要标记为已读的消息", "Give ids or up_to.")])
    if len(ids) > MAX_MARK:
        raise ValidationFailed([FieldError("ids", f"一次最多标记{MAX_MARK}条", f"At most {MAX_MARK} ids at a time.")])
    which = INBOX.c.id.in_(list(ids)) if ids else INBOX.c.id <= (up_to or 0)
    stmt = update(INBOX).where(INBOX.c.username == username, INBOX.c.read_at.is_(None), which).values(read_at=now)
    changed = (await run(session, stmt)).rowcount or 0
    await session.commit()
    return int(changed)


async def open_item(session: AsyncSession, username: str, item_id: int, now: datetime) -> InboxItem:
    """The item the reader clicked, marked read (its link leads to the matter or the notice)."""
    item = await get_item(session, username, item_id)
    if item.unread:
        await mark_read(session, username, now, ids=[item.id])
    return item
