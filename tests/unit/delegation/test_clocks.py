"""Stage clocks against the real 2026 calendar (Spring Festival 02-15..23, make-up workdays 02-14 and 02-28)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from courts.calendar import WorkingCalendar
from delegation.core import clocks
from delegation.core.clocks import SHANGHAI, RungPolicy, Unit
from delegation.core.states import Stage

POLICY = RungPolicy()


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.shipped()


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


def sign_for_clock(start: datetime, days: int = 2, unit: Unit = Unit.WORKING) -> clocks.Clock:
    return clocks.start_clock(Stage.SIGN_FOR, "鲁0602", days, unit, start, "2025-01-01")


def test_due_is_end_of_the_nth_working_day_after_the_trigger_day(cal: WorkingCalendar) -> None:
    due = clocks.due(sign_for_clock(at("2026-02-13", "16:00")), cal)
    assert due is not None
    assert due.day == date(2026, 2, 24)
    assert due.at == datetime(2026, 2, 25, tzinfo=SHANGHAI)
    assert not due.provisional


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_for_clock(datetime(2026, 2, 13, 10))


def test_a_paused_clock_has_no_due_time_and_no_rungs(cal: WorkingCalendar) -> None:
    clock = clocks.pause(sign_for_clock(at("2026-03-02")), at("2026-03-03"), "return_for_correction")
    assert clock.is_paused
    assert clocks.due(clock, cal) is None
    assert clocks.next_rung(clock, cal, POLICY) is None
    assert clocks.working_days_left(clock, at("2026-03-04"), cal) is None


def test_resuming_continues_with_the_days_left(cal: WorkingCalendar) -> None:
    # Started Monday 03-02 with 2 working days; one day (03-03) used before the stop on Tuesday.
    clock = sign_for_clock(at("2026-03-02"))
    clock = clocks.pause(clock, at("2026-03-03"), "return_for_correction")
    clock = clocks.resume(clock, at("2026-03-10"))
    due = clocks.due(clock, cal)
    assert due is not None and due.day == date(2026, 3, 11)


def test_a_stop_does_not_cure_a_breach(cal: WorkingCalendar) -> None:
    clock = sign_for_clock(at("2026-03-02"))
    clock = clocks.pause(clock, at("2026-03-09"), "return_for_correction")
    clock = clocks.resume(clock, at("2026-03-20"))
    due = clocks.due(clock, cal)
    assert due is not None and due.day == date(2026, 3, 4)


def test_extension_moves_the_due_day_by_working_days(cal: WorkingCalendar) -> None:
    clock = clocks.extend(sign_for_clock(at("2026-04-30")), 3)
    due = clocks.due(clock, cal)
    # 05-01..05 holiday, 05-09 (Saturday) make-up workday: 05-06, 05-07, 05-08, 05-09, 05-11.
    assert due is not None and due.day == date(2026, 5, 11)


def test_calendar_day_periods_roll_to_the_next_working_day(cal: WorkingCalendar) -> None:
    # 10 calendar days from 09-22 end on 10-02, a holiday: rolls to 10-08 (10-01..07 off).
    clock = clocks.start_clock(Stage.EXECUTION, "鲁0602", 10, Unit.CALENDAR, at("2026-09-22"), "2025-01-01")
    due = clocks.due(clock, cal)
    assert due is not None and due.day == date(2026, 10, 8)


def test_anchor_date_counts_from_the_agreed_on_site_date(cal: WorkingCalendar) -> None:
    clock = clocks.start_clock(
        Stage.EXECUTION, "鲁0602", 2, Unit.WORKING, at("2026-03-02"), "v", anchor_date=date(2026, 3, 13)
    )
    due = clocks.due(clock, cal)
    assert due is not None and due.day == date(2026, 3, 17)


def test_rungs_fire_in_working_hours_in_order(cal: WorkingCalendar) -> None:
    clock = sign_for_clock(at("2026-02-13", "16:00"))  # due end of 02-24
    times = clocks.rung_times(clock, cal, POLICY)
    assert times[clocks.Rung.DUE_SOON] == at("2026-02-14", "08:30")  # make-up Saturday: 1 working day left
    assert times[clocks.Rung.OVERDUE] == at("2026-02-25", "08:30")
    assert times[clocks.Rung.SUPERVISE] == at("2026-02-27", "08:30")  # after 2 working days overdue
    assert times[clocks.Rung.ESCALATE] == at("2026-03-03", "08:30")  # 02-28 (Saturday) is a make-up workday
    assert list(times.values()) == sorted(times.values())


def test_next_rung_skips_fired_rungs(cal: WorkingCalendar) -> None:
    clock = clocks.fired(sign_for_clock(at("2026-03-02")), [clocks.Rung.DUE_SOON])
    upcoming = clocks.next_rung(clock, cal, POLICY)
    assert upcoming is not None and upcoming[0] is clocks.Rung.OVERDUE


def test_working_days_left_and_late(cal: WorkingCalendar) -> None:
    clock = sign_for_clock(at("2026-03-02"))  # due end of 03-04
    assert clocks.working_days_left(clock, at("2026-03-02"), cal) == 2
    assert clocks.working_days_left(clock, at("2026-03-04", "23:00"), cal) == 0
    # Overdue: minus the working days overdue as the badges count them (03-05 and 03-06 ended; Monday runs).
    assert clocks.working_days_left(clock, at("2026-03-09"), cal) == -2
    assert clocks.working_days_left(clock, at("2026-03-05"), cal) == 0
    for now in (at("2026-03-05"), at("2026-03-07"), at("2026-03-09"), at("2026-03-10", "17:00")):
        assert clocks.days_left(date(2026, 3, 4), now, cal) == -clocks.working_days_overdue(date(2026, 3, 4), now, cal)
    assert not clocks.is_breached(clock, at("2026-03-04", "23:59"), cal)
    assert clocks.is_breached(clock, at("2026-03-05", "00:00"), cal)
    assert clocks.working_days_late(clock, at("2026-03-09"), cal) == 3
    closed = clocks.close(clock, at("2026-03-04", "15:00"))
    assert clocks.working_days_late(closed, at("2026-04-01"), cal) == 0
    assert clocks.next_rung(closed, cal, POLICY) is None


def test_a_deadline_in_an_unconfirmed_year_is_provisional(cal: WorkingCalendar) -> None:
    due = clocks.due(sign_for_clock(at("2026-12-30")), cal)
    assert due is not None and due.provisional


def test_overdue_days_count_only_working_days_that_have_ended(cal: WorkingCalendar) -> None:
    due_day = date(2026, 3, 4)
    assert clocks.working_days_overdue(due_day, at("2026-03-04", "23:00"), cal) == 0
    assert clocks.working_days_overdue(due_day, at("2026-03-05"), cal) == 0  # the first late day is still running
    assert clocks.working_days_overdue(due_day, at("2026-03-07"), cal) == 2  # 03-05, 03-06 ended; Saturday
    assert clocks.working_days_overdue(due_day, at("2026-03-09"), cal) == 2  # Monday still running


def test_the_due_time_is_midnight_after_the_last_day(cal: WorkingCalendar) -> None:
    # Two working days after Friday 2026-02-13 (Spring Festival between): the period ends 24:00 of 02-24.
    clock = clocks.start_clock(Stage.SIGN_FOR, "C", 2, Unit.WORKING, datetime(2026, 2, 13, 10, tzinfo=SHANGHAI), "v")
    due = clocks.due(clock, cal)
    assert due is not None and due.at == datetime(2026, 2, 25, 0, 0, tzinfo=SHANGHAI)
    assert due.at.isoformat() == "2026-02-25T00:00:00+08:00" and not due.provisional
    late = clocks.start_clock(Stage.SIGN_FOR, "C", 5, Unit.WORKING, datetime(2026, 12, 28, 10, tzinfo=SHANGHAI), "v")
    assert (found := clocks.due(late, cal)) is not None and found.provisional
