"""Periods as the law counts them, against the real 2026 calendar: service counted from receipt (民诉法解释
第一百三十四条), extensions in their own unit, the correction period of 30 days (规定 第八条 by analogy)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from courts.calendar import WorkingCalendar
from delegation.catalogue.policy import load_shipped_policies
from delegation.core import clocks
from delegation.core.clocks import SHANGHAI, Unit
from delegation.core.states import Stage
from delegation.handling.rules import RESULT_OUTCOMES, RETURN_REASONS


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.shipped()


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


def service_clock(received: date, signed: datetime) -> clocks.Clock:
    return clocks.start_clock(Stage.EXECUTION, "鲁0602", 10, Unit.CALENDAR, signed, "2025-01-01", received)


def test_service_counts_ten_days_from_receipt_not_from_the_sign_for(cal: WorkingCalendar) -> None:
    due = clocks.due(service_clock(date(2026, 3, 2), at("2026-03-04")), cal)
    assert due is not None and due.day == date(2026, 3, 12)  # not 03-16 (ten days from the sign-for)


def test_receipt_is_the_submission_or_the_corrected_letter(cal: WorkingCalendar) -> None:
    sign_for = clocks.start_clock(Stage.SIGN_FOR, "鲁0602", 2, Unit.WORKING, at("2026-03-02", "16:00"), "2025-01-01")
    assert clocks.receipt_day(sign_for) == date(2026, 3, 2)
    returned = clocks.resume(clocks.pause(sign_for, at("2026-03-03"), "return_for_correction"), at("2026-03-06"))
    assert clocks.receipt_day(returned) == date(2026, 3, 6)


def test_a_ten_working_day_extension_of_a_plain_day_clock_adds_ten_working_days(cal: WorkingCalendar) -> None:
    clock = clocks.extend(service_clock(date(2026, 3, 2), at("2026-03-04")), 10, Unit.WORKING)
    assert (clock.extra_days, clock.extra_working_days) == (0, 10)
    due = clocks.due(clock, cal)
    assert due is not None and due.day == date(2026, 3, 26)  # 03-12 + 10 working days, not 03-22 (a Sunday)


def test_a_working_day_clock_takes_its_extension_in_its_own_unit(cal: WorkingCalendar) -> None:
    clock = clocks.start_clock(Stage.EXECUTION, "鲁0602", 7, Unit.WORKING, at("2026-03-02"), "2025-01-01")
    extended = clocks.extend(clock, 3, Unit.WORKING)
    assert (extended.extra_days, extended.extra_working_days) == (3, 0)
    due = clocks.due(extended, cal)
    assert due is not None and due.day == date(2026, 3, 16)  # 10 working days after Mon 03-02
    with pytest.raises(ValueError, match="working days"):
        clocks.extend(clock, 3, Unit.CALENDAR)


def test_the_correction_period_is_thirty_days_and_cites_article_8_by_analogy(cal: WorkingCalendar) -> None:
    [policy] = load_shipped_policies()
    budget = policy.budget("equity_freeze", "correction")
    assert (budget.days, budget.unit) == (30, "calendar") and policy.on_expiry("correction") == "withdraw"
    assert "参照" in budget.source and "第八条" in budget.source
    assert "correction" in policy.extensions.stages  # the requesting court may ask for more time
    # Returned Fri 2026-03-06: the 30th day is Sun 04-05 in the Qingming holiday (04-04..06), so Tue 04-07.
    clock = clocks.start_clock(Stage.CORRECTION, "鲁0202", 30, Unit.CALENDAR, at("2026-03-06"), "2025-01-01")
    due = clocks.due(clock, cal)
    assert due is not None and due.day == date(2026, 4, 7)


def test_every_stage_budget_of_the_shipped_policy_cites_its_source() -> None:
    [policy] = load_shipped_policies()
    for matter in policy.matter_types:
        for stage in policy.stages_for(matter.code):
            assert policy.budget(matter.code, stage).source, (matter.code, stage)
    service = policy.budget("document_service", "execution")
    assert service.starts_from == "receipt" and "第一百三十四条" in service.source


def test_cannot_be_done_is_a_result_not_a_reason_to_return() -> None:
    assert "not_executable" not in RETURN_REASONS
    assert {"not_found", "failed"} <= set(RESULT_OUTCOMES)
