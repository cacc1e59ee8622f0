"""Work lists for people: what waits on my court, what we sent, what we assist, and a command center's
drill-down from its dashboard (matters a court holds, in one status, overdue or due soon).

The filters are the API's (query_service's conditions over the same DelegationQuery, under the same
`access.list_scope`); on top come the views people ask for, a sort order (newest, oldest, due first) and
numbered pages. Which side holds the ball in a status is one table here, shared with the dashboard's counts,
so that a count on the dashboard and the list behind it always agree.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, Operation, UserRole, authorize, enforce
from delegation.core.errors import FieldError, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Side, Status
from delegation.reading import delegations as query_service
from delegation.reading.delegations import DelegationQuery, Listed
from delegation.store import counts as counters
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
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class WorkPage:
    items: list[Listed]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


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


def conditions_of(ref: Reference, actor: Actor, now: datetime, q: WorkQuery) -> list[ColumnElement[bool]]:
    """The API's filters for the view (scoped by access.list_scope), plus the view's own condition."""
    box = q.view if q.view in ("outbox", "inbox") else "all"
    conditions = query_service._conditions(ref, actor, replace(q.filters, box=box, cursor=None), now)
    if q.view == "waiting":
        conditions.append(waiting_condition(actor, q.stage))
    if q.view == "mine":
        conditions.append(col(DelegationRow.handler_username) == actor.username)
    if q.holders:
        conditions.append(holder_condition(q.holders, q.filters.statuses))
    if q.lateness is not None:
        conditions.append(running_clock_condition(now, q.lateness, q.soon_until, q.holders))
    if q.facts is not None:
        conditions.append(col(DelegationRow.id).in_(drill_ids(q.facts)))
    return conditions


async def work_list(session: AsyncSession, ref: Reference, actor: Actor, now: datetime, q: WorkQuery) -> WorkPage:
    enforce(authorize(actor, Operation.LIST_DELEGATIONS), "Delegations", Operation.LIST_DELEGATIONS)
    _check(q)
    per_page = max(1, min(q.per_page, MAX_PER_PAGE))
    page = max(1, q.page)
    where = and_(true(), *conditions_of(ref, actor, now, q))
    total = int((await session.exec(select(func.count()).select_from(DelegationRow).where(where))).one())
    d = DelegationRow
    stmt = select(d).where(where)
    if q.sort == "oldest":
        stmt = stmt.order_by(col(d.id).asc())
    elif q.sort == "due":
        due = (
            select(func.min(ClockRow.due_at))
            .where(
                col(ClockRow.delegation_id) == col(d.id),
                col(ClockRow.closed_at).is_(None),
                col(ClockRow.paused).is_(False),
            )
            .scalar_subquery()
        )
        stmt = stmt.order_by(due.asc().nulls_last(), col(d.id).asc())
    else:
        stmt = stmt.order_by(col(d.id).desc())
    stmt = stmt.offset((page - 1) * per_page).limit(per_page)
    rows = list((await session.exec(stmt)).all())
    ids = [r.id for r in rows if r.id is not None]
    clocks = await query_service.running_clocks(session, ref, ids, now)
    late = await query_service.statutory_breaches(session, ids, now)  # 法定期限, shown beside the policy clock
    items = [query_service.summarize(ref, actor, r, clocks.get(r.id or 0), (r.id or 0) in late) for r in rows]
    return WorkPage(items, total, page, per_page)


async def iter_work(
    session: AsyncSession, ref: Reference, actor: Actor, now: datetime, q: WorkQuery, batch: int = 1000
) -> AsyncIterator[list[Listed]]:
    """Every matter of a work list (no pages), newest first, in keyset batches: for exports of any size."""
    enforce(authorize(actor, Operation.LIST_DELEGATIONS), "Delegations", Operation.LIST_DELEGATIONS)
    _check(q)
    where = and_(true(), *conditions_of(ref, actor, now, q))
    d = DelegationRow
    last: int | None = None
    while True:
        stmt = select(d).where(where)
        if last is not None:
            stmt = stmt.where(col(d.id) < last)
        rows = list((await session.exec(stmt.order_by(col(d.id).desc()).limit(batch))).all())
        if not rows:
            return
        clocks = await query_service.running_clocks(session, ref, [r.id for r in rows if r.id is not None], now)
        yield [query_service.summarize(ref, actor, r, clocks.get(r.id or 0)) for r in rows]
        last = rows[-1].id
        session.expunge_all()  # flat memory: the batch is written out before the next is read


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
