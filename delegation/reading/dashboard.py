"""The command center's dashboard and everyone's notices, as read models.

A city command center sees the courts of its city, the regional coordinator all five cities: the courts a
dashboard covers are exactly those `access.command_center_covers` says it acts for. The matrix counts open
matters per court holding the ball and status (worklist_service.HOLDER_SIDE), and the running clocks each
court holds that are overdue or due soon. The matrix reads the maintained counters (store.counts, kept by
the triggers of migration 0014, reconciled nightly): a few rows per court, whether a court holds ten open
matters or a hundred thousand; the lists beside it are index range scans with a limit (migration 0004).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, bindparam, cast, func, literal, null, or_, tuple_, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courts.registry import Court
from delegation.core import clocks
from delegation.core.access import Actor, Parties, UserRole, can_view, command_center_covers
from delegation.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Status
from delegation.notices.model import ACKNOWLEDGING_ROLES
from delegation.reading import cursors
from delegation.reading.worklists import OPEN_STATUSES, REQUESTING_HELD
from delegation.store import counts as counters
from delegation.store.sql import is_postgres, one_of, one_of_param
from delegation.store.tables import ClockRow, DelegationRow, ExtensionRow, NoticeRow, StatutoryClockRow

WATCH_LIMIT = 20
DECLINED_LIMIT = 10
RENEWAL_WATCH_WORKING_DAYS = 5  # a renewal is watched from a week of working days before its last day
NOTICE_LIMIT = 20
MANUAL_NOTICE_KINDS = ("urge", "supervise")
NOTICE_KINDS = ("reminder", "urge", "supervise", "escalate")


@dataclass
class Counts:
    """Open matters by status, and the running clocks that are overdue or due soon."""

    by_status: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in OPEN_STATUSES})
    overdue: int = 0
    due_soon: int = 0

    @property
    def open(self) -> int:
        return sum(self.by_status.values())

    def add(self, other: Counts) -> None:
        for status, number in other.by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + number
        self.overdue += other.overdue
        self.due_soon += other.due_soon


@dataclass(frozen=True)
class CourtLine:
    court: Court
    counts: Counts


@dataclass(frozen=True)
class CityLine:
    city: str
    counts: Counts
    courts: list[CourtLine]


@dataclass(frozen=True)
class Watched:
    """A matter whose running clock is overdue or due soon, with that clock."""

    delegation: DelegationRow
    clock: ClockRow
    working_days_left: int  # after today until the due day; negative: working days overdue
    days_left: int | None = None  # the same in the clock's own unit (natural days for a natural-day period)


@dataclass(frozen=True)
class StatutoryWatched:
    """A matter whose assisting court is past a statutory period (法定期限, 民诉法 第二百四十条)."""

    delegation: DelegationRow
    duty: StatutoryClockRow
    due_day: date


@dataclass(frozen=True)
class RenewalWatched:
    """A renewal (续封/续冻) whose running clock ends at the last day before the seizure or freeze lapses."""

    delegation: DelegationRow
    clock: ClockRow
    last_day: date
    working_days_left: int


@dataclass(frozen=True)
class PendingExtension:
    extension: ExtensionRow
    delegation: DelegationRow


@dataclass(frozen=True)
class Dashboard:
    regional: bool
    cities: list[CityLine]  # every covered city with its courts
    totals: Counts
    overdue: list[Watched]
    due_soon: list[Watched]
    extensions: list[PendingExtension]  # the oldest few; extensions_total counts them all
    extensions_total: int
    declined: list[DelegationRow]  # the oldest few; totals.by_status["declined"] counts them all
    issued: list[NoticeRow]  # 催办 and 督办 of the covered cities, newest first
    escalations: list[NoticeRow]  # regional escalations (the coordinator's own)
    awaiting_acknowledgement: int
    soon_until: datetime
    statutory: list[StatutoryWatched] = field(default_factory=list)  # the oldest few breaches
    statutory_total: int = 0  # open duties of 民诉法 第二百四十条 past their period, held by covered courts
    renewals: list[RenewalWatched] = field(default_factory=list)  # renewals whose seizure lapses soon
    focus: CityLine | None = None  # the one city the figures and lists are of (chosen, or the only one covered)


# ---------------------------------------------------------------- scope


def covered_courts(ref: Reference, actor: Actor) -> list[Court]:
    """The courts whose matters this command center (or the regional coordinator) acts for."""
    return [c for c in ref.registry.courts() if c.takes_matters and command_center_covers(actor, c.code, ref.city_of)]


def require_dashboard(ref: Reference, actor: Actor) -> list[Court]:
    courts = covered_courts(ref, actor)
    if not courts:
        raise PermissionDenied(
            "Only a command center or the regional coordinator has a dashboard.",
            title_zh="只有执行指挥中心和五市协调员可以查看指挥看板",
        )
    return courts


def is_regional(actor: Actor) -> bool:
    return UserRole.REGIONAL_COORDINATOR in actor.roles


def soon_until(ref: Reference, now: datetime) -> datetime:
    """The end of "due soon": due on or before the N-th working day from today (N from the rung policy)."""
    days = ref.policies.in_force(now).rungs.due_soon_days_before
    today = clocks.local_day(now)
    last = ref.calendar.add_working_days(today, days).date if days else today
    return clocks.end_of_day(last)


def _centers(ref: Reference, courts: Sequence[Court]) -> list[str]:
    codes: list[str] = []
    for city in dict.fromkeys(c.city for c in courts):
        center = ref.registry.intermediate_of_city(city)
        if center is not None:
            codes.append(center.code)
    return codes


# ---------------------------------------------------------------- counts


async def court_counts(
    session: AsyncSession, codes: Sequence[str], now: datetime, until: datetime
) -> dict[str, Counts]:
    """Counts per court holding the ball, from the maintained counters (store.counts, migration 0014): one
    read of a few rows per court, however many matters are open."""
    counts: dict[str, Counts] = {code: Counts() for code in codes}
    by_status, by_due = await counters.court_figures(session, codes, now, until)
    for (court, status), number in by_status.items():
        if court in counts and status in counts[court].by_status:
            counts[court].by_status[status] = number
    for court, (overdue, soon) in by_due.items():
        if court in counts:
            counts[court].overdue = overdue
            counts[court].due_soon = soon
    return counts


async def compact_counters(session: AsyncSession) -> int:
    """Fold the counters' appended deltas into their counts and commit (after every sweep): the dashboard
    then reads one row per court and status or due day, plus the deltas of the last minute."""
    folded = await counters.compact(session)
    await session.commit()
    return folded


async def reconcile_counters(session: AsyncSession, repair: bool = True) -> counters.Reconciled:
    """The counters against the rows they count (the nightly reconcile-statistics flow), rebuilt on a
    difference; the holder of each open status is HOLDER_SIDE's."""
    return await counters.reconcile(session, REQUESTING_HELD, [s.value for s in OPEN_STATUSES], repair=repair)


