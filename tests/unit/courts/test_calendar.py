"""Working-day calendar and official schedule files: examples, cross-checks and properties."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courts.calendar import SHANGHAI, CalendarRangeError, Deadline, WorkingCalendar, WorkingHours
from courts.schedules import ScheduleError, YearSchedule, load_shipped_schedules, parse_schedule

D = date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.shipped()


def days(first: str, last: str) -> list[date]:
    a, b = D(first), D(last)
    return [a + timedelta(i) for i in range((b - a).days + 1)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# -- an independent, day-by-day reference ---------------------------------------------------------

_PACKAGE = holidays.country_holidays("CN", years=range(2015, 2042), categories=("public",))
_PACKAGE_WORKDAYS = set(getattr(_PACKAGE, "weekend_workdays", set()))
_SHIPPED = {s.year: s for s in load_shipped_schedules()}


def package_working(day: date) -> bool:
    return day in _PACKAGE_WORKDAYS or (day.weekday() < 5 and day not in _PACKAGE)


@cache
def ref_working(day: date) -> bool:
    schedule = _SHIPPED.get(day.year)
    return schedule.is_working_day(day) if schedule else package_working(day)


def ref_provisional(first: date, last: date) -> bool:
    return any(d.year not in _SHIPPED for d in (first + timedelta(i) for i in range((last - first).days + 1)))


def ref_add(trigger: date, n: int) -> Deadline:
    if n == 0:
        return Deadline(trigger, False)
    step = timedelta(days=1 if n > 0 else -1)
    day, left = trigger, abs(n)
    while left:
        day += step
        left -= ref_working(day)
    first, last = (trigger + step, day) if n > 0 else (day, trigger + step)
    return Deadline(day, ref_provisional(first, last))


# -- facts from the 2026 notice -------------------------------------------------------------------


def test_spring_festival_example(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2026-02-13"), 2) == Deadline(D("2026-02-24"), False)
    assert cal.working_days_between(D("2026-02-13"), D("2026-02-24")) == 2
    assert cal.working_days_between(D("2026-02-24"), D("2026-02-13")) == -2


def test_make_up_saturday_is_a_working_day_and_holidays_are_not(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(D("2026-02-14"))  # Saturday, 调休上班
    assert cal.is_working_day(D("2026-02-28"))
    assert not cal.is_working_day(D("2026-02-16"))
    assert not cal.is_working_day(D("2026-02-15"))  # Sunday inside the block
    assert not cal.is_working_day(D("2026-03-01"))  # ordinary Sunday
    assert cal.is_working_day(D("2026-03-02"))
    assert cal.next_working_day(D("2026-02-13")) == D("2026-02-14")
    assert cal.next_working_day(D("2026-02-14")) == D("2026-02-24")


def test_counting_starts_the_day_after_the_trigger(cal: WorkingCalendar) -> None:
    # Trigger on a working Monday: day 1 is Tuesday, not Monday itself.
    assert cal.add_working_days(D("2026-03-02"), 1).date == D("2026-03-03")
    # Trigger on a holiday or a weekend: day 1 is the first working day after it.
    assert cal.add_working_days(D("2026-10-03"), 1).date == D("2026-10-08")
    assert cal.add_working_days(D("2026-03-07"), 1).date == D("2026-03-09")


def test_zero_and_negative_counts(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2026-02-16"), 0) == Deadline(D("2026-02-16"), False)
    assert cal.add_working_days(D("2026-02-24"), -1) == Deadline(D("2026-02-14"), False)
    assert cal.add_working_days(D("2026-02-24"), -2).date == D("2026-02-13")
    # Backwards from a day off: the first working day before it is -1.
    assert cal.add_working_days(D("2026-02-16"), -1).date == D("2026-02-14")


def test_deadline_crossing_into_an_unconfirmed_year_is_provisional(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2026-12-28"), 3) == Deadline(D("2026-12-31"), False)
    late = cal.add_working_days(D("2026-12-28"), 5)
    assert late.provisional and late.date.year == 2027
    # Counting out of a provisional year into a confirmed one is provisional too ...
    assert cal.add_working_days(D("2024-12-30"), 2).provisional
    # ... but not when every counted day is confirmed.
    assert cal.add_working_days(D("2024-12-31"), 1) == Deadline(D("2025-01-02"), False)
    assert cal.add_working_days(D("2027-01-05"), -1).provisional


@pytest.mark.parametrize(
    ("trigger", "n", "expected", "provisional"),
    [
        ("2026-09-21", 10, "2026-10-08", False),  # 10-01 .. 10-07 National Day
        ("2026-02-10", 10, "2026-02-24", False),  # lands on 02-20 inside 春节
        ("2026-02-04", 10, "2026-02-14", False),  # a make-up Saturday is a working day
        ("2026-03-04", 3, "2026-03-09", False),  # Saturday rolls to Monday
        ("2026-03-02", 3, "2026-03-05", False),
        ("2026-12-20", 10, "2026-12-30", False),
        ("2026-12-25", 10, "2027-01-04", True),
        # 民诉法 第二百四十条, received Thu 2026-02-05: day 15 (02-20) is inside 春节, so it moves to 02-24;
        # day 30 (03-07) is a Saturday, so it moves to Monday 03-09
        ("2026-02-05", 15, "2026-02-24", False),
        ("2026-02-05", 30, "2026-03-09", False),
        ("2026-03-02", 10, "2026-03-12", False),  # 委托送达 counted from receipt of the letter
    ],
)
def test_calendar_period_end(cal: WorkingCalendar, trigger: str, n: int, expected: str, provisional: bool) -> None:
    assert cal.calendar_period_end(D(trigger), n) == Deadline(D(expected), provisional)


def test_calendar_period_needs_a_positive_length(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="needs days >= 1"):
        cal.calendar_period_end(D("2026-03-02"), 0)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-02T17:30:00", "2026-03-03T08:30:00"),  # the end is exclusive
        ("2026-03-02T17:29:59", "2026-03-02T17:29:59"),
        ("2026-03-02T08:29:00", "2026-03-02T08:30:00"),
        ("2026-03-02T08:30:00", "2026-03-02T08:30:00"),
        ("2026-03-02T00:00:00", "2026-03-02T08:30:00"),
        ("2026-02-16T10:00:00", "2026-02-24T08:30:00"),  # holiday
        ("2026-02-14T10:00:00", "2026-02-14T10:00:00"),  # make-up Saturday
        ("2026-02-14T07:00:00", "2026-02-14T08:30:00"),
        ("2026-02-13T18:00:00", "2026-02-14T08:30:00"),  # Friday evening -> make-up Saturday
        ("2026-03-06T17:30:00", "2026-03-09T08:30:00"),  # Friday evening -> Monday
        ("2026-03-07T12:00:00", "2026-03-09T08:30:00"),  # ordinary Saturday
    ],
)
def test_next_working_moment(cal: WorkingCalendar, moment: str, expected: str) -> None:
    result = cal.next_working_moment(at(moment))
    assert result == at(expected)
    assert result.utcoffset() == timedelta(hours=8)


def test_next_working_moment_other_zones(cal: WorkingCalendar) -> None:
    inside = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert cal.next_working_moment(inside) is inside
    before = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert cal.next_working_moment(before) == at("2026-03-02T08:30:00")
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.next_working_moment(datetime(2026, 3, 2, 9, 0))  # naive
    assert cal.is_working_moment(inside)
    assert not cal.is_working_moment(at("2026-02-16T10:00:00"))
    assert cal.working_hours_start(D("2026-03-02")) == at("2026-03-02T08:30:00")
    assert not cal.is_working_moment(at("2026-03-02T17:30:00"))  # office hours end at 17:30


def test_custom_working_hours() -> None:
    cal = WorkingCalendar(load_shipped_schedules(), hours=WorkingHours(time(9), time(17)))
    assert cal.next_working_moment(at("2026-03-02T08:45:00")) == at("2026-03-02T09:00:00")
    with pytest.raises(ValueError, match="must start before they end"):
        WorkingHours(time(18), time(9))


def test_out_of_range_dates(cal: WorkingCalendar) -> None:
    for call in (
        lambda: cal.is_working_day(D("2014-12-31")),
        lambda: cal.add_working_days(D("2041-01-01"), 1),
        lambda: cal.add_working_days(D("2040-12-31"), 1),
        lambda: cal.add_working_days(D("2015-01-01"), -1),
        lambda: cal.working_days_between(D("2026-01-01"), D("2050-01-01")),
        lambda: cal.year_status(2050),
    ):
        with pytest.raises(CalendarRangeError) as info:
            call()
        assert isinstance(info.value, ValueError)
        assert "范围" in str(info.value) and "supported range" in str(info.value)


def test_status_of_years(cal: WorkingCalendar) -> None:
    assert cal.confirmed_years() == [2025, 2026]
    assert cal.year_status(2026) == "confirmed"
    assert cal.year_status(2027) == "provisional"
    assert cal.is_provisional(D("2027-01-01")) and not cal.is_provisional(D("2026-12-31"))
    assert cal.supported_years == range(2015, 2041)
    assert (cal.first_day, cal.last_day) == (D("2015-01-01"), D("2040-12-31"))


def test_unconfirmed_years_use_statutory_holidays(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(D("2027-10-01"))  # Friday, National Day
    assert not cal.is_working_day(D("2027-01-01"))
    assert cal.is_working_day(D("2027-03-01"))


# -- loading schedules ----------------------------------------------------------------------------


def schedule_2027(**changes: object) -> YearSchedule:
    doc: dict[str, object] = {
        "year": 2027,
        "source": "测试用通知",
        "published": "2026-11-01",
        "holidays": [d.isoformat() for d in days("2027-01-01", "2027-01-03") + days("2027-02-06", "2027-02-12")],
        "workdays": ["2027-01-09", "2027-02-13"],
    }
    doc.update(changes)
    return parse_schedule(json.dumps(doc, ensure_ascii=False))


def test_with_schedule_returns_a_new_confirmed_calendar(cal: WorkingCalendar) -> None:
    loaded = cal.with_schedule(schedule_2027())
    assert loaded.confirmed_years() == [2025, 2026, 2027]
    assert not loaded.add_working_days(D("2026-12-28"), 5).provisional
    assert loaded.is_working_day(D("2027-02-13"))  # Saturday, make-up
    assert not loaded.is_working_day(D("2027-02-12"))
    # The original is untouched.
    assert cal.confirmed_years() == [2025, 2026]
    assert not cal.is_working_day(D("2027-02-13"))


def test_a_later_schedule_for_a_year_replaces_the_earlier() -> None:
    first, second = schedule_2027(), schedule_2027(workdays=["2027-01-09"])
    cal = WorkingCalendar([first, second])
    assert cal.schedule(2027) == second
    assert not cal.is_working_day(D("2027-02-13"))


def test_a_notice_may_set_days_in_december_of_the_previous_year(cal: WorkingCalendar) -> None:
    loaded = cal.with_schedule(schedule_2027(workdays=["2026-12-26", "2027-02-13"]))
    assert loaded.is_working_day(D("2026-12-26"))
    assert not cal.is_working_day(D("2026-12-26"))


def test_schedule_outside_the_range_is_refused(cal: WorkingCalendar) -> None:
    doc = json.loads(schedule_2027().to_json())
    doc.update(year=2041, published="2040-11-01", holidays=["2041-01-01"], workdays=[])
    with pytest.raises(CalendarRangeError):
        cal.with_schedule(parse_schedule(json.dumps(doc)))


def test_shipped_files() -> None:
    shipped = load_shipped_schedules()
    assert [s.year for s in shipped] == [2025, 2026]
    s2025, s2026 = shipped
    assert s2025.workdays == tuple(map(D, ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]))
    assert set(s2025.holidays) == set(
        days("2025-01-01", "2025-01-01")
        + days("2025-01-28", "2025-02-04")
        + days("2025-04-04", "2025-04-06")
        + days("2025-05-01", "2025-05-05")
        + days("2025-05-31", "2025-06-02")
        + days("2025-10-01", "2025-10-08")
    )
    assert s2026.workdays == tuple(
        map(D, ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"])
    )
    assert set(s2026.holidays) == set(
        days("2026-01-01", "2026-01-03")
        + days("2026-02-15", "2026-02-23")
        + days("2026-04-04", "2026-04-06")
        + days("2026-05-01", "2026-05-05")
        + days("2026-06-19", "2026-06-21")
        + days("2026-09-25", "2026-09-27")
        + days("2026-10-01", "2026-10-07")
    )
    for s in shipped:
        assert parse_schedule(s.to_json()) == s


@pytest.mark.parametrize("year", [2025, 2026])
def test_shipped_files_agree_with_the_holidays_package(cal: WorkingCalendar, year: int) -> None:
    disagreements = [d for d in days(f"{year}-01-01", f"{year}-12-31") if cal.is_working_day(d) != package_working(d)]
    assert disagreements == []


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"year": "2027"}, "year must be an integer"),
        ({"year": True}, "year must be an integer"),
        ({"published": "2026-11-1"}, "not a YYYY-MM-DD date"),
        ({"published": "2027-13-01"}, "not a YYYY-MM-DD date"),
        ({"published": "2028-01-02"}, "is after the year"),
        ({"source": " "}, "source must name the notice"),
        ({"holidays": "2027-01-01"}, "must be a list of dates"),
        ({"holidays": ["2027-01-01", "2027-01-01"]}, "listed twice"),
        ({"holidays": ["2027-01-01", "2028-01-03"]}, "is not in 2027"),
        ({"holidays": ["2026-11-30", "2027-01-01"]}, "is not in 2027"),
        ({"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}, "both a holiday and a workday"),
        ({"workdays": ["2027-01-11"]}, "not a Saturday or Sunday"),
        ({"holidays": []}, "no holidays listed"),
        ({"holidays": ["2027-01-01", "2027-01-02", "2027-03-06"]}, "weekend days only"),
        ({"holidays": ["2027-02-05", "2027-02-08"]}, "inside a holiday block must be listed"),
        ({"extra": 1}, "unknown field"),
    ],
)
def test_schedule_validation(change: dict[str, object], fragment: str) -> None:
    with pytest.raises(ScheduleError) as info:
        schedule_2027(**change)
    assert fragment in str(info.value)
    assert all(p.message_zh and p.message_en for p in info.value.problems)


def test_schedule_validation_reports_every_problem() -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedule('{"year": 2027, "holidays": ["x"]}')
    text = str(info.value)
    for fragment in ("缺少字段 source", "missing field 'published'", "missing field 'workdays'", "holidays[0]"):
        assert fragment in text
    with pytest.raises(ScheduleError, match="not valid JSON"):
        parse_schedule("{")
    with pytest.raises(ScheduleError, match="JSON object"):
        parse_schedule("[]")


# -- properties -----------------------------------------------------------------------------------

triggers = st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31))
counts = st.integers(min_value=0, max_value=400)


@given(trigger=triggers, n=counts)
@settings(deadline=None)
def test_add_working_days_agrees_with_the_day_by_day_reference(cal: WorkingCalendar, trigger: date, n: int) -> None:
    assert cal.add_working_days(trigger, n) == ref_add(trigger, n)


@given(trigger=triggers, n=st.integers(min_value=1, max_value=400))
@settings(deadline=None)
def test_negative_counts_agree_with_the_reference(cal: WorkingCalendar, trigger: date, n: int) -> None:
    assert cal.add_working_days(trigger, -n) == ref_add(trigger, -n)


@given(trigger=triggers, n=st.integers(min_value=1, max_value=400))
def test_result_is_a_later_working_day_n_working_days_away(cal: WorkingCalendar, trigger: date, n: int) -> None:
    result = cal.add_working_days(trigger, n).date
    assert result > trigger
    assert cal.is_working_day(result)
    assert cal.working_days_between(trigger, result) == n


@given(trigger=triggers, n1=counts, n2=counts)
def test_monotonic_in_n(cal: WorkingCalendar, trigger: date, n1: int, n2: int) -> None:
    a, b = cal.add_working_days(trigger, n1).date, cal.add_working_days(trigger, n2).date
    assert (a < b) == (n1 < n2)
    assert (a == b) == (n1 == n2)


@given(trigger=triggers, n=st.integers(min_value=1, max_value=400))
def test_round_trip_with_negative_n(cal: WorkingCalendar, trigger: date, n: int) -> None:
    there = cal.add_working_days(trigger, n).date
    back = cal.add_working_days(there, -n).date
    expected = trigger if cal.is_working_day(trigger) else cal.add_working_days(trigger, -1).date
    assert back == expected


@given(start=triggers, span=st.integers(min_value=-400, max_value=400))
def test_working_days_between_counts_and_is_antisymmetric(cal: WorkingCalendar, start: date, span: int) -> None:
    end = start + timedelta(days=span)
    count = cal.working_days_between(start, end)
    lo, hi = min(start, end), max(start, end)
    naive = sum(ref_working(lo + timedelta(i)) for i in range(1, (hi - lo).days + 1))
    assert count == (naive if end >= start else -naive)
    assert cal.working_days_between(end, start) == -count


@given(trigger=triggers, n=st.integers(min_value=1, max_value=60))
def test_calendar_period_end_agrees_with_the_reference(cal: WorkingCalendar, trigger: date, n: int) -> None:
    last = trigger + timedelta(days=n)
    expected = last
    while not ref_working(expected):
        expected += timedelta(days=1)
    assert cal.calendar_period_end(trigger, n) == Deadline(expected, ref_provisional(last, expected))


@given(moment=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)))
def test_next_working_moment_is_the_first_working_moment(cal: WorkingCalendar, moment: datetime) -> None:
    result = cal.next_working_moment(moment)
    assert result >= moment
    assert cal.is_working_moment(result)
    if result != moment:
        assert not cal.is_working_moment(moment)
        assert result.astimezone(SHANGHAI).time() == time(8, 30)
        # No working day was skipped between the two.
        local = moment.astimezone(SHANGHAI).date()
        assert cal.working_days_between(local, result.astimezone(SHANGHAI).date()) <= 1
