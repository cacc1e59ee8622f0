"""Results refer to the items of a matter's asset list (docs/matters.md), pure: `asset` names one item, by
position from 1, by the pages' name or by a value as filed; anything else is refused at results[i].asset with a
Chinese message, before anything is written; the result is stored under the item's name, never personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from api.web.views import asset_defaults
from courts.calendar import WorkingCalendar
from courts.registry import CourtRegistry
from delegation.catalogue.policy import PolicyBook, load_shipped_policies
from delegation.core.access import Actor, UserRole
from delegation.core.clocks import SHANGHAI
from delegation.core.errors import ValidationFailed
from delegation.core.reference import Reference
from delegation.handling import assets
from delegation.handling import commands as c
from delegation.handling.rules import Facts, record_result
from delegation.store.tables import DelegationRow

CLERK = Actor("zhifu-clerk", "鲁0602", frozenset({UserRole.ASSISTING_CLERK}))
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)
VEHICLES = [
    {"plate": "鲁B12345", "vin": "LSVAU2180N2183294", "brand_model": "大众帕萨特"},
    {"plate": "鲁B67890"},
]
RECIPIENTS = [
    {"name": "张伟", "address": "山东省青岛市市南区香港中路100号"},
    {"name": "刘洋", "address": "山东省烟台市芝罘区南大街88号"},
]
ACCOUNTS = [
    {"bank_name": "日照银行东港支行", "account_no": "6231000022223333444", "amount": "1000.00"},
    {"bank_name": "日照银行东港支行", "account_no": "6231000022223333555", "amount": "2000.00"},
]


@pytest.fixture(scope="module")
def ref() -> Reference:
    return Reference(CourtRegistry.shipped(), WorkingCalendar.shipped(), PolicyBook(load_shipped_policies()))


def facts(ref: Reference, matter_type: str, fields: dict[str, Any]) -> Facts:
    row = DelegationRow(
        id=1,
        number="JD2026-0000001",
        case_number="（2026）鲁0202执1号",
        requesting_court="鲁0202",
        assisting_court="鲁0602",
        matter_type=matter_type,
        mechanism="matter_delegation",
        policy_version=ref.policies.in_force(NOW).version,
        created_by="shinan-officer",
        status="in_progress",
        fields=fields,
    )
    return Facts(ref=ref, actor=CLERK, now=NOW, row=row, policy=ref.policies.get(row.policy_version))


def recorded(f: Facts, *given: str) -> list[str]:
    command = c.RecordResult(tuple(c.AssetResult(asset=a, outcome="done") for a in given))
    step = record_result(f, command)
    stored = [row.asset for row in step.new_rows if hasattr(row, "outcome")]
    assert [r["asset"] for r in step.data["results"]] == stored  # the timeline says what the table says
    return stored


def refused(f: Facts, *given: str) -> list[tuple[str, str]]:
    command = c.RecordResult(tuple(c.AssetResult(asset=a, outcome="done") for a in given))
    with pytest.raises(ValidationFailed) as caught:
        record_result(f, command)
    return [(e.field, e.message_zh) for e in caught.value.errors]


def test_a_vehicle_is_named_by_position_by_its_page_name_or_by_its_plate_and_stored_under_its_name(
    ref: Reference,
) -> None:
    f = facts(ref, "vehicle_seal", {"vehicles": VEHICLES})
    assert recorded(f, "1", "2") == ["车辆 1", "车辆 2"]
    assert recorded(f, "车辆 2", "Vehicles 1") == ["车辆 2", "车辆 1"]
    assert recorded(f, "鲁b·67890") == ["车辆 2"]  # the plate as filed, any case, width or dot
    assert recorded(f, " ２ ") == ["车辆 2"]
    assert recorded(f, "LSVAU2180N2183294") == ["车辆 1"]  # the VIN, any case
    assert "鲁B12345" not in recorded(f, "鲁B12345")  # a plate is personal data: stored by the item's name


def test_unknown_positions_and_names_are_refused_at_their_own_result_with_a_chinese_message(ref: Reference) -> None:
    f = facts(ref, "vehicle_seal", {"vehicles": VEHICLES})
    assert refused(f, "foo") == [
        ("results[0].asset", "第1项结果：“foo”不是本委托所列的车辆，请填写其序号（1至2），如“1”或“车辆 1”")
    ]
    assert [field for field, _zh in refused(f, "1", "5", "车辆 3", "0", "鲁B00000")] == [
        "results[1].asset",
        "results[2].asset",
        "results[3].asset",
        "results[4].asset",
    ]
    [(field, message)] = refused(f, "1", "车辆 1")
    assert field == "results[1].asset" and message == "第2项结果：车辆 1已在第1项结果中填写，每项车辆只填写一个结果"


def test_a_value_shared_by_two_items_does_not_choose_between_them(ref: Reference) -> None:
    f = facts(ref, "deposit_freeze", {"accounts": ACCOUNTS, "period_months": 6})
    [(field, message)] = refused(f, "日照银行东港支行")
    assert field == "results[0].asset" and "与多项账户相符" in message
    assert recorded(f, "6231000022223333555", "1") == ["账户 2（日照银行东港支行）", "账户 1（日照银行东港支行）"]
    assert refused(f, "1000.00")  # an amount names no account


def test_a_recipient_keeps_their_name_for_the_proof_of_service(ref: Reference) -> None:
    f = facts(ref, "document_service", {"recipients": RECIPIENTS, "documents": "执行裁定书一份"})
    command = c.RecordResult(
        (
            c.AssetResult(
                asset="刘洋", outcome="done", served_on=NOW.date(), service_method="direct", signed_by="刘洋"
            ),
            c.AssetResult(asset="受送达人 1（张伟）", outcome="not_found"),
        )
    )
    step = record_result(f, command)
    assert [r["asset"] for r in step.data["results"]] == ["受送达人 2（刘洋）", "受送达人 1（张伟）"]
    assert refused(f, "受送达人 1（刘洋）")  # the position and the name disagree


def test_a_matter_without_an_asset_list_says_in_words_what_was_found(ref: Reference) -> None:
    f = facts(ref, "vehicle_inquiry", {"note": "请查询车辆"})
    assert assets.asset_list(f.policy.matter("vehicle_inquiry"), f.row.fields) is None
    assert recorded(f, "鲁B12345", "被执行人名下车辆") == ["鲁B12345", "被执行人名下车辆"]


def test_the_result_form_offers_each_item_under_the_name_its_result_is_stored_by(ref: Reference) -> None:
    f = facts(ref, "document_service", {"recipients": RECIPIENTS, "documents": "执行裁定书一份"})
    offered = asset_defaults(f.policy.matter("document_service"), f.row.fields)
    assert offered == ["受送达人 1（张伟）", "受送达人 2（刘洋）"]
    command = c.RecordResult(tuple(c.AssetResult(asset=a, outcome="not_found") for a in offered))
    assert [r["asset"] for r in record_result(f, command).data["results"]] == offered  # stored as it reads
    assert asset_defaults(f.policy.matter("vehicle_inquiry"), {}) == ["车辆查询"]  # no list: the matter itself