@dataclass(frozen=True)
class WatchLists:
    overdue: list[Watched]
    due_soon: list[Watched]
    renewals: list[RenewalWatched]
    declined: list[DelegationRow]


@cache
def _watch_statement(postgres: bool, limit: int, declined_limit: int) -> Any:
    """watch_lists' statement, built once per dialect (building it took ~1 ms of every dashboard): the
    courts, now, the end of due soon and the renewals' horizon are bound when it runs."""
    c, d = ClockRow, DelegationRow
    due = col(c.due_at)

    def held(column: Any) -> ColumnElement[bool]:
        return one_of_param(postgres, column, "codes")

    running = [held(col(c.court_code)), col(c.closed_at).is_(None), col(c.paused).is_(False)]
    renewing = [
        col(c.closed_at).is_(None),
        col(c.latest_due).is_not(None),
        col(c.latest_due) <= bindparam("horizon"),
        held(col(c.court_code)),
    ]
    clock_lists = {
        "overdue": ([*running, due <= bindparam("now")], (due, col(c.id))),
        "due_soon": ([*running, due > bindparam("now"), due <= bindparam("until")], (due, col(c.id))),
        "renewal": (renewing, (col(c.latest_due), col(c.id))),
    }
    arms = [
        select(
            select(
                col(c.id).label("clock_id"), col(c.delegation_id).label("delegation_id"), literal(name).label("list")
            )
            .where(*where)
            .order_by(*order)
            .limit(limit)
            .subquery()
        )
        for name, (where, order) in clock_lists.items()
    ]
    arms.append(
        select(
            select(
                cast(null(), Integer).label("clock_id"),
                col(d.id).label("delegation_id"),
                literal("declined").label("list"),
            )
            .where(held(col(d.assisting_court)), col(d.status) == Status.DECLINED.value)
            .order_by(col(d.id))
            .limit(declined_limit)
            .subquery()
        )
    )
    picked = union_all(*arms).subquery()
    return (
        select(picked.c.list, ClockRow, DelegationRow)
        .select_from(picked)
        .join(DelegationRow, col(DelegationRow.id) == picked.c.delegation_id)
        .outerjoin(ClockRow, col(ClockRow.id) == picked.c.clock_id)
    )


