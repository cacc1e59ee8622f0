"""Stage clocks: a budget of (working or calendar) days, its stops and extensions, and the rungs it fires.

A clock is plain data; its due time and next rung are derived by pure functions from the data and the
working-day calendar, so a calendar or policy change can recompute them at any time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from delegation.core.states import Stage

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Unit(StrEnum):
    WORKING = "working"
    CALENDAR = "calendar"


class Rung(StrEnum):
    """Escalation steps, in the order they fire."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    SUPERVISE = "supervise"  # 督办
    ESCALATE = "escalate"  # to the regional coordinator


RUNG_ORDER: tuple[Rung, ...] = (Rung.DUE_SOON, Rung.OVERDUE, Rung.SUPERVISE, Rung.ESCALATE)


class Deadline(Protocol):
    @property
    def date(self) -> date: ...
    @property
    def provisional(self) -> bool: ...


class Calendar(Protocol):
    """What clocks need of courts.calendar.WorkingCalendar."""

    def add_working_days(self, trigger: date, n: int) -> Deadline: ...
    def working_days_between(self, start: date, end: date) -> int: ...
    def calendar_period_end(self, trigger: date, days: int) -> Deadline: ...
    def next_working_moment(self, at: datetime) -> datetime: ...
    def is_provisional(self, day: date) -> bool: ...


@dataclass(frozen=True)
class RungPolicy:
    """When each rung fires, in working days relative to the due day (from the policy version)."""

    due_soon_days_before: int = 1
    supervise_days_after: int = 2
    escalate_days_after: int = 5


@dataclass(frozen=True)
class Stop:
    """A pause of the clock while the matter waits on the other side; resumed_at None while it lasts."""

    stopped_at: datetime
    reason: str
    resumed_at: datetime | None = None
    approved_by: str | None = None
    document_id: str | None = None


@dataclass(frozen=True)
class Clock:
    stage: Stage
    court_code: str  # the court holding the ball
    budget_days: int
    unit: Unit
    started_at: datetime
    policy_version: str
    anchor_date: date | None = None  # counting starts from this day instead (on-site: the agreed date)
    extra_days: int = 0  # approved extensions in the clock's own unit
    stops: tuple[Stop, ...] = ()
    closed_at: datetime | None = None
    fired: frozenset[Rung] = field(default_factory=frozenset)
    extra_working_days: int = 0  # approved working-day extensions of a plain-day clock, added after its period
    latest_due: date | None = None  # the due day never falls after it (a renewal: before the seizure lapses)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_paused(self) -> bool:
        return bool(self.stops) and self.stops[-1].resumed_at is None


@dataclass(frozen=True)
class Due:
    """The end of the last day of a clock's period (24:00 Asia/Shanghai), or None while paused."""

    day: date
    at: datetime
    provisional: bool


