"""On-site assistance (异地执行协助) is done on the agreed date: its result is recorded and the matter completed
from that day on, never before (pure rule). A review in the browser recorded a 现场执行已完成 on 12-08 for an
eviction agreed for 12-12, and the 办理 clock read 起算 12-12, 已结束 12-08."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from courts.calendar import WorkingCalendar
from courts.registry import CourtRegistry
from delegation.catalogue.policy import PolicyBook, load_shipped_policies
from delegation.core.access import Actor, UserRole
from delegation.core.clocks import SHANGHAI
from delegation.core.errors import ValidationFailed
from delegation.core.reference import Reference
from delegation.handling import commands as c
from delegation.handling.rules import Facts, complete, record_result
from delegation.store.tables import DelegationRow, DocumentRow

CLERK = Actor("zhifu-clerk", "鲁0602", frozenset({UserRole.ASSISTING_CLERK}))
AGREED = date(2026, 3, 13)
RESULT = c.RecordResult(results=(c.AssetResult(asset="芝罘区南大街100号3单元501室", outcome="done"),))


@pytest.fixture(scope="module")
def ref() -> Reference:
    return Reference(CourtRegistry.shipped(), WorkingCalendar.shipped(), PolicyBook(load_shipped_policies()))


def _facts(ref: Reference, now: datetime) -> Facts:
    row = DelegationRow(
        id=1,
        number="JD2026-0000001",
        case_number="（2026）鲁0202执1号",
        requesting_court="鲁0202",
        assisting_court="鲁0602",
        matter_type="forced_eviction",
        mechanism="onsite_assistance",
        policy_version=ref.policies.in_force(now).version,
        created_by="shinan-officer",
        status="scheduled",
        scheduled_date=AGREED,
    )
    receipt = DocumentRow(
        delegation_id=1,
        kind="receipt",
        filename="回执.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        storage_key="k",
        uploaded_by="zhifu-clerk",
        uploaded_court="鲁0602",
        uploaded_at=now,
    )
    policy = ref.policies.get(row.policy_version)
    return Facts(ref=ref, actor=CLERK, now=now, row=row, policy=policy, documents=[receipt])


def test_no_result_and_no_completion_before_the_agreed_on_site_date(ref: Reference) -> None:
    the_day_before = _facts(ref, datetime(2026, 3, 12, 23, 59, tzinfo=SHANGHAI))
    for rule, command in ((record_result, RESULT), (complete, c.Plain())):
        with pytest.raises(ValidationFailed) as refused:
            rule(the_day_before, command)
        [error] = refused.value.errors
        assert error.field == "scheduled_date"
        assert error.message_zh.startswith("约定执行日期（2026年3月13日）尚未到来")
        assert "请先将约定执行日期改为实际执行的日期" in error.message_zh


def test_on_and_after_the_agreed_date_the_result_is_recorded_and_the_matter_completed(ref: Reference) -> None:
    for now in (datetime(2026, 3, 13, 0, 0, tzinfo=SHANGHAI), datetime(2026, 3, 16, 9, tzinfo=SHANGHAI)):
        facts = _facts(ref, now)
        assert record_result(facts, RESULT).new_rows
        complete(facts, c.Plain())
