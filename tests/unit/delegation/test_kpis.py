"""KPI definitions against hand-computed fixtures (2026 calendar: 02-28 is a make-up workday, 04-04..06
are the 清明 holiday)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from courts.calendar import SHANGHAI, WorkingCalendar
from delegation.reports import kpis
from delegation.reports.kpis import Breach


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.shipped()


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


def test_every_kpi_has_a_chinese_and_english_definition() -> None:
    codes = [k.code for k in kpis.KPIS]
    assert len(codes) == len(set(codes))
    for k in kpis.KPIS:
        assert k.name_zh and k.definition_zh and k.definition_en
    assert "至少一次" in kpis.kpi("return_rate").definition_zh
    assert "不计期限暂停" in kpis.kpi("mean_working_days").definition_zh
    assert "首次超期开始的月份" in kpis.kpi("overdue").definition_zh


def test_return_rate_counts_matters_returned_at_least_once_among_matters_answered() -> None:
    # Matter 1 returned, corrected, then signed (two answers); matter 2 signed; matter 3 declined.
    # Old definition (returns ÷ answers) gave 1/4; per matter it is 1 of 3.
    assert kpis.return_rate(answered={1, 2, 3}, returned={1}) == pytest.approx(1 / 3)
    assert kpis.return_rate(answered=[1, 1, 2], returned=[1, 1]) == 0.5  # a matter returned twice is one
    assert kpis.return_rate(answered=set(), returned=set()) is None


def test_handling_days_run_from_sign_for_to_completion_without_stopped_time(cal: WorkingCalendar) -> None:
    # (03-03, 03-25]: 3 + 5 + 5 + 3 = 16 working days.
    assert kpis.handling_working_days(at("2026-03-03"), at("2026-03-25"), [], cal) == 16
    # A stop Thu 03-12 -> Mon 03-16 takes out 03-13 and 03-16.
    stop = (at("2026-03-12", "15:00"), at("2026-03-16", "09:00"))
    assert kpis.handling_working_days(at("2026-03-03"), at("2026-03-25"), [stop], cal) == 14
    # Overlapping waits are merged: (03-12, 03-17] is 03-13, 03-16, 03-17.
    wait = (at("2026-03-13"), at("2026-03-17"))
    assert kpis.handling_working_days(at("2026-03-03"), at("2026-03-25"), [stop, wait], cal) == 13
    # A stop still open at completion runs to completion; one before sign-for is ignored.
    assert kpis.handling_working_days(at("2026-03-03"), at("2026-03-25"), [(at("2026-03-20"), None)], cal) == 13
    assert (
        kpis.handling_working_days(at("2026-03-03"), at("2026-03-25"), [(at("2026-02-20"), at("2026-03-02"))], cal)
        == 16
    )
    # Over 清明: (04-02, 04-08] is 04-03, 04-07, 04-08.
    assert kpis.handling_working_days(at("2026-04-02"), at("2026-04-08"), [], cal) == 3


def _breach(matter: int, due_day: str, closed: datetime | None = None, court: str = "鲁0602") -> Breach:
    day = date.fromisoformat(due_day)
    began = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)  # the end of the due day
    return Breach(matter, court, "鲁0202", "鲁0602", began, day, closed)


def test_overdue_matters_count_once_in_the_month_their_first_breach_began() -> None:
    sign_for_late = _breach(1, "2026-02-25", at("2026-03-02"))  # began 02-26 00:00
    execution_late = _breach(1, "2026-03-17")  # the same matter again, in March
    other = _breach(2, "2026-03-09")
    requester_late = _breach(2, "2026-03-20", court="鲁0202")  # the same matter, charged to the other court
    facts = [sign_for_late, execution_late, other, requester_late]
    feb = kpis.report_window(2026, 2)
    march = kpis.report_window(2026, 3)
    assert kpis.first_breaches(facts, *feb) == [sign_for_late]
    assert kpis.first_breaches(facts, *march) == [requester_late, other]
    # A period due on the last day of March breaches on 04-01: not March's.
    assert kpis.first_breaches([_breach(3, "2026-03-31")], *march) == []


def test_days_late_are_those_inside_the_window(cal: WorkingCalendar) -> None:
    open_since_feb = _breach(1, "2026-02-25")
    # February: 02-26, 02-27 and the make-up workday Saturday 02-28.
    assert kpis.working_days_late_in(open_since_feb, *kpis.report_window(2026, 2), cal) == 3
    # March, whole month still open: its 22 working days; the February days are not charged again.
    assert kpis.working_days_late_in(open_since_feb, *kpis.report_window(2026, 3), cal) == 22
    # Closed on 03-16: 03-11, 03-12, 03-13, 03-16.
    assert kpis.working_days_late_in(_breach(2, "2026-03-10", at("2026-03-16")), *kpis.report_window(2026, 3), cal) == 4


def test_days_a_late_period_waits_on_the_other_side_are_not_charged(cal: WorkingCalendar) -> None:
    # Sign-for due 03-04, returned for correction 03-06 (the clock stops, still overdue) and not resumed:
    # late on 03-05 and 03-06 only.
    returned = Breach(
        1, "鲁0602", "鲁0202", "鲁0602", at("2026-03-05", "00:00"), date(2026, 3, 4), None, ((at("2026-03-06"), None),)
    )
    assert kpis.working_days_late_in(returned, *kpis.report_window(2026, 3), cal) == 2


def test_a_running_month_is_counted_up_to_now(cal: WorkingCalendar) -> None:
    now = at("2026-03-12", "15:00")
    start, end = kpis.report_window(2026, 3, now)
    assert (start, end) == (at("2026-03-01", "00:00"), now)
    assert kpis.report_window(2026, 2, now)[1] == at("2026-03-01", "00:00")  # a past month is whole
    # Due tomorrow: no breach yet, nothing charged (the old report charged it to the month's end).
    assert kpis.first_breaches([_breach(1, "2026-03-13")], start, end) == []
    # Due 03-10, open: 03-11 has ended, today 03-12 is still running.
    due_tuesday = _breach(2, "2026-03-10")
    assert kpis.first_breaches([due_tuesday], start, end) == [due_tuesday]
    assert kpis.working_days_late_in(due_tuesday, start, end, cal) == 1
