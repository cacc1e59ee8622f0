"""The policy's seal entries (网络查控): the longest period the law allows per kind of property, which the
registry simulator registers when a matter names none, and the 轮候 rule, each with its legal source and a
worked example."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from delegation.catalogue.policy import SealPolicy, load_shipped_policies
from delegation.core.errors import ValidationFailed
from delegation.network.model import (
    AnswerCode,
    AssetAnswer,
    AssetRequest,
    ControlAction,
    FoundItem,
    MatterRef,
    Priority,
    RegistryKind,
    result_of,
)
from jiaodong.registry_sim import decide, seal_until

POLICY = load_shipped_policies()[-1]
LAW_485 = "《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》第四百八十五条"
LAW_26 = "《最高人民法院关于人民法院民事执行中查封、扣押、冻结财产的规定》（2020年修正）第二十六条"


def seal_of(code: str) -> SealPolicy:
    seal = POLICY.matter(code).seal
    assert seal is not None, code
    return seal


@pytest.mark.parametrize(
    ("code", "months", "words"),
    [
        ("deposit_freeze", 12, "冻结被执行人的银行存款的期限不得超过一年"),
        ("deposit_freeze_renewal", 12, "冻结被执行人的银行存款的期限不得超过一年"),
        ("vehicle_seal", 24, "查封、扣押动产的期限不得超过两年"),
        ("real_estate_seal", 36, "查封不动产、冻结其他财产权的期限不得超过三年"),
        ("real_estate_seal_renewal", 36, "查封不动产、冻结其他财产权的期限不得超过三年"),
        ("equity_freeze", 36, "查封不动产、冻结其他财产权的期限不得超过三年"),
        ("equity_freeze_renewal", 36, "查封不动产、冻结其他财产权的期限不得超过三年"),
    ],
)
def test_each_seal_cites_the_legal_period_and_the_waiting_rule(code: str, months: int, words: str) -> None:
    seal = seal_of(code)
    assert seal.max_months == months
    assert seal.source.startswith(LAW_485) and words in seal.source and "续行期限不得超过该期限" in seal.source
    assert seal.waiting_source.startswith(LAW_26) and "轮候查封" in seal.waiting_source
    assert "登记在先的轮候查封、扣押、冻结即自动生效" in seal.waiting_rule
    period = POLICY.matter(code).field_map.get("period_months")
    if period is not None:  # what the filing form allows is within the law
        assert period.max_value == Decimal(months)


def test_the_matters_that_seal_nothing_carry_no_seal_entry() -> None:
    for code in ("vehicle_inquiry", "real_estate_seal_release", "deposit_deduction", "document_service"):
        assert POLICY.matter(code).seal is None


def test_worked_example_a_vehicle_sealed_on_2026_03_03_for_the_most_the_law_allows() -> None:
    # 2 years, counted from the day the registry registers it, that day included: through 2028-03-02.
    assert seal_of("vehicle_seal").until(date(2026, 3, 3)) == date(2028, 3, 2)
    assert seal_of("deposit_freeze").until(date(2026, 3, 3)) == date(2027, 3, 2)
    assert seal_of("real_estate_seal").until(date(2026, 3, 3)) == date(2029, 3, 2)
    assert seal_of("equity_freeze").until(date(2026, 3, 3)) == date(2029, 3, 2)


def test_a_period_asked_is_kept_within_the_law_and_a_missing_day_is_the_month_end() -> None:
    vehicle = seal_of("vehicle_seal")
    assert vehicle.until(date(2026, 3, 3), 6) == date(2026, 9, 2)
    assert vehicle.until(date(2026, 3, 3), 60) == date(2028, 3, 2)  # more than two years: two years
    assert vehicle.months(None) == 24 and vehicle.months(0) == 24 and vehicle.months(7) == 7
    assert seal_of("deposit_freeze").until(date(2024, 2, 29)) == date(2025, 2, 28)  # no 29 February in 2025
    assert seal_of("deposit_freeze").until(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert seal_of("deposit_freeze").until(date(2026, 12, 15), 1) == date(2027, 1, 14)


def test_a_policy_allowing_a_longer_period_than_the_law_is_refused() -> None:
    from delegation.catalogue.policy import parse_policy

    raw = POLICY.model_dump(mode="json")
    for matter in raw["matter_types"]:
        if matter["code"] == "vehicle_seal":
            matter["seal"]["max_months"] = 12
    with pytest.raises(ValidationFailed) as refused:
        parse_policy(__import__("json").dumps(raw, ensure_ascii=False))
    assert any("超过法定期限（12个月）" in e.message_zh for e in refused.value.errors)


def _request(matter_type: str, registry: RegistryKind, period: int | None) -> AssetRequest:
    return AssetRequest(
        request_id="JD2026-0000031.1.0",
        registry=registry,
        action=ControlAction.SEAL,
        matter=MatterRef(
            number="JD2026-0000031",
            case_number="（2026）鲁0202执77号",
            requesting_court="鲁0202",
            assisting_court="鲁0602",
            matter_type=matter_type,
        ),
        documents=(),
        subject={"party_type": "natural_person", "name": "张三", "id_number": "11010519491231002X"},
        asset={"plate": "鲁F12345", "brand_model": "大众帕萨特", "bank_name": "工商银行", "amount": "1000"},
        period_months=period,
    )


def test_the_simulator_registers_the_policy_period() -> None:
    today = date(2026, 3, 3)
    vehicle = decide("yantai", _request("vehicle_seal", RegistryKind.VEHICLE, None), today, "found")
    assert (vehicle.items[0].seal_from, vehicle.items[0].seal_until) == (today, date(2028, 3, 2))
    bank = decide("yantai", _request("deposit_freeze", RegistryKind.BANK, None), today, "found")
    assert bank.items[0].seal_until == date(2027, 3, 2)  # a deposit: one year, not three
    asked = decide("yantai", _request("vehicle_seal", RegistryKind.VEHICLE, 6), today, "found")
    assert asked.items[0].seal_until == date(2026, 9, 2)
    assert seal_until("vehicle_inquiry", today, None) is None


def test_worked_example_a_waiting_seizure_is_done_with_the_rule_on_its_note() -> None:
    # 鲁F12345 was sealed by another court first: the registry registers ours behind it (轮候).
    answer = AssetAnswer(
        request_id="JD2026-0000031.1.0",
        status="answered",
        code=AnswerCode.ALREADY_SEALED,
        receipt_no="YAVE4471029836",
        answered_at=datetime(2026, 3, 3, 2, 15, 9, tzinfo=UTC),
        items=(
            FoundItem(
                description="鲁F12345 大众帕萨特",
                seal_from=date(2026, 3, 3),
                seal_until=date(2028, 3, 2),
                priority=Priority.WAITING,
            ),
        ),
        message="该财产已被其他法院查封，本次为轮候查封",
    )
    rule = seal_of("vehicle_seal").waiting_rule
    outcome = result_of(ControlAction.SEAL, answer, rule)
    assert outcome.outcome == "done" and not outcome.needs_clerk
    assert outcome.note == (
        "已办理：鲁F12345 大众帕萨特，期限2026-03-03至2028-03-02，轮候（回执号YAVE4471029836）。" + rule
    )
    first = answer.model_copy(update={"code": AnswerCode.FOUND})
    assert rule not in result_of(ControlAction.SEAL, first, rule).note  # 首封: no 轮候 rule
