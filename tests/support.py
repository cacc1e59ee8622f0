"""Test data builders shared by the integration and API tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor
from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.handling.commands import decode
from delegation.handling.service import DraftInput, create_draft, perform
from delegation.store.context import Context
from delegation.store.tables import DelegationRow

# Every kind a shipped matter may require (强制腾迁 also needs its 公告, 民诉法 第二百五十七条).
ALL_DOCUMENTS = [
    "letter_of_delegation",
    "enforcement_ruling",
    "assistance_notice",
    "officer_credentials",
    "announcement",
]

PARTIES: list[dict[str, Any]] = [
    {"role": "applicant", "party_type": "legal_person", "name": "青岛海联贸易有限公司", "uscc": "91350100M000100Y43"},
    {
        "role": "debtor",
        "party_type": "natural_person",
        "name": "张三",
        "id_number": "11010519491231002X",
        "address": "山东省烟台市芝罘区南大街100号",
        "phone": "13800138000",
    },
]


def vehicle_inquiry_draft(**overrides: Any) -> DraftInput:
    values: dict[str, Any] = {
        "case_number": "（2026）鲁0202执100号",
        "assisting_court": "鲁0602",
        "matter_type": "vehicle_inquiry",
        "summary": "查询被执行人名下登记车辆",
        "fields": {"note": "请查询并反馈车辆登记信息"},
        "parties": PARTIES,
    }
    values.update(overrides)
    return DraftInput(**values)


def eviction_draft(**overrides: Any) -> DraftInput:
    values: dict[str, Any] = {
        "case_number": "（2026）鲁0202执200号",
        "assisting_court": "鲁0602",
        "matter_type": "forced_eviction",
        "summary": "强制腾迁被执行人占用的房屋",
        "fields": {
            "property_address": "山东省烟台市芝罘区南大街100号3单元501室",
            "scheduled_date": "2026-03-13",
            "officer_count": 6,
            "contact_name": "赵队长",
            "contact_phone": "13900139000",
        },
        "parties": PARTIES,
    }
    values.update(overrides)
    return DraftInput(**values)


# ---------------------------------------------------------------- the write path, as a test calls it


def context(session: AsyncSession, ref: Reference, actor: Actor, now: datetime) -> Context:
    return Context(session, ref, actor, now)


async def act(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    action: Action,
    version: int,
    **values: Any,
) -> DelegationRow:
    """perform(), its command decoded from keyword values as the API and the pages decode theirs."""
    return await perform(context(session, ref, actor, now), delegation_id, action, version, decode(action, values))


async def file_draft(
    session: AsyncSession, ref: Reference, actor: Actor, now: datetime, data: DraftInput, key: str | None = None
) -> DelegationRow:
    return (await create_draft(context(session, ref, actor, now), data, key)).row