def local_day(at: datetime) -> date:
    if at.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return at.astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """24:00 of `day` in Asia/Shanghai, as 00:00 of the next day."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def start_clock(
    stage: Stage,
    court_code: str,
    budget_days: int,
    unit: Unit,
    now: datetime,
    policy_version: str,
    anchor_date: date | None = None,
    latest_due: date | None = None,
) -> Clock:
    local_day(now)  # rejects naive datetimes early
    if budget_days < 0:
        raise ValueError("a clock's budget cannot be negative")
    return Clock(stage, court_code, budget_days, unit, now, policy_version, anchor_date, latest_due=latest_due)


def receipt_day(sign_for: Clock) -> date:
    """The day the assisting court received the complete letter: its sign-for clock's start (submission or
    redirect), or the last resumption after a correction (the corrected letter). Periods "from receipt"
    (委托送达: 民诉法解释 第一百三十四条) count from it, not from the sign-for."""
    moments = [sign_for.started_at, *(s.resumed_at for s in sign_for.stops if s.resumed_at is not None)]
    return local_day(max(moments))


def pause(
    clock: Clock, now: datetime, reason: str, approved_by: str | None = None, document_id: str | None = None
) -> Clock:
    if not clock.is_open or clock.is_paused:
        return clock
    return replace(clock, stops=(*clock.stops, Stop(now, reason, None, approved_by, document_id)))


def resume(clock: Clock, now: datetime) -> Clock:
    if not clock.is_paused:
        return clock
    last = replace(clock.stops[-1], resumed_at=now)
    return replace(clock, stops=(*clock.stops[:-1], last))


def close(clock: Clock, now: datetime) -> Clock:
    return clock if not clock.is_open else replace(clock, closed_at=now)


def extend(clock: Clock, days: int, unit: Unit = Unit.WORKING) -> Clock:
    """Add an approved extension of `days` in `unit`. An extension counts in its own unit whatever the clock's:
    ten working days added to a plain-day clock move its due day by ten working days, not ten plain days."""
    if days <= 0:
        raise ValueError("an extension must add at least one day")
    if unit is clock.unit:
        return replace(clock, extra_days=clock.extra_days + days)
    if unit is Unit.WORKING:
        return replace(clock, extra_working_days=clock.extra_working_days + days)
    raise ValueError("a working-day clock is extended in working days")


def _span(calendar: Calendar, unit: Unit, start: date, end: date) -> int:
    return calendar.working_days_between(start, end) if unit is Unit.WORKING else (end - start).days


def _period_end(calendar: Calendar, unit: Unit, start: date, days: int) -> Deadline:
    if unit is Unit.WORKING:
        return calendar.add_working_days(start, days)
    return calendar.calendar_period_end(start, days)


def lapse_cap(expires_on: date, margin_working_days: int, calendar: Calendar) -> date:
    """The last day to renew a seizure or freeze that lapses at the end of `expires_on`: that many working
    days before it (民诉法解释 第四百八十五条: renewed before the period ends; the margin is policy)."""
    if margin_working_days <= 0:
        return expires_on
    return calendar.add_working_days(expires_on, -margin_working_days).date


def due(clock: Clock, calendar: Calendar) -> Due | None:
    """The due time of the clock's period, never after its `latest_due` day (the earlier of the two)."""
    found = _period_due(clock, calendar)
    cap = clock.latest_due
    if found is None or cap is None or found.day <= cap:
        return found
    return Due(cap, end_of_day(cap), calendar.is_provisional(cap))


def _period_due(clock: Clock, calendar: Calendar) -> Due | None:
    """The due time, walking the stops: days used before a stop are spent; counting restarts after it.

    A clock already past due when it was stopped keeps that due time: a stop does not cure a breach.
    Working-day extensions of a plain-day clock run after its plain-day period.
    """
    remaining = clock.budget_days + clock.extra_days
    extra = clock.extra_working_days
    segment_start = clock.anchor_date or local_day(clock.started_at)
    for stop in clock.stops:
        used = _span(calendar, clock.unit, segment_start, local_day(stop.stopped_at))
        if used >= remaining:
            return _due_from(calendar, clock.unit, segment_start, remaining, extra)
        remaining -= used
        if stop.resumed_at is None:
            return None
        segment_start = local_day(stop.resumed_at)
    return _due_from(calendar, clock.unit, segment_start, remaining, extra)


def _due_from(calendar: Calendar, unit: Unit, start: date, days: int, extra_working: int = 0) -> Due:
    deadline = _period_end(calendar, unit, start, days)
    if extra_working:
        later = calendar.add_working_days(deadline.date, extra_working)
        return Due(later.date, end_of_day(later.date), deadline.provisional or later.provisional)
    return Due(deadline.date, end_of_day(deadline.date), deadline.provisional)


def due_day_of(due_at: datetime) -> date:
    """The last day of a period from its stored due time (24:00 of that day = 00:00 of the next)."""
    return (due_at.astimezone(SHANGHAI) - timedelta(microseconds=1)).date()


def days_left(due_day: date, now: datetime, calendar: Calendar) -> int:
    """Whole working days left after today until the due day (0 = due today); past the due day, minus the
    working days overdue (`working_days_overdue`: today, still running, is not counted).

    The one definition behind "剩余N个工作日" in lists, the detail, the dashboard, the badges, the exports'
    剩余工作日 and the wall screen's days overdue, so that each says what "超期N个工作日" says."""
    today = local_day(now)
    if today > due_day:
        return -working_days_overdue(due_day, now, calendar)
    return calendar.working_days_between(today, due_day)


def calendar_days_left(due_day: date, now: datetime) -> int:
    """`days_left` of a period counted in natural days (自然日): days left after today until the due day
    (0 = due today); past the due day, minus the days after it that have ended (today, still running, is not
    counted), as `working_days_overdue` counts working days."""
    today = local_day(now)
    if today > due_day:
        return -max(0, (today - due_day).days - 1)
    return (due_day - today).days


def days_left_in(unit: str, due_day: date, now: datetime, calendar: Calendar) -> int:
    """The days left of a clock in its own unit: natural days for a natural-day period, else working days."""
    if unit == Unit.CALENDAR:
        return calendar_days_left(due_day, now)
    return days_left(due_day, now, calendar)