async def watch_lists(
    session: AsyncSession,
    ref: Reference,
    codes: Sequence[str],
    now: datetime,
    until: datetime,
    limit: int = WATCH_LIMIT,
    declined_limit: int = DECLINED_LIMIT,
) -> WatchLists:
    """The dashboard's lists of matters, each the most urgent first, in one round trip: running clocks (held
    by one of `codes`) overdue, and due soon (by due time); open renewals whose last day before the lapse
    (clocks.lapse_cap) is within a week of working days, or past; matters a covered court declined as not its
    jurisdiction, waiting for a redirect (the oldest). Each list's first rows by its index (ORDER BY .. LIMIT)
    as an arm of a UNION ALL of (clock, matter) ids, then their clocks and matters."""
    horizon = ref.calendar.add_working_days(clocks.local_day(now), RENEWAL_WATCH_WORKING_DAYS).date
    stmt = _watch_statement(is_postgres(session), limit, declined_limit)
    params = {"codes": list(codes), "now": now, "until": until, "horizon": horizon}
    found: dict[str, list[Watched]] = {"overdue": [], "due_soon": []}
    renewals: list[RenewalWatched] = []
    refused: list[DelegationRow] = []
    for name, clock, row in (await session.exec(stmt, params=params)).all():
        if name == "declined":
            refused.append(row)
        elif name == "renewal":
            assert clock.latest_due is not None
            left = clocks.days_left(clock.latest_due, now, ref.calendar)
            renewals.append(RenewalWatched(row, clock, clock.latest_due, left))
        else:
            day = clocks.due_day_of(clock.due_at) if clock.due_at else None
            left = clocks.days_left(day, now, ref.calendar) if day else 0
            own = clocks.days_left_in(clock.unit, day, now, ref.calendar) if day else 0
            found[name].append(Watched(row, clock, left, own))
    for watched in found.values():
        watched.sort(key=lambda w: (w.clock.due_at, w.clock.id))
    renewals.sort(key=lambda w: (w.last_day, w.clock.id))
    refused.sort(key=lambda r: r.id or 0)
    return WatchLists(found["overdue"], found["due_soon"], renewals, refused)


# ---------------------------------------------------------------- the dashboard


async def dashboard(
    session: AsyncSession, ref: Reference, actor: Actor, now: datetime, city: str | None = None
) -> Dashboard:
    """The dashboard of the courts the actor covers; with `city` (one of them, the coordinator's choice), the
    figures, lists and notices are those of that city's courts alone, while `cities` still lists them all."""
    covered = require_dashboard(ref, actor)
    until = soon_until(ref, now)
    counts = await court_counts(session, [c.code for c in covered], now, until)
    cities: list[CityLine] = []
    totals = Counts()
    for name in dict.fromkeys(c.city for c in covered):
        lines = [CourtLine(c, counts[c.code]) for c in covered if c.city == name]
        city_counts = Counts()
        for line in lines:
            city_counts.add(line.counts)
        totals.add(city_counts)
        cities.append(CityLine(name, city_counts, lines))
    focus = next((c for c in cities if c.city == city), cities[0] if len(cities) == 1 else None)
    courts = [c for c in covered if focus is None or c.city == focus.city]
    codes = [c.code for c in courts]
    centers = _centers(ref, courts)
    regional = is_regional(actor)
    lists = await watch_lists(session, ref, codes, now, until)
    extensions, extensions_total = await pending_extensions(session, codes)
    issued, awaiting, escalated = await issued_notices(
        session,
        None if regional and focus is None else centers,
        escalated=regional,
        escalated_to=codes if focus is not None else None,
    )
    statutory, statutory_total = await statutory_breaches(session, codes, now)
    return Dashboard(
        regional=regional,
        cities=cities,
        totals=focus.counts if focus is not None else totals,
        focus=focus,
        overdue=lists.overdue,
        due_soon=lists.due_soon,
        extensions=extensions,
        extensions_total=extensions_total,
        declined=lists.declined,
        issued=issued,
        escalations=escalated,
        awaiting_acknowledgement=awaiting,
        soon_until=until,
        statutory=statutory,
        renewals=lists.renewals,
        statutory_total=statutory_total,
    )


