"""The statutory backstops of 民诉法 第二百四十条 against the real 2026 calendar (Spring Festival 02-15..23,
make-up workdays 02-14 and 02-28), counted in plain days with the roll-forward of 第八十五条."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from courts.calendar import WorkingCalendar
from delegation.catalogue.policy import load_shipped_policies
from delegation.core import clocks
from delegation.core.clocks import SHANGHAI, Duty, StatutoryClock
from delegation.core.states import (
    NO_DUTY,
    TRANSITIONS,
    Action,
    Mechanism,
    Status,
    find_transition,
    render_markdown,
)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.shipped()


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


def test_an_equity_freeze_received_on_5_february_must_start_by_24_february_and_report_by_9_march(
    cal: WorkingCalendar,
) -> None:
    # The 15th day (Fri 02-20) falls in the Spring Festival holiday (02-15..23): the period ends on Tue 02-24.
    start = clocks.statutory_due(date(2026, 2, 5), 15, cal)
    assert start.day == date(2026, 2, 24)
    assert start.at == datetime(2026, 2, 25, tzinfo=SHANGHAI)
    # The 30th day is Sat 03-07, a rest day: the period ends on Mon 03-09.
    report = clocks.statutory_due(date(2026, 2, 5), 30, cal)
    assert report.day == date(2026, 3, 9)
    assert not start.provisional and not report.provisional


def test_a_make_up_workday_is_not_a_rest_day(cal: WorkingCalendar) -> None:
    # 2026-02-28 is a Saturday worked in exchange for the Spring Festival: a period ending on it stays there.
    assert clocks.statutory_due(date(2026, 2, 13), 15, cal).day == date(2026, 2, 28)


def test_a_period_running_into_an_unconfirmed_year_is_provisional(cal: WorkingCalendar) -> None:
    assert clocks.statutory_due(date(2026, 12, 20), 30, cal).provisional


def test_a_duty_is_breached_when_still_unmet_at_the_end_of_its_last_day(cal: WorkingCalendar) -> None:
    duty = StatutoryClock(Duty.START, "鲁0602", 15, date(2026, 2, 5))
    due = clocks.statutory_due(duty.counted_from, duty.days, cal)
    assert not clocks.statutory_breached(duty, due.at, at("2026-02-24", "23:59"))
    assert clocks.statutory_breached(duty, due.at, at("2026-02-25", "00:00"))
    met_in_time = StatutoryClock(Duty.START, "鲁0602", 15, date(2026, 2, 5), met_at=at("2026-02-24", "17:00"))
    assert not clocks.statutory_breached(met_in_time, due.at, at("2026-04-01"))
    met_late = StatutoryClock(Duty.START, "鲁0602", 15, date(2026, 2, 5), met_at=at("2026-02-26"))
    assert clocks.statutory_breached(met_late, due.at, at("2026-04-01"))
    assert not met_late.is_open


def test_the_policy_cites_the_article_and_covers_inquiry_control_and_investigation_only() -> None:
    [policy] = load_shipped_policies()
    freeze = policy.statutory("equity_freeze")
    assert freeze is not None and (freeze.start_days, freeze.report_days) == (15, 30)
    assert "第二百四十条" in freeze.source and "第八十五条" in freeze.source
    assert policy.statutory("property_investigation") is not None
    # 委托送达 has its own period (民诉法解释); on-site assistance is the requesting court's own act.
    assert policy.statutory("document_service") is None
    assert policy.statutory("forced_eviction") is None


def test_the_transition_table_says_what_starts_meets_and_ends_the_duties() -> None:
    d = Mechanism.MATTER_DELEGATION
    submit = find_transition(Status.DRAFT, Action.SUBMIT, d)
    assert submit is not None and submit.duties.begin
    returned = find_transition(Status.SUBMITTED, Action.RETURN_FOR_CORRECTION, d)
    assert returned is not None and returned.duties.end
    resubmitted = find_transition(Status.RETURNED, Action.RESUBMIT, d)
    assert resubmitted is not None and resubmitted.duties.begin
    redirect = find_transition(Status.DECLINED, Action.REDIRECT, d)
    assert redirect is not None and redirect.duties.end and redirect.duties.begin
    for state, action in (
        (Status.ACCEPTED, Action.ASSIGN_HANDLER),
        (Status.IN_PROGRESS, Action.RECORD_RESULT),
        (Status.IN_PROGRESS, Action.COMPLETE),
    ):
        row = find_transition(state, action, d)
        assert row is not None and row.duties.start_met, (state, action)
    report = find_transition(Status.IN_PROGRESS, Action.REPORT_PROGRESS, d)
    assert report is not None and report.duties.report_met and report.duties.report_again
    # Extensions never touch the statutory clocks.
    for row in TRANSITIONS:
        if row.action in (Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
            assert row.duties == NO_DUTY
    assert "statutory duties" in render_markdown()
