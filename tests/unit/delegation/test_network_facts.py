"""网络查控 as statistics facts: a completion by the network's system user counts by network with its time from
submission to result, one by hand counts by hand, a hand-back counts its failed queries by cause; the page's
figures per court and registry are sums of them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from courts.calendar import SHANGHAI, WorkingCalendar
from delegation.statistics.model import (
    Fact,
    HandBack,
    Matter,
    Measures,
    NetworkFigures,
    Step,
    facts_of,
    failures_by_cause,
)

SUBMITTED = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
MATTER = Matter(7, "鲁0202", "鲁0602", "vehicle_inquiry", SUBMITTED)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar.shipped()


def _total(facts: list[Fact], kind: str) -> Measures:
    return sum((f.measures for f in facts if f.kind == kind), Measures())


def test_a_completion_by_the_network_counts_by_network_with_its_time_to_result(cal: WorkingCalendar) -> None:
    steps = [
        Step("sign_for", "鲁0602", SUBMITTED + timedelta(minutes=1), by_network=True),
        Step("complete", "鲁0602", SUBMITTED + timedelta(hours=2), by_network=True),
    ]
    facts = facts_of(MATTER, steps, [], [], cal, SUBMITTED + timedelta(days=1))
    done = _total(facts, "completion")
    assert (done.completions, done.network_completions) == (1, 1)
    assert done.result_seconds == done.network_seconds == 7200
    [figures] = [NetworkFigures.of("鲁0602", "vehicle", done)]
    assert (figures.completed, figures.by_network, figures.network_share) == (1, 1, 1.0)
    assert (figures.network_hours, figures.manual_hours, figures.failures) == (2.0, None, {})


def test_a_completion_by_hand_counts_its_time_by_hand(cal: WorkingCalendar) -> None:
    steps = [
        Step("sign_for", "鲁0602", SUBMITTED + timedelta(hours=1)),
        Step("complete", "鲁0602", SUBMITTED + timedelta(hours=30)),
    ]
    done = _total(facts_of(MATTER, steps, [], [], cal, SUBMITTED + timedelta(days=3)), "completion")
    assert (done.completions, done.network_completions, done.result_seconds, done.network_seconds) == (
        1,
        0,
        30 * 3600,
        0,
    )
    figures = NetworkFigures.of("鲁0602", "vehicle", done + done)
    assert (figures.completed, figures.by_network, figures.network_hours, figures.manual_hours) == (2, 0, None, 30.0)


def test_a_hand_back_counts_each_failed_query_by_cause_on_its_day_at_the_assisting_court(
    cal: WorkingCalendar,
) -> None:
    back = datetime(2026, 3, 3, 23, 30, tzinfo=SHANGHAI)
    hand_backs = [
        HandBack(back, ("timeout", "timeout", "error")),
        HandBack(back + timedelta(days=2)),  # nothing failed outright: the answers needed a clerk
        HandBack(back + timedelta(days=2), ("a_code_not_known",)),  # counted as the registry's error
    ]
    facts = [f for f in facts_of(MATTER, [], [], [], cal, back + timedelta(days=5), hand_backs) if f.kind == "handback"]
    assert [(f.day, f.court) for f in facts] == [
        (date(2026, 3, 3), "鲁0602"),
        (date(2026, 3, 5), "鲁0602"),
        (date(2026, 3, 5), "鲁0602"),
    ]
    total = sum((f.measures for f in facts), Measures())
    assert failures_by_cause(total) == {"timeout": 2, "error": 2, "not_answered": 1}
    assert (total.completions, total.answers) == (0, 0)  # a hand-back is no answer and no completion
