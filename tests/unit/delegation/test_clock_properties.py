"""Properties of the clock rules, for any start, budget, stop and moment (hypothesis), on the shipped calendar."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courts.calendar import WorkingCalendar
from delegation.core import clocks
from delegation.core.clocks import RUNG_ORDER, SHANGHAI, RungPolicy, Unit
from delegation.core.states import Stage

CAL = WorkingCalendar.shipped()
POLICY = RungPolicy()

days_2026 = st.dates(min_value=date(2026, 1, 5), max_value=date(2026, 11, 30))
moments = st.builds(
    lambda day, minute: datetime.combine(day, time(0), tzinfo=SHANGHAI) + timedelta(minutes=minute),
    days_2026,
    st.integers(min_value=0, max_value=24 * 60 - 1),
)
budgets = st.integers(min_value=1, max_value=30)
units = st.sampled_from([Unit.WORKING, Unit.CALENDAR])


def clock_at(start: datetime, budget: int, unit: Unit = Unit.WORKING) -> clocks.Clock:
    return clocks.start_clock(Stage.EXECUTION, "鲁0602", budget, unit, start, "2025-01-01")


def due_of(clock: clocks.Clock) -> clocks.Due:
    found = clocks.due(clock, CAL)
    assert found is not None
    return found


@settings(deadline=None)  # pure, but the shared machine is sometimes slow: no timing, only results
@given(start=moments, budget=budgets, n=st.integers(min_value=1, max_value=20))
def test_an_extension_of_n_working_days_moves_due_exactly_n_working_days(start: datetime, budget: int, n: int) -> None:
    clock = clock_at(start, budget)
    assert due_of(clocks.extend(clock, n)).day == CAL.add_working_days(due_of(clock).day, n).date


@settings(deadline=None)  # pure, but the shared machine is sometimes slow: no timing, only results
@given(start=moments, budget=budgets, unit=units, after=st.integers(0, 40), minutes=st.integers(0, 23 * 60))
def test_a_pause_and_resume_on_the_same_day_leave_due_unchanged(
    start: datetime, budget: int, unit: Unit, after: int, minutes: int
) -> None:
    clock = clock_at(start, budget, unit)
    stop_day = clocks.local_day(start) + timedelta(days=after)
    stopped = datetime.combine(stop_day, time(0), tzinfo=SHANGHAI) + timedelta(minutes=minutes)
    resumed = stopped + timedelta(minutes=(24 * 60 - 1 - minutes) // 2)  # later the same day
    paused = clocks.pause(clock, max(stopped, start), "return_for_correction")
    assert clocks.due(paused, CAL) is None or clocks.due(paused, CAL) == due_of(clock)
    assert due_of(clocks.resume(paused, max(resumed, start))) == due_of(clock)


@settings(deadline=None)  # pure, but the shared machine is sometimes slow: no timing, only results
@given(start=moments, budget=budgets, unit=units, after=st.integers(0, 40), length=st.integers(0, 60))
def test_a_stop_never_moves_due_earlier(start: datetime, budget: int, unit: Unit, after: int, length: int) -> None:
    clock = clock_at(start, budget, unit)
    stopped = start + timedelta(days=after)
    stopped_clock = clocks.resume(clocks.pause(clock, stopped, "decline"), stopped + timedelta(days=length))
    assert due_of(stopped_clock).at >= due_of(clock).at


@settings(deadline=None)  # pure, but the shared machine is sometimes slow: no timing, only results
@given(start=moments, budget=budgets, unit=units)
def test_rung_times_follow_the_firing_order(start: datetime, budget: int, unit: Unit) -> None:
    times = clocks.rung_times(clock_at(start, budget, unit), CAL, POLICY)
    ordered = [times[r] for r in RUNG_ORDER]
    assert ordered == sorted(ordered)


@settings(deadline=None)  # pure, but the shared machine is sometimes slow: no timing, only results
@given(due_day=days_2026, now=moments, later=st.integers(min_value=0, max_value=60 * 24 * 30))
def test_days_overdue_are_never_negative_and_never_decrease_with_time(due_day: date, now: datetime, later: int) -> None:
    before = clocks.working_days_overdue(due_day, now, CAL)
    after = clocks.working_days_overdue(due_day, now + timedelta(minutes=later), CAL)
    assert 0 <= before <= after


@settings(deadline=None)  # pure, but the shared machine is sometimes slow: no timing, only results
@given(start=moments, budget=budgets, unit=units, now=moments)
def test_days_left_of_a_clock_and_of_its_stored_due_time_agree(
    start: datetime, budget: int, unit: Unit, now: datetime
) -> None:
    clock = clock_at(start, budget, unit)
    due = due_of(clock)
    assert clocks.due_day_of(due.at) == due.day
    assert clocks.working_days_left(clock, now, CAL) == clocks.days_left(clocks.due_day_of(due.at), now, CAL)


@pytest.mark.parametrize("unit", [Unit.WORKING, Unit.CALENDAR])
def test_derive_agrees_with_due_and_next_rung(unit: Unit) -> None:
    clock = clock_at(datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), 5, unit)
    derived = clocks.derive(clock, CAL, POLICY)
    assert derived.due == clocks.due(clock, CAL)
    assert (derived.next_rung, derived.next_rung_at) == clocks.next_rung(clock, CAL, POLICY)
    assert clocks.derive(clock, CAL, POLICY, settled=True).next_rung is None
