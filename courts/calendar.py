"""The courts' working-day calendar and the statutory ways of counting periods.

Rules (民诉法 第八十五条, 民诉法解释 第一百二十五条; see docs/calendar.md):
- a period starts on the day after its trigger ("期间开始的时和日，不计算在期间内");
- N working days end at 24:00 Asia/Shanghai of the N-th working day after the trigger;
- a calendar-day period whose last day is a day off ends on the next working day.

Years with a confirmed official schedule (courts.schedules) use it exactly. Other years fall back to
weekends plus the statutory holidays computed by the ``holidays`` package, and every answer that
depends on such a year is marked provisional.

Everything is precomputed once per calendar over the supported range, so queries are O(1) index
arithmetic on date ordinals (no per-day loops).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import date as _Date
from functools import cache, lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from courts.schedules import YearSchedule, load_shipped_schedules

__all__ = [
    "DEFAULT_FIRST_YEAR",
    "DEFAULT_LAST_YEAR",
    "SHANGHAI",
    "CalendarRangeError",
    "Deadline",
    "WorkingCalendar",
    "WorkingHours",
    "YearStatus",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_FIRST_YEAR = 2015
DEFAULT_LAST_YEAR = 2040

YearStatus = Literal["confirmed", "provisional"]
_ONE_DAY = timedelta(days=1)


class CalendarRangeError(ValueError):
    """A date, or a count from it, falls outside the years the calendar covers."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


@dataclass(frozen=True, slots=True)
class Deadline:
    """The last day of a period; provisional if it depends on an unconfirmed year."""

    date: _Date
    provisional: bool


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Office hours on working days, Asia/Shanghai local time, half-open [start, end)."""

    start: time = time(8, 30)
    end: time = time(17, 30)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"working hours must start before they end: {self.start}..{self.end}")


@cache
def _statutory_fallback(first_year: int, last_year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Days off and make-up workdays the ``holidays`` package knows for the range.

    For years without an official notice the package has statutory holidays only (no make-up
    workdays); for past years it may know both, and we take both so the pair stays consistent.
    """
    import holidays  # imported here: it loads every country (~1 s), needed only to build a calendar

    # A notice for year Y can set workdays in December of Y-1, hence last_year + 1.
    china = holidays.country_holidays("CN", years=range(first_year, last_year + 2), categories=("public",))
    days_off: set[date] = set(china)
    workdays: set[date] = set(getattr(china, "weekend_workdays", set()))
    lo, hi = date(first_year, 1, 1), date(last_year, 12, 31)
    return (
        frozenset(d for d in days_off if lo <= d <= hi),
        frozenset(d for d in workdays if lo <= d <= hi),
    )


@dataclass(frozen=True, slots=True)
class _Tables:
    """Everything a calendar answers from, indexed by day offset from ``base`` or working-day index."""

    base: int  # ordinal of the first day of the range
    ndays: int
    working: bytes  # 1 for a working day, per offset
    rank: tuple[int, ...]  # working days with ordinal <= base + offset
    next_unconfirmed: tuple[int, ...]  # first ordinal >= base + offset in an unconfirmed year (+ sentinel)
    ords: tuple[int, ...]  # ordinals of the working days, ascending
    # One shared immutable result per working day and flag: the hot path allocates nothing.
    deadlines: tuple[Deadline, ...]
    provisional_deadlines: tuple[Deadline, ...]


@lru_cache(maxsize=16)
def _tables(schedules: tuple[YearSchedule, ...], first_year: int, last_year: int) -> _Tables:
    """Built once per distinct set of schedules (calendars are rebuilt often from the same data)."""
    base = date(first_year, 1, 1).toordinal()
    ndays = date(last_year, 12, 31).toordinal() - base + 1
    fb_off, fb_work = _statutory_fallback(first_year, last_year)
    confirmed = {s.year for s in schedules}
    # Explicit entries of confirmed notices, in ascending years, so that a notice for Y+1 that
    # speaks about December of Y overrides Y's own schedule for those days.
    listed: dict[date, bool] = {}
    for s in sorted(schedules, key=lambda s: s.year):
        listed.update((d, False) for d in s.holidays)
        listed.update((d, True) for d in s.workdays)

    working = bytearray(ndays)
    rank = [0] * ndays
    ords: list[int] = []
    for off in range(ndays):
        d = date.fromordinal(base + off)
        status = listed.get(d)
        if status is None:
            weekday = d.weekday() < 5
            status = weekday if d.year in confirmed else (d in fb_work or (weekday and d not in fb_off))
        if status:
            working[off] = 1
            ords.append(base + off)
        rank[off] = len(ords)
    # The sentinel past the range is "no unconfirmed day within reach".
    next_unconfirmed = [base + ndays] * (ndays + 1)
    for off in range(ndays - 1, -1, -1):
        unconfirmed = date.fromordinal(base + off).year not in confirmed
        next_unconfirmed[off] = base + off if unconfirmed else next_unconfirmed[off + 1]
    deadlines = tuple(Deadline(date.fromordinal(o), False) for o in ords)
    return _Tables(
        base=base,
        ndays=ndays,
        working=bytes(working),
        rank=tuple(rank),
        next_unconfirmed=tuple(next_unconfirmed),
        ords=tuple(ords),
        deadlines=deadlines,
        provisional_deadlines=tuple(Deadline(dl.date, True) for dl in deadlines),
    )