def _statutory_late(session: AsyncSession, codes: Sequence[str], now: datetime) -> list[ColumnElement[bool]]:
    """Open statutory duties past their period, of the given courts (ix_statutory_open_due)."""
    return [
        col(StatutoryClockRow.is_open).is_(True),
        col(StatutoryClockRow.due_at) <= now,
        one_of(session, col(StatutoryClockRow.court_code), codes),
    ]


async def statutory_breaches(
    session: AsyncSession, codes: Sequence[str], now: datetime, limit: int = WATCH_LIMIT
) -> tuple[list[StatutoryWatched], int]:
    """The longest-running statutory breaches first, and how many matters are in breach (counted in the
    same statement: a list with no rows means none)."""
    total = (
        select(func.count(func.distinct(StatutoryClockRow.delegation_id)))
        .where(*_statutory_late(session, codes, now))
        .scalar_subquery()
    )
    stmt = (
        select(StatutoryClockRow, DelegationRow, total)
        .join(DelegationRow, col(DelegationRow.id) == col(StatutoryClockRow.delegation_id))
        .where(*_statutory_late(session, codes, now))
        .order_by(col(StatutoryClockRow.due_at), col(StatutoryClockRow.id))
        .limit(limit)
    )
    found = (await session.exec(stmt)).all()
    breaches = [StatutoryWatched(row, duty, clocks.due_day_of(duty.due_at)) for duty, row, _ in found]
    return breaches, int(found[0][2]) if found else 0


async def pending_extensions(
    session: AsyncSession, codes: Sequence[str], limit: int = 10
) -> tuple[list[PendingExtension], int]:
    """Extension requests of the covered courts that wait for a decision, oldest first, and how many wait
    (counted in the same statement)."""
    e = ExtensionRow
    waiting = [col(e.status) == "pending", one_of(session, col(e.requested_court), codes)]
    total = select(func.count()).select_from(e).where(*waiting).scalar_subquery()
    stmt = (
        select(e, DelegationRow, total)
        .join(DelegationRow, col(DelegationRow.id) == col(e.delegation_id))
        .where(*waiting)
        .order_by(col(e.id))
        .limit(limit)
    )
    found = (await session.exec(stmt)).all()
    return [PendingExtension(ext, row) for ext, row, _ in found], int(found[0][2]) if found else 0


def _notice_scope(centers: Sequence[str] | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(NoticeRow.kind).in_(MANUAL_NOTICE_KINDS)]
    if centers is not None:
        conditions.append(col(NoticeRow.issuing_court).in_(centers))
    return conditions


async def issued_notices(
    session: AsyncSession,
    centers: Sequence[str] | None,
    escalated: bool = False,
    limit: int = NOTICE_LIMIT,
    escalated_to: Sequence[str] | None = None,
) -> tuple[list[NoticeRow], int, list[NoticeRow]]:
    """催办 and 督办 issued in the name of these command centers (all, for None), newest first; how many of them
    still await their acknowledgement (counted in the same statement: none issued, none awaited); and, when
    `escalated` (the coordinator's), the escalations, newest first (only those about a matter held by one of
    `escalated_to`, when given). One round trip: each list's newest by index as an arm of a UNION ALL of
    notice ids, then the notices."""
    n = NoticeRow
    awaiting = (
        select(func.count())
        .select_from(n)
        .where(*_notice_scope(centers), col(n.requires_ack).is_(True), col(n.acknowledged_at).is_(None))
        .scalar_subquery()
    )
    newest = (col(n.issued_at).desc(), col(n.id).desc())
    lists: dict[str, list[ColumnElement[bool]]] = {"issued": _notice_scope(centers)}
    if escalated:
        lists["escalations"] = [col(n.kind) == "escalate"]
        if escalated_to is not None:
            lists["escalations"].append(col(n.to_court).in_(escalated_to))
    arms = [
        select(
            select(col(n.id).label("notice_id"), literal(name).label("list"))
            .where(*where)
            .order_by(*newest)
            .limit(limit)
            .subquery()
        )
        for name, where in lists.items()
    ]
    picked = union_all(*arms).subquery()  # one arm: the select alone
    stmt = select(picked.c.list, n, awaiting).join(n, col(n.id) == picked.c.notice_id)
    found: dict[str, list[NoticeRow]] = {name: [] for name in ("issued", "escalations")}
    counted = 0
    for name, notice, waiting in (await session.exec(stmt)).all():
        found[name].append(notice)
        counted = int(waiting)
    for notices in found.values():
        notices.sort(key=lambda x: (x.issued_at, x.id or 0), reverse=True)
    return found["issued"], counted, found["escalations"]