def working_days_left(clock: Clock, now: datetime, calendar: Calendar) -> int | None:
    """`days_left` of the clock's due day; None while paused."""
    current = due(clock, calendar)
    if current is None:
        return None
    return days_left(current.day, now, calendar)


def rung_times(clock: Clock, calendar: Calendar, policy: RungPolicy) -> dict[Rung, datetime]:
    """When each rung falls due, moved into working hours; empty for a paused or closed clock."""
    return rung_times_for(clock, due(clock, calendar), calendar, policy)


def rung_times_for(clock: Clock, current: Due | None, calendar: Calendar, policy: RungPolicy) -> dict[Rung, datetime]:
    """rung_times of a clock whose due time (`current`) the caller has already worked out."""
    if current is None or not clock.is_open:
        return {}
    soon_day = calendar.add_working_days(current.day, -policy.due_soon_days_before).date
    raw = {
        Rung.DUE_SOON: datetime.combine(soon_day, time(0), tzinfo=SHANGHAI),
        Rung.OVERDUE: current.at,
        Rung.SUPERVISE: end_of_day(calendar.add_working_days(current.day, policy.supervise_days_after).date),
        Rung.ESCALATE: end_of_day(calendar.add_working_days(current.day, policy.escalate_days_after).date),
    }
    return {rung: calendar.next_working_moment(moment) for rung, moment in raw.items()}


def next_rung(clock: Clock, calendar: Calendar, policy: RungPolicy) -> tuple[Rung, datetime] | None:
    """The first rung not fired yet. Rungs that were overtaken (e.g. a clock started nearly due) still fire."""
    return first_pending(rung_times(clock, calendar, policy), clock.fired)


def first_pending(times: Mapping[Rung, datetime], fired: frozenset[Rung]) -> tuple[Rung, datetime] | None:
    """The first rung, in firing order, that has a time and has not fired."""
    for rung in RUNG_ORDER:
        if rung in times and rung not in fired:
            return rung, times[rung]
    return None


@dataclass(frozen=True)
class Derived:
    """A clock's derived values, stored on its row and indexed (due_at, next_rung_at): written by perform,
    the sweep and the recompute, read by the lists, the detail and the dashboard."""

    due: Due | None
    next_rung: Rung | None
    next_rung_at: datetime | None

    @property
    def due_at(self) -> datetime | None:
        return self.due.at if self.due else None

    @property
    def provisional(self) -> bool:
        return bool(self.due and self.due.provisional)


def derive(clock: Clock, calendar: Calendar, policy: RungPolicy, *, settled: bool = False) -> Derived:
    """Due time and next rung of `clock`. A settled delegation (terminal state) has no rung to come."""
    current = due(clock, calendar)
    upcoming = None if settled else first_pending(rung_times_for(clock, current, calendar, policy), clock.fired)
    return Derived(current, upcoming[0] if upcoming else None, upcoming[1] if upcoming else None)


class StoredClock(Protocol):
    """What the running-clock rule reads of a clock: its row, or a view of it."""

    @property
    def stage(self) -> str: ...
    @property
    def court_code(self) -> str: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def paused(self) -> bool: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def due_provisional(self) -> bool: ...
    @property
    def unit(self) -> str: ...


S = TypeVar("S", bound=StoredClock)


@dataclass(frozen=True, slots=True)
class PlainClock:
    """What the running-clock rule reads of a clock (a StoredClock) as plain values: a clock an action has just
    written, without reading it back, or the columns an export reads."""

    stage: str
    court_code: str
    closed_at: datetime | None
    paused: bool
    due_at: datetime | None
    due_provisional: bool
    unit: str = Unit.WORKING


@dataclass(frozen=True)
class ClocksAfterAction:
    """A matter's open clocks and whether an open statutory duty is past its period, as an action left them,
    when the action knows them all (the matter had none before and every one is one it started): its answer
    is built from them instead of reading them back."""

    open_clocks: tuple[PlainClock, ...]
    statutory_breach: bool


def running(clocks: Iterable[S]) -> S | None:
    """The running clock: the open, unpaused clock due first (a delegation runs at most one at a time)."""
    candidates = [c for c in clocks if c.closed_at is None and not c.paused and c.due_at is not None]
    return min(candidates, key=lambda c: c.due_at or datetime.max.replace(tzinfo=SHANGHAI), default=None)