class WorkingCalendar:
    """Immutable working-day calendar over [first_year, last_year]. All dates are parameters."""

    __slots__ = (
        "_base",
        "_confirmed",
        "_dl",
        "_dl_prov",
        "_first_year",
        "_hours",
        "_last",
        "_last_year",
        "_ndays",
        "_next_unconfirmed",
        "_nwork",
        "_ords",
        "_rank",
        "_schedules",
        "_working",
    )

    def __init__(
        self,
        schedules: Iterable[YearSchedule] = (),
        *,
        first_year: int = DEFAULT_FIRST_YEAR,
        last_year: int = DEFAULT_LAST_YEAR,
        hours: WorkingHours = WorkingHours(),
    ) -> None:
        if first_year > last_year:
            raise ValueError(f"empty year range {first_year}..{last_year}")
        by_year: dict[int, YearSchedule] = {}
        for s in schedules:  # a later schedule for the same year replaces the earlier one
            if not first_year <= s.year <= last_year:
                raise CalendarRangeError(
                    f"{s.year} 年不在日历支持的范围（{first_year}–{last_year} 年）内",
                    f"year {s.year} is outside the supported range {first_year}..{last_year}",
                )
            by_year[s.year] = s
        self._first_year = first_year
        self._last_year = last_year
        self._hours = hours
        self._schedules = dict(sorted(by_year.items()))
        self._confirmed = frozenset(by_year)
        self._build()

    # -- construction -------------------------------------------------------------------------

    def _build(self) -> None:
        t = _tables(tuple(self._schedules.values()), self._first_year, self._last_year)
        self._base = t.base
        self._last = t.base + t.ndays - 1
        self._ndays = t.ndays
        self._working = t.working
        self._rank = t.rank
        self._next_unconfirmed = t.next_unconfirmed
        self._ords = t.ords
        self._nwork = len(t.ords)
        self._dl = t.deadlines
        self._dl_prov = t.provisional_deadlines

    @classmethod
    def shipped(cls) -> WorkingCalendar:
        """The calendar from the schedules shipped with the package (built once, then shared)."""
        return _shipped_calendar()

    def with_schedule(self, schedule: YearSchedule) -> WorkingCalendar:
        """A new calendar where ``schedule`` replaces any schedule of its year."""
        return WorkingCalendar(
            [*self._schedules.values(), schedule],
            first_year=self._first_year,
            last_year=self._last_year,
            hours=self._hours,
        )

    def __repr__(self) -> str:
        return f"WorkingCalendar({self._first_year}..{self._last_year}, confirmed={self.confirmed_years()})"

    # -- range and status ---------------------------------------------------------------------

    @property
    def first_day(self) -> date:
        return date.fromordinal(self._base)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self._last)

    @property
    def supported_years(self) -> range:
        return range(self._first_year, self._last_year + 1)

    @property
    def hours(self) -> WorkingHours:
        return self._hours

    def _offset(self, day: date) -> int:
        off = day.toordinal() - self._base
        if off < 0 or off >= self._ndays:
            raise self._out_of_range(day)
        return off

    def _out_of_range(self, day: date) -> CalendarRangeError:
        return CalendarRangeError(
            f"日期 {day} 不在日历支持的范围（{self._first_year}–{self._last_year} 年）内",
            f"date {day} is outside the supported range {self._first_year}..{self._last_year}",
        )

    def _beyond(self, trigger: date, n: int) -> CalendarRangeError:
        return CalendarRangeError(
            f"从 {trigger} 起 {n} 个工作日超出日历支持的范围（{self._first_year}–{self._last_year} 年）",
            f"{n} working days from {trigger} fall outside the supported range {self._first_year}..{self._last_year}",
        )

    def confirmed_years(self) -> list[int]:
        return sorted(self._confirmed)

    def schedule(self, year: int) -> YearSchedule | None:
        """The confirmed schedule of ``year``, if any."""
        return self._schedules.get(year)

    def schedules(self) -> list[YearSchedule]:
        return list(self._schedules.values())

    def year_status(self, year: int) -> YearStatus:
        if not self._first_year <= year <= self._last_year:
            raise CalendarRangeError(
                f"{year} 年不在日历支持的范围（{self._first_year}–{self._last_year} 年）内",
                f"year {year} is outside the supported range {self._first_year}..{self._last_year}",
            )
        return "confirmed" if year in self._confirmed else "provisional"

    def is_provisional(self, day: date) -> bool:
        self._offset(day)
        return day.year not in self._confirmed

    # -- days ---------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return self._working[self._offset(day)] == 1

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        i = self._rank[self._offset(day)]
        if i >= self._nwork:
            raise self._beyond(day, 1)
        return self._dl[i].date

    def add_working_days(self, trigger: date, n: int) -> Deadline:
        """The n-th working day strictly after ``trigger`` (n >= 1), counting from the next day.

        n == 0 gives the trigger day itself (never provisional); n < 0 gives the |n|-th working day
        strictly before ``trigger``. Provisional when any day between the trigger (exclusive) and
        the result (inclusive) lies in an unconfirmed year.
        """
        t = trigger.toordinal()
        off = t - self._base
        if off < 0 or off >= self._ndays:
            raise self._out_of_range(trigger)
        if n > 0:
            i = self._rank[off] + n - 1
            if i >= self._nwork:
                raise self._beyond(trigger, n)
            if self._next_unconfirmed[off + 1] <= self._ords[i]:
                return self._dl_prov[i]
            return self._dl[i]
        if n == 0:
            return Deadline(trigger, False)
        i = self._rank[off] - self._working[off] + n
        if i < 0:
            raise self._beyond(trigger, n)
        if self._next_unconfirmed[self._ords[i] - self._base] < t:
            return self._dl_prov[i]
        return self._dl[i]

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative (the count in (end, start]) when end < start."""
        return self._rank[self._offset(end)] - self._rank[self._offset(start)]

    def calendar_period_end(self, trigger: date, days: int) -> Deadline:
        """Last day of a period of ``days`` calendar days ("十日内"): trigger + days, moved to the
        next working day when that day is a day off. Provisional when that last day or a day it
        was moved over lies in an unconfirmed year."""
        if days < 1:
            raise ValueError(f"a calendar-day period needs days >= 1, got {days}")
        self._offset(trigger)
        last = trigger + timedelta(days=days)
        off = self._offset(last)
        if self._working[off]:
            i = self._rank[off] - 1
        else:
            i = self._rank[off]
            if i >= self._nwork:
                raise self._beyond(trigger, days)
        if self._next_unconfirmed[off] <= self._ords[i]:
            return self._dl_prov[i]
        return self._dl[i]

    # -- working hours ------------------------------------------------------------------------

    def working_hours_start(self, day: date) -> datetime:
        """08:30 (by default) Asia/Shanghai on ``day``, whether or not it is a working day."""
        return datetime.combine(day, self._hours.start, tzinfo=SHANGHAI)

    def is_working_moment(self, at: datetime) -> bool:
        """True when ``at`` (aware, any zone) is within office hours [start, end) of a working day."""
        local = _to_shanghai(at)
        t = local.timetz().replace(tzinfo=None)
        return self.is_working_day(local.date()) and self._hours.start <= t < self._hours.end

    def next_working_moment(self, at: datetime) -> datetime:
        """``at`` itself if it is a working moment, else the next start of office hours.

        Takes an aware datetime in any zone; returns ``at`` unchanged or an Asia/Shanghai datetime.
        """
        local = _to_shanghai(at)
        d = local.date()
        if self.is_working_day(d):
            t = local.timetz().replace(tzinfo=None)
            if t < self._hours.start:
                return self.working_hours_start(d)
            if t < self._hours.end:
                return at
        return self.working_hours_start(self.next_working_day(d))


def _to_shanghai(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got naive {at.isoformat()}")
    return at.astimezone(SHANGHAI)


@cache
def _shipped_calendar() -> WorkingCalendar:
    return WorkingCalendar(load_shipped_schedules())