# ---------------------------------------------------------------- everyone's notices


@dataclass(frozen=True)
class NoticeItem:
    notice: NoticeRow
    delegation: DelegationRow


NOTICE_COUNT_CAP = 1000  # the list counts its notices up to here, then says "1,000+"


@dataclass(frozen=True)
class NoticePage:
    """One keyset page of the notices, newest first, with the cursors of the pages after and before it."""

    items: list[NoticeItem]
    total: int  # the notices of the list, counted up to NOTICE_COUNT_CAP + 1
    per_page: int
    next_cursor: str | None = None
    prev_cursor: str | None = None

    @property
    def capped(self) -> bool:
        return self.total > NOTICE_COUNT_CAP


def notice_audience(ref: Reference, actor: Actor) -> ColumnElement[bool] | None:
    """The notices meant for the actor: addressed to their court, copied to their command center, or (the
    regional coordinator) escalations; None when nothing is meant for them."""
    parts: list[ColumnElement[bool]] = []
    if actor.court_code is not None and actor.roles & ACKNOWLEDGING_ROLES:
        parts.append(col(NoticeRow.to_court) == actor.court_code)
    if actor.court_code is not None and UserRole.COMMAND_CENTER in actor.roles:
        parts += [
            col(NoticeRow.cc_court) == actor.court_code,
            col(NoticeRow.to_court) == actor.court_code,
            col(NoticeRow.issuing_court) == actor.court_code,
        ]
    if actor.court_code is not None and UserRole.REQUESTING_OFFICER in actor.roles:
        parts.append(col(NoticeRow.cc_court) == actor.court_code)  # 督办 copied to the requesting court
    if UserRole.REGIONAL_COORDINATOR in actor.roles:
        parts.append(col(NoticeRow.kind) == "escalate")
        high = [c.code for c in ref.registry.by_level("high")]
        parts.append(col(NoticeRow.issuing_court).in_(high))  # issued on the high court's behalf
    return or_(*parts) if parts else None


# A notice page starts after (next page: n) or before (previous page: p) the key (issued_at, id) of a notice:
# the list is read in that order from the indexes on issued_at, never with OFFSET. The cursor is that key as
# plain text (delegation.reading.cursors), so that the API can state exactly which strings are one.
NOTICE_CURSOR_PATTERN = cursors.pattern("np")


def _notice_cursor(forward: bool, notice: NoticeRow) -> str:
    return cursors.encode("n" if forward else "p", notice.issued_at, notice.id or 0)


def _read_notice_cursor(cursor: str) -> tuple[bool, datetime, int]:
    try:
        direction, at, ident = cursors.decode("np", cursor)
    except ValueError:
        problem = FieldError("cursor", "翻页位置无效，请从第一页重新打开列表", "Invalid page; open the list again.")
        refused = ValidationFailed([problem])
        refused.title_zh = problem.message_zh
        raise refused from None
    return direction == "n", at, ident


def _notice_conditions(
    ref: Reference, actor: Actor, kind: str | None, unacknowledged: bool
) -> list[ColumnElement[bool]] | None:
    audience = notice_audience(ref, actor)
    if audience is None:
        return None
    conditions: list[ColumnElement[bool]] = [audience]
    if kind in NOTICE_KINDS:
        conditions.append(col(NoticeRow.kind) == kind)
    if unacknowledged:
        conditions += [col(NoticeRow.requires_ack).is_(True), col(NoticeRow.acknowledged_at).is_(None)]
    return conditions


