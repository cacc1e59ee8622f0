"""Work lists for people: what waits on my court, what we sent, what we assist, and a command center's
drill-down from its dashboard (matters a court holds, in one status, overdue or due soon).

The filters are the API's (query_service's conditions over the same DelegationQuery, under the same
`access.list_scope`); on top come the views people ask for, a sort order (newest, oldest, due first) and
pages read from a cursor in the order of an index (see "keyset pages" below). Which side holds the ball in
a status is one table here, shared with the dashboard's counts, so that a count on the dashboard and the list
behind it always agree.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, true, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, Operation, UserRole, authorize, command_center_covers, enforce
from delegation.core.errors import FieldError, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Side, Status
from delegation.reading import delegations as query_service
from delegation.reading.delegations import DelegationQuery, Listed
from delegation.reading.followups import RowFacts, row_facts
from delegation.store import counts as counters
from delegation.store.sql import one_of, run
from delegation.store.statistics import DrillFilter, drill_ids
from delegation.store.tables import ClockRow, DelegationRow, UserRow

# Which court holds the ball while a delegation is in an open status (declined: the assisting court said
# "not ours"; it stays with that court until its command center redirects it).
HOLDER_SIDE: dict[Status, Side] = {
    Status.SUBMITTED: Side.ASSISTING,
    Status.DECLINED: Side.ASSISTING,
    Status.ACCEPTED: Side.ASSISTING,
    Status.IN_PROGRESS: Side.ASSISTING,
    Status.SCHEDULED: Side.ASSISTING,
    Status.RETURNED: Side.REQUESTING,
    Status.COMPLETED: Side.REQUESTING,
}
OPEN_STATUSES: tuple[Status, ...] = (
    Status.SUBMITTED,
    Status.RETURNED,
    Status.DECLINED,
    Status.ACCEPTED,
    Status.IN_PROGRESS,
    Status.SCHEDULED,
    Status.COMPLETED,
)
ASSISTING_HELD = tuple(s.value for s, side in HOLDER_SIDE.items() if side is Side.ASSISTING)
REQUESTING_HELD = tuple(s.value for s, side in HOLDER_SIDE.items() if side is Side.REQUESTING)

# "Waiting on us", split the way a clerk works through it: (stage, side that acts, statuses).
WAITING_STAGES: dict[str, tuple[Side, tuple[str, ...]]] = {
    "sign_for": (Side.ASSISTING, (Status.SUBMITTED.value,)),
    "correct": (Side.REQUESTING, (Status.RETURNED.value,)),
    "do": (Side.ASSISTING, (Status.ACCEPTED.value, Status.IN_PROGRESS.value, Status.SCHEDULED.value)),
    "confirm": (Side.REQUESTING, (Status.COMPLETED.value,)),
}
VIEWS = ("waiting", "mine", "outbox", "inbox", "all")
SORTS = ("newest", "oldest", "due")
LATENESS = ("overdue", "due_soon")
MAX_PER_PAGE = 100
COUNT_CAP = 1000  # a list counts its matters up to here, then says "1,000+": never a count over the whole match


@dataclass(frozen=True)
class WorkQuery:
    # waiting on my court | mine (I am the handler: 我承办的) | outbox (we asked) | inbox (we assist) | all I may see
    view: str = "waiting"
    stage: str | None = None  # waiting: sign_for | correct | do | confirm
    holders: tuple[str, ...] = ()  # the courts holding the ball (a dashboard drill-down)
    lateness: str | None = None  # overdue | due_soon (the holder's running clock)
    soon_until: datetime | None = None  # the end of "due soon", given by the caller with `now`
    filters: DelegationQuery = field(default_factory=DelegationQuery)
    facts: DrillFilter | None = None  # the matters behind a statistics figure
    sort: str = "newest"
    cursor: str | None = None  # where a page starts (WorkPage.next_cursor / prev_cursor); None: the first page
    per_page: int = 25


@dataclass(frozen=True)
class WorkPage:
    items: list[Listed]
    total: int  # the matters of the list, counted up to COUNT_CAP + 1 ("1,000+")
    per_page: int
    next_cursor: str | None = None
    prev_cursor: str | None = None
    exact: bool = False  # the total is the dashboard's own figure (the counters), not a capped count
    waiting: dict[str, int] | None = None  # waiting_counts, when the page read them for its count (its tabs)
    facts: RowFacts = field(default_factory=RowFacts)  # what the page shows beside its rows

    @property
    def capped(self) -> bool:
        return not self.exact and self.total > COUNT_CAP


def _sides(actor: Actor) -> set[Side]:
    sides: set[Side] = set()
    if UserRole.REQUESTING_OFFICER in actor.roles:
        sides.add(Side.REQUESTING)
    if UserRole.ASSISTING_CLERK in actor.roles:
        sides.add(Side.ASSISTING)
    return sides


def waiting_condition(actor: Actor, stage: str | None = None) -> ColumnElement[bool]:
    """Matters waiting on the actor's court in a part the actor plays (a clerk signs for, an officer confirms)."""
    d = DelegationRow
    own = actor.court_code
    if own is None:
        return false()
    stages = [stage] if stage else list(WAITING_STAGES)
    parts: list[ColumnElement[bool]] = []
    for name in stages:
        side, statuses = WAITING_STAGES[name]
        if side not in _sides(actor):
            continue
        court = col(d.assisting_court) if side is Side.ASSISTING else col(d.requesting_court)
        parts.append(and_(court == own, col(d.status).in_(statuses)))
    return or_(*parts) if parts else false()