def current(clocks: Iterable[S]) -> S | None:
    """The clock a list shows: the running one, else the first open one (paused)."""
    candidates = list(clocks)
    found = running(candidates)
    return found if found is not None else next((c for c in candidates if c.closed_at is None), None)


@dataclass(frozen=True)
class RunningClock:
    """The clock that matters now for a delegation (see `current`), with its days left."""

    stage: str
    court_code: str
    due_at: datetime | None
    provisional: bool
    paused: bool
    working_days_left: int | None
    overdue: bool
    unit: str = Unit.WORKING
    days_left: int | None = None  # in the clock's own unit (natural days for a natural-day period)


def running_clock(clocks: Iterable[StoredClock], now: datetime, calendar: Calendar) -> RunningClock | None:
    """The one definition of the running clock shown by lists and the detail page."""
    chosen = current(clocks)
    if chosen is None:
        return None
    due_at = None if chosen.paused else chosen.due_at
    return RunningClock(
        stage=chosen.stage,
        court_code=chosen.court_code,
        due_at=due_at,
        provisional=chosen.due_provisional,
        paused=chosen.paused,
        working_days_left=days_left(due_day_of(due_at), now, calendar) if due_at else None,
        overdue=due_at is not None and due_at <= now,
        unit=chosen.unit,
        days_left=days_left_in(chosen.unit, due_day_of(due_at), now, calendar) if due_at else None,
    )


def is_breached(clock: Clock, now: datetime, calendar: Calendar) -> bool:
    current = due(clock, calendar)
    reference = clock.closed_at or now
    return current is not None and reference >= current.at


def working_days_overdue(due_day: date, now: datetime, calendar: Calendar) -> int:
    """Whole working days after the due day that have ended by `now`; today, still running, is not counted.

    The one definition behind "超期N个工作日" on pages and in notices, and the one the rungs follow
    (督办 fires once two working days past due have ended)."""
    return max(0, calendar.working_days_between(due_day, local_day(now) - timedelta(days=1)))


def working_days_late(clock: Clock, now: datetime, calendar: Calendar) -> int:
    """Working days of delay charged to the court holding this clock (0 when on time)."""
    current = due(clock, calendar)
    if current is None:
        return 0
    reference = clock.closed_at or now
    return max(0, calendar.working_days_between(current.day, local_day(reference)))


def fired(clock: Clock, rungs: Iterable[Rung]) -> Clock:
    return replace(clock, fired=clock.fired | frozenset(rungs))


# ---------------------------------------------------------------- statutory backstops (民诉法 第二百四十条)


class Duty(StrEnum):
    """The assisting court's statutory duties once it has received the 委托函 (民诉法 第二百四十条)."""

    START = "start"  # 十五日内开始执行
    REPORT = "report"  # 三十日内未执行完毕的，将执行情况函告委托法院 (again every 30 days while open)


@dataclass(frozen=True)
class StatutoryClock:
    """A statutory period beside the policy clocks: counted in plain days from `counted_from` (the day of
    receipt, or of the last progress report), ended by the first act that meets the duty. Never paused and
    never moved by a platform extension; it ends unmet (closed) only when the assisting court no longer holds
    the matter (returned, declined, redirected, withdrawn)."""

    duty: Duty
    court_code: str  # the court bound by the duty: the assisting court that received the 委托函
    days: int
    counted_from: date
    seq: int = 1  # the report duty repeats: 1st, 2nd, ... report
    met_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.closed_at is None


def statutory_due(counted_from: date, days: int, calendar: Calendar) -> Due:
    """The last day of a period of `days` days after `counted_from` (民诉法 第八十五条: the first day is not
    counted; a last day that is a rest day or holiday moves to the next working day; a make-up workday is
    not a rest day)."""
    deadline = calendar.calendar_period_end(counted_from, days)
    return Due(deadline.date, end_of_day(deadline.date), deadline.provisional)


def statutory_breached(clock: StatutoryClock, due_at: datetime, now: datetime) -> bool:
    """Unmet when the period ended: still open at its end, or met (or ended) only after it."""
    ended = clock.met_at or clock.closed_at
    return (ended if ended is not None else now) >= due_at


@dataclass(frozen=True)
class StatutoryView:
    """A statutory clock as the pages and lists show it ("法定期限")."""

    id: int
    clock: StatutoryClock
    due: Due
    source: str  # the article cited, from the policy
    breached: bool
    days_left: int | None  # natural days left (as `calendar_days_left`: the period's own unit) while open
    remedy_requested_at: datetime | None = None
    source_en: str = ""  # the same in English, from the policy version ("": none, the English pages show source)