async def notice_inbox(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    *,
    kind: str | None = None,
    unacknowledged: bool = False,
    cursor: str | None = None,
    per_page: int = 25,
) -> NoticePage:
    """One page of the notices meant for the actor, newest first, from a cursor (NoticePage.next_cursor /
    prev_cursor; None: the first page), with the list's count capped at NOTICE_COUNT_CAP + 1 read in the
    same round trip."""
    conditions = _notice_conditions(ref, actor, kind, unacknowledged)
    if conditions is None:
        return NoticePage([], 0, per_page)
    forward, key = True, None
    if cursor is not None:
        forward, at, ident = _read_notice_cursor(cursor)
        key = (at, ident)
    where = and_(*conditions)
    keys = (col(NoticeRow.issued_at), col(NoticeRow.id))
    total = (
        select(func.count())
        .select_from(select(col(NoticeRow.id)).where(where).limit(NOTICE_COUNT_CAP + 1).subquery())
        .scalar_subquery()
    )
    stmt = (
        select(NoticeRow, DelegationRow, total)
        .join(DelegationRow, col(DelegationRow.id) == col(NoticeRow.delegation_id))
        .where(where)
    )
    if key is not None:
        stmt = stmt.where(tuple_(*keys) < tuple_(*key) if forward else tuple_(*keys) > tuple_(*key))
    order = [k.desc() for k in keys] if forward else [k.asc() for k in keys]
    found = list((await session.exec(stmt.order_by(*order).limit(per_page + 1))).all())
    # Past either end, the count alone.
    counted = int(found[0][2]) if found else int((await session.exec(select(total))).one())
    more = len(found) > per_page
    rows = [(notice, row) for notice, row, _ in found[:per_page]]
    if not forward:
        rows.reverse()
    has_next = more if forward else True
    has_prev = cursor is not None if forward else more
    items = [
        NoticeItem(notice, row)
        for notice, row in rows
        if can_view(actor, Parties(row.requesting_court, row.assisting_court), ref.city_of)
    ]
    return NoticePage(
        items,
        counted,
        per_page,
        _notice_cursor(True, rows[-1][0]) if rows and has_next else None,
        _notice_cursor(False, rows[0][0]) if rows and has_prev else None,
    )


async def iter_notice_inbox(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    *,
    kind: str | None = None,
    unacknowledged: bool = False,
    batch: int = 500,
) -> AsyncIterator[list[NoticeItem]]:
    """Every notice of the list, newest first, page by page (keyset): for its exports."""
    cursor: str | None = None
    while True:
        page = await notice_inbox(
            session, ref, actor, kind=kind, unacknowledged=unacknowledged, cursor=cursor, per_page=batch
        )
        if page.items:
            yield page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


async def notice_detail(session: AsyncSession, ref: Reference, actor: Actor, notice_id: int) -> NoticeItem:
    """One notice, for anyone who may see its delegation (the same rule as the delegation's timeline)."""
    notice = await session.get(NoticeRow, notice_id)
    row = await session.get(DelegationRow, notice.delegation_id) if notice is not None else None
    if (
        notice is None
        or row is None
        or not can_view(actor, Parties(row.requesting_court, row.assisting_court), ref.city_of)
    ):
        raise NotFound(f"Notice {notice_id} not found.", title_zh="未找到该通知")
    return NoticeItem(notice, row)


def shows_unacknowledged(actor: Actor) -> bool:
    """Whether the menu counts the 督办 addressed to the actor's court that nobody there acknowledged yet."""
    return actor.court_code is not None and bool(actor.roles & ACKNOWLEDGING_ROLES)


def _unacknowledged(court: ColumnElement[str] | str) -> Any:
    return (
        select(func.count())
        .select_from(NoticeRow)
        .where(
            col(NoticeRow.to_court) == court,
            col(NoticeRow.requires_ack).is_(True),
            col(NoticeRow.acknowledged_at).is_(None),
        )
    )


def unacknowledged_column(court: ColumnElement[str]) -> Any:
    """unacknowledged_count for the court `court` names (a column of an enclosing query: the page's session
    lookup reads it with the session), as a scalar subquery; it counts for a user shows_unacknowledged
    accepts."""
    return _unacknowledged(court).scalar_subquery()


async def unacknowledged_count(session: AsyncSession, actor: Actor) -> int:
    """督办 addressed to the actor's court that nobody there has acknowledged yet (for the menu badge)."""
    if not shows_unacknowledged(actor):
        return 0
    assert actor.court_code is not None
    return int((await session.exec(_unacknowledged(actor.court_code))).one())