def holder_condition(courts: tuple[str, ...], statuses: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """Open matters whose ball one of `courts` holds (optionally in some statuses only)."""
    d = DelegationRow
    assisting = [s for s in ASSISTING_HELD if not statuses or s in statuses]
    requesting = [s for s in REQUESTING_HELD if not statuses or s in statuses]
    parts: list[ColumnElement[bool]] = []
    if assisting:
        parts.append(and_(col(d.assisting_court).in_(courts), col(d.status).in_(assisting)))
    if requesting:
        parts.append(and_(col(d.requesting_court).in_(courts), col(d.status).in_(requesting)))
    return or_(*parts) if parts else false()


def running_clock_condition(
    now: datetime, lateness: str, soon_until: datetime | None, courts: tuple[str, ...] = ()
) -> ColumnElement[bool]:
    """A running (open, not paused) clock, held by one of `courts` if given, that is overdue or due soon."""
    c = ClockRow
    conditions: list[ColumnElement[bool]] = [
        col(c.delegation_id) == col(DelegationRow.id),
        col(c.closed_at).is_(None),
        col(c.paused).is_(False),
    ]
    if courts:
        conditions.append(col(c.court_code).in_(courts))
    if lateness == "overdue":
        conditions.append(col(c.due_at) <= now)
    else:
        conditions += [col(c.due_at) > now, col(c.due_at) <= (soon_until or now)]
    return exists().where(*conditions)


def _check(q: WorkQuery) -> None:
    problems: list[FieldError] = []
    if q.view not in VIEWS:
        problems.append(FieldError("view", "列表类型无效", f"view must be one of {', '.join(VIEWS)}"))
    if q.stage is not None and q.stage not in WAITING_STAGES:
        problems.append(FieldError("stage", "待办类别无效", f"stage must be one of {', '.join(WAITING_STAGES)}"))
    if q.sort not in SORTS:
        problems.append(FieldError("sort", "排序方式无效", f"sort must be one of {', '.join(SORTS)}"))
    if q.lateness is not None and q.lateness not in LATENESS:
        problems.append(FieldError("lateness", "期限筛选无效", "lateness must be overdue or due_soon"))
    if problems:
        raise ValidationFailed(problems)


def conditions_of(
    ref: Reference, actor: Actor, now: datetime, q: WorkQuery, with_lateness: bool = True
) -> list[ColumnElement[bool]]:
    """The API's filters for the view (scoped by access.list_scope), plus the view's own condition (the
    lateness window left out when the caller reads the list from the clocks themselves)."""
    box = q.view if q.view in ("outbox", "inbox") else "all"
    conditions = query_service._conditions(ref, actor, replace(q.filters, box=box, cursor=None), now)
    if q.view == "waiting":
        conditions.append(waiting_condition(actor, q.stage))
    if q.view == "mine":
        conditions.append(col(DelegationRow.handler_username) == actor.username)
    if q.holders:
        conditions.append(holder_condition(q.holders, q.filters.statuses))
    if q.lateness is not None and with_lateness:
        conditions.append(running_clock_condition(now, q.lateness, q.soon_until, q.holders))
    if q.facts is not None:
        conditions.append(col(DelegationRow.id).in_(drill_ids(q.facts)))
    return conditions


# ---------------------------------------------------------------- keyset pages
#
# A list is read in one or two segments, each in the order of an index, so that a page costs a range scan of
# about one page whatever its position: newest / oldest walk the primary key; "due first" walks the running
# clocks (ix_clock_running_court_due for the courts holding the ball, ix_clock_running_due for any court),
# one clock per matter (a matter has at most one running clock: tests/integration/test_perform_model), then
# the matters with no running clock, oldest first. A cursor names a segment, the key of a row and the
# direction: after it (next page) or before it (previous page).


@dataclass(frozen=True)
class _Segment:
    name: str  # "c": running clocks by (due_at, clock id); "d": matters by id
    descending: bool
    keys: tuple[Any, ...]  # the key columns, compared as a row value
    statement: Any  # a Select of the keys, then the DelegationRow
    clocks: Any = None  # "c": the running clocks alone (keys, delegation id), read first in chunks (see _scan)
    where: Any = None  # "c": the list's conditions on the delegation


def _encode_cursor(segment: str, forward: bool, key: tuple[Any, ...]) -> str:
    parts = [v.isoformat() if isinstance(v, datetime) else str(v) for v in key]
    text = "|".join(["w1", segment, "n" if forward else "p", *parts])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _bad_cursor() -> ValidationFailed:
    """A page position that is not one (edited or from an older version): said in Chinese on the page too."""
    problem = FieldError("cursor", "翻页位置无效，请从第一页重新打开列表", "Invalid page; open the list again.")
    refused = ValidationFailed([problem])
    refused.title_zh = problem.message_zh
    return refused


def _decode_cursor(cursor: str) -> tuple[str, bool, tuple[Any, ...]]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, segment, direction, *parts = text.split("|")
        if version != "w1" or direction not in ("n", "p"):
            raise ValueError(text)
        if segment == "d" and len(parts) == 1:
            key: tuple[Any, ...] = (int(parts[0]),)
        elif segment == "c" and len(parts) == 2:
            due = datetime.fromisoformat(parts[0])
            if due.tzinfo is None:
                raise ValueError(text)
            key = (due, int(parts[1]))
        else:
            raise ValueError(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad_cursor() from None
    return segment, direction == "n", key


def _holder_courts(actor: Actor, q: WorkQuery) -> tuple[str, ...]:
    """Whose running clock orders "due first": the drill-down's courts, my court for what waits on us and
    what I handle, any court otherwise."""
    if q.holders:
        return q.holders
    if q.view in ("waiting", "mine") and actor.court_code:
        return (actor.court_code,)
    return ()


def _running(clock: Any, courts: tuple[str, ...]) -> list[ColumnElement[bool]]:
    conditions = [clock.closed_at.is_(None), clock.paused.is_(False), clock.due_at.is_not(None)]
    if courts:
        conditions.append(clock.court_code.in_(courts))
    return conditions


def _segments(actor: Actor, q: WorkQuery, conditions: list[ColumnElement[bool]], lateness: list[Any]) -> list[_Segment]:
    d = DelegationRow.__table__.c  # type: ignore[attr-defined]
    where = and_(true(), *conditions)
    if q.sort != "due":
        descending = q.sort == "newest"
        return [_Segment("d", descending, (d.id,), select(d.id, DelegationRow).where(where))]
    c = ClockRow.__table__.c  # type: ignore[attr-defined]
    courts = _holder_courts(actor, q)
    by_clock = (
        select(c.due_at, c.id, DelegationRow)
        .join_from(ClockRow, DelegationRow, col(DelegationRow.id) == c.delegation_id)
        .where(*_running(c, courts), *lateness, where)
    )
    clocks_only = select(c.due_at, c.id, c.delegation_id).where(*_running(c, courts), *lateness)
    segments = [_Segment("c", False, (c.due_at, c.id), by_clock, clocks_only, where)]
    if not lateness:  # then the matters with no running clock (paused, or waiting without one), oldest first
        other = ClockRow.__table__.alias("other")  # type: ignore[attr-defined]
        none = ~exists().where(other.c.delegation_id == d.id, *_running(other.c, courts))
        segments.append(_Segment("d", False, (d.id,), select(d.id, DelegationRow).where(where, none)))
    return segments


CHUNK_ROUNDS = 3  # chunks of running clocks read in index order before letting the database plan the rest


async def _scan(
    session: AsyncSession,
    segment: _Segment,
    key: tuple[Any, ...] | None,
    forward: bool,
    limit: int,
    extra: tuple[Any, ...] = (),
) -> tuple[list[tuple[str, tuple[Any, ...], DelegationRow]], tuple[Any, ...] | None]:
    """Up to `limit` rows of a segment after (forward) or before `key`, nearest first; and the values of the
    `extra` (uncorrelated) columns, computed once in the same round trip, if any row came back."""
    ascending = segment.descending != forward
    if segment.clocks is not None:
        return await _scan_clocks(session, segment, key, forward, ascending, limit, extra)
    stmt = segment.statement
    if key is not None:
        stmt = stmt.where(_after(segment.keys, key, ascending))
    stmt = stmt.add_columns(*extra).order_by(*(k.asc() if ascending else k.desc() for k in segment.keys)).limit(limit)
    width = len(segment.keys)
    found = (await session.exec(stmt)).all()
    rows = [(segment.name, tuple(r[:width]), r[width]) for r in found]
    return rows, (tuple(found[0][width + 1 :]) if found and extra else None)


def _after(keys: tuple[Any, ...], key: tuple[Any, ...], ascending: bool) -> Any:
    row_value = tuple_(*keys) if len(keys) > 1 else keys[0]
    bound = tuple_(*key) if len(key) > 1 else key[0]
    return row_value > bound if ascending else row_value < bound


async def _scan_clocks(
    session: AsyncSession,
    segment: _Segment,
    key: tuple[Any, ...] | None,
    forward: bool,
    ascending: bool,
    limit: int,
    extra: tuple[Any, ...],
) -> tuple[list[tuple[str, tuple[Any, ...], DelegationRow]], tuple[Any, ...] | None]:
    """The running clocks in index order, a chunk at a time, then their matters that meet the list's
    conditions (by primary key): a page costs about one chunk when most clocks qualify (what waits on us,
    a drill-down), whatever the planner guesses of the conditions. When few qualify (a search), after
    CHUNK_ROUNDS chunks the rest is one statement the database plans as it sees fit."""
    found: list[tuple[str, tuple[Any, ...], DelegationRow]] = []
    values: tuple[Any, ...] | None = None
    size = max(4 * limit, 100)
    order = [k.asc() if ascending else k.desc() for k in segment.keys]
    bound = key
    for round_ in range(CHUNK_ROUNDS):
        stmt = segment.clocks
        if bound is not None:
            stmt = stmt.where(_after(segment.keys, bound, ascending))
        stmt = stmt.add_columns(*(extra if round_ == 0 else ())).order_by(*order).limit(size)
        chunk = (await run(session, stmt)).all()
        if round_ == 0 and extra and chunk:
            values = tuple(chunk[0][3:])
        if not chunk:
            return found, values
        ids = sorted({r[2] for r in chunk})
        by_ids = one_of(session, col(DelegationRow.id), ids)
        matters = await session.exec(select(DelegationRow).where(by_ids, segment.where))
        by_id = {m.id: m for m in matters}
        for r in chunk:
            if r[2] in by_id:
                found.append((segment.name, (r[0], r[1]), by_id[r[2]]))
                if len(found) == limit:
                    return found, values
        if len(chunk) < size:
            return found, values
        bound = (chunk[-1][0], chunk[-1][1])
    rest, _ = await _scan(session, replace(segment, clocks=None), bound, forward, limit - len(found))
    return found + rest, values


def _counts(segments: list[_Segment]) -> tuple[Any, ...]:
    """Per segment, its matters up to COUNT_CAP + 1 (the segments do not overlap), as scalar subqueries."""
    return tuple(
        select(func.count())
        .select_from(s.statement.with_only_columns(s.keys[0]).limit(COUNT_CAP + 1).subquery())
        .scalar_subquery()
        for s in segments
    )


def _whole_count(conditions: list[ColumnElement[bool]]) -> Any:
    """The matters of the whole list up to COUNT_CAP + 1, over `delegation` alone (a scalar subquery)."""
    ids = select(col(DelegationRow.id)).where(and_(true(), *conditions)).limit(COUNT_CAP + 1).subquery()
    return select(func.count()).select_from(ids).scalar_subquery()


async def _page(
    session: AsyncSession,
    segments: list[_Segment],
    cursor: str | None,
    limit: int,
    count: bool = True,
    whole: Any = None,
) -> tuple[list[DelegationRow], str | None, str | None, int]:
    """A page from the cursor, the cursors of the pages after and before it, and the list's capped count
    (read with the scans of the page, in their round trips): per segment, or, given `whole` (the capped
    count of the whole list, _whole_count), that one count with the page's first scan."""
    names = [s.name for s in segments]
    start, forward, key = (names[0], True, None) if cursor is None else _decode_cursor(cursor)
    if start not in names:
        raise _bad_cursor()
    index = names.index(start)
    order = segments[index:] if forward else segments[index::-1]
    found: list[tuple[str, tuple[Any, ...], DelegationRow]] = []
    counted: dict[str, int] = {}  # per segment, its matters up to COUNT_CAP + 1, read with its scan
    for position, segment in enumerate(order):
        if whole is not None:
            extra: tuple[Any, ...] = (whole,) if position == 0 else ()
        else:
            extra = _counts([segment]) if count else ()
        rows, values = await _scan(
            session, segment, key if position == 0 else None, forward, limit + 1 - len(found), extra
        )
        found += rows
        if values is not None:
            counted["whole" if whole is not None else segment.name] = int(values[0])
        if len(found) > limit:
            break
    if whole is not None:
        if "whole" not in counted:  # the page's first scan found nothing: the count alone
            counted["whole"] = int((await run(session, select(whole))).scalar_one())
    elif count:
        rest = [s for s in segments if s.name not in counted]
        if rest and sum(counted.values()) <= COUNT_CAP:  # the segments this page did not reach, when they count
            values = (await run(session, select(*_counts(rest)))).one()
            counted.update({s.name: int(v) for s, v in zip(rest, values, strict=True)})
    total = min(COUNT_CAP + 1, sum(counted.values()))
    more = len(found) > limit
    found = found[:limit]
    if not forward:
        found.reverse()
    if not found:
        return [], None, None, total
    first, last = found[0], found[-1]
    has_next = more if forward else True
    has_prev = (cursor is not None) if forward else more
    return (
        [row for _, _, row in found],
        _encode_cursor(last[0], True, last[1]) if has_next else None,
        _encode_cursor(first[0], False, first[1]) if has_prev else None,
        total,
    )


async def work_list(session: AsyncSession, ref: Reference, actor: Actor, now: datetime, q: WorkQuery) -> WorkPage:
    """One page of a work list, read in the order of an index from its cursor (no OFFSET), with its count
    capped at COUNT_CAP + 1."""
    enforce(authorize(actor, Operation.LIST_DELEGATIONS), "Delegations", Operation.LIST_DELEGATIONS)
    _check(q)
    per_page = max(1, min(q.per_page, MAX_PER_PAGE))
    lateness: list[Any] = []
    conditions = conditions_of(ref, actor, now, q, with_lateness=q.sort != "due")
    if q.lateness is not None and q.sort == "due":  # the clocks driving the list carry the window themselves
        due = ClockRow.__table__.c.due_at  # type: ignore[attr-defined]
        lateness = [due <= now] if q.lateness == "overdue" else [due > now, due <= (q.soon_until or now)]
    segments = _segments(actor, q, conditions, lateness)
    waiting = await waiting_counts(session, actor) if _counts_waiting(q) else None
    figure = await _dashboard_figure(session, ref, actor, now, q, waiting)
    # Due first with no lateness window, the segments split the list's matters (a running clock of the
    # holder, or none): its count is one capped count over `delegation`, which an index answers (我承办的:
    # ix_delegation_handler_scope), instead of the clocks' segment joined to every matter of the list.
    whole = _whole_count(conditions) if figure is None and q.sort == "due" and not lateness else None
    rows, next_cursor, prev_cursor, total = await _page(session, segments, q.cursor, per_page, figure is None, whole)
    ids = [r.id for r in rows if r.id is not None]
    clocks = await query_service.running_clocks(session, ref, ids, now)
    facts = await row_facts(session, ids, now)  # 法定期限 (shown beside the policy clock), follow-ups, 网络查控
    items = [query_service.summarize(ref, actor, r, clocks.get(r.id or 0), (r.id or 0) in facts.late) for r in rows]
    if figure is not None:
        return WorkPage(items, figure, per_page, next_cursor, prev_cursor, exact=True, waiting=waiting, facts=facts)
    return WorkPage(items, total, per_page, next_cursor, prev_cursor, facts=facts)


def _plain(q: WorkQuery) -> bool:
    """No filter but at most one status (a list the counters can count)."""
    return (
        q.facts is None and q.filters == DelegationQuery(statuses=q.filters.statuses) and len(q.filters.statuses) <= 1
    )


def _counts_waiting(q: WorkQuery) -> bool:
    """What waits on us, unfiltered: its count is the waiting tabs' figures (waiting_counts)."""
    return q.view == "waiting" and _plain(q) and not (q.filters.statuses or q.lateness or q.holders)


async def _dashboard_figure(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    q: WorkQuery,
    waiting: dict[str, int] | None = None,
) -> int | None:
    """The count of a list that is exactly a figure of the dashboard or of the waiting tabs (a court's or a
    city's matters in a status, overdue or due soon; what waits on us, by stage: `waiting`, read by the
    caller), from the maintained counters: the same number the link was clicked on, read from a few rows.
    None for any other list."""
    if waiting is not None:
        return waiting[q.stage] if q.stage else sum(waiting.values())
    if not _plain(q) or q.view != "all" or not q.holders:
        return None
    if not all(command_center_covers(actor, court, ref.city_of) for court in q.holders):
        return None  # courts outside the actor's view: the list is narrower than the counters
    if q.lateness is not None:
        if q.filters.statuses:
            return None
        dues = await counters.due_counts(session, q.holders, now, q.soon_until or now)
        return sum(late if q.lateness == "overdue" else soon for late, soon in dues.values())
    statuses = q.filters.statuses or tuple(s.value for s in OPEN_STATUSES)
    held = await counters.status_counts(session, q.holders)
    return sum(n for (_court, status), n in held.items() if status in statuses)


async def waiting_counts(session: AsyncSession, actor: Actor) -> dict[str, int]:
    """How many matters wait on the actor's court at each stage, from the dashboard's maintained counters
    (the court holding the ball in each status: HOLDER_SIDE, which WAITING_STAGES follows)."""
    counts = dict.fromkeys(WAITING_STAGES, 0)
    sides = _sides(actor)
    if actor.court_code is None or not sides:
        return counts
    held = await counters.status_counts(session, [actor.court_code])
    for name, (side, statuses) in WAITING_STAGES.items():
        if side in sides:
            counts[name] = sum(held.get((actor.court_code, status), 0) for status in statuses)
    return counts


async def display_names(session: AsyncSession, usernames: Iterable[str]) -> dict[str, str]:
    """The display names of these users (one query), for timelines that keep usernames."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    stmt = select(UserRow.username, UserRow.display_name).where(col(UserRow.username).in_(wanted))
    return {name: display for name, display in (await session.exec(stmt)).all()}
