"""Periods on the write path as the law counts them, on SQLite and PostgreSQL: service from receipt, the
correction period of 30 days with more time granted by the assisting court, extensions in their own unit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courts.calendar import WorkingCalendar
from delegation.catalogue.policy import load_shipped_policies
from delegation.core.access import Actor, UserRole
from delegation.core.clocks import SHANGHAI, due_day_of
from delegation.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Action, Stage
from delegation.handling.rules import renewal_risk
from delegation.handling.service import DraftInput
from delegation.reading import dashboard as dashboard_service
from delegation.refdata.service import load_reference
from delegation.store.tables import ClockRow, DelegationRow, EventRow
from tests.integration.test_delegation_lifecycle import attach
from tests.support import PARTIES, act, file_draft, vehicle_inquiry_draft

OFFICER = Actor("shinan-officer", "鲁0202", frozenset({UserRole.REQUESTING_OFFICER}))
CLERK = Actor("zhifu-clerk", "鲁0602", frozenset({UserRole.ASSISTING_CLERK}))
YANTAI_CENTER = Actor("yantai-center", "鲁06", frozenset({UserRole.COMMAND_CENTER}))
ALL_FOUR = ["letter_of_delegation", "enforcement_ruling", "assistance_notice", "officer_credentials"]


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    return await load_reference(session)


def service_draft(**overrides: Any) -> DraftInput:
    values: dict[str, Any] = {
        "case_number": "（2026）鲁0202执400号",
        "assisting_court": "鲁0602",
        "matter_type": "document_service",
        "summary": "代为送达执行裁定书",
        "fields": {
            "recipients": [{"name": "张三", "address": "山东省烟台市芝罘区南大街100号", "phone": "13800138000"}],
            "documents": "执行裁定书一份",
        },
        "parties": PARTIES,
    }
    values.update(overrides)
    return DraftInput(**values)


async def clock(session: AsyncSession, row: DelegationRow, stage: Stage) -> ClockRow:
    stmt = select(ClockRow).where(ClockRow.delegation_id == row.id, ClockRow.stage == stage)
    found = list(await session.exec(stmt.order_by(col(ClockRow.id)).execution_options(populate_existing=True)))
    return found[-1]


async def test_service_received_on_2_march_and_signed_on_4_march_is_due_on_12_march(
    session: AsyncSession, ref: Reference
) -> None:
    row = await file_draft(session, ref, OFFICER, at("2026-03-02"), service_draft())
    await attach(session, ref, OFFICER, row, ["letter_of_delegation", "documents_to_serve"], at("2026-03-02"))
    row = await act(session, ref, OFFICER, at("2026-03-02", "11:00"), row.id or 0, Action.SUBMIT, row.version)
    row = await act(session, ref, CLERK, at("2026-03-04"), row.id or 0, Action.SIGN_FOR, row.version)
    execution = await clock(session, row, Stage.EXECUTION)
    assert execution.anchor_date == date(2026, 3, 2) and execution.unit == "calendar"
    assert execution.due_at is not None and due_day_of(execution.due_at) == date(2026, 3, 12)
    # A 10-working-day extension of this plain-day clock adds 10 working days, and the approval says so.
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-03-05"),
        row.id or 0,
        Action.REQUEST_EXTENSION,
        row.version,
        days=10,
        comment="受送达人外出",
    )
    row = await act(
        session, ref, YANTAI_CENTER, at("2026-03-05", "11:00"), row.id or 0, Action.APPROVE_EXTENSION, row.version
    )
    execution = await clock(session, row, Stage.EXECUTION)
    assert (execution.extra_days, execution.extra_working_days) == (0, 10)
    assert execution.due_at is not None and due_day_of(execution.due_at) == date(2026, 3, 26)
    approval = (
        await session.exec(
            select(EventRow).where(EventRow.delegation_id == row.id, EventRow.action == "approve_extension")
        )
    ).one()
    assert approval.data["approved_days"] == 10 and approval.data["unit"] == "working"


async def returned(session: AsyncSession, ref: Reference) -> DelegationRow:
    row = await file_draft(session, ref, OFFICER, at("2026-03-02"), vehicle_inquiry_draft())
    await attach(
        session,
        ref,
        OFFICER,
        row,
        ["letter_of_delegation", "enforcement_ruling", "assistance_notice", "officer_credentials"],
        at("2026-03-02"),
    )
    row = await act(session, ref, OFFICER, at("2026-03-02"), row.id or 0, Action.SUBMIT, row.version)
    return await act(
        session,
        ref,
        CLERK,
        at("2026-03-06"),
        row.id or 0,
        Action.RETURN_FOR_CORRECTION,
        row.version,
        reason_code="missing_documents",
        comment="协助执行通知书未加盖院印",
    )


async def test_the_requesting_court_gets_30_days_to_correct_and_the_assisting_court_may_grant_more(
    session: AsyncSession, ref: Reference
) -> None:
    row = await returned(session, ref)
    correction = await clock(session, row, Stage.CORRECTION)
    assert (correction.budget_days, correction.unit) == (30, "calendar")
    assert correction.due_at is not None and due_day_of(correction.due_at) == date(2026, 4, 7)
    row = await act(
        session,
        ref,
        OFFICER,
        at("2026-03-20"),
        row.id or 0,
        Action.REQUEST_EXTENSION,
        row.version,
        days=5,
        comment="原件需从档案室调取",
    )
    ident, version = row.id or 0, row.version
    with pytest.raises((PermissionDenied, TransitionNotAllowed)):  # not the court that asked
        await act(session, ref, OFFICER, at("2026-03-20", "11:00"), ident, Action.APPROVE_EXTENSION, version)
    await session.rollback()
    row = await act(session, ref, CLERK, at("2026-03-20", "11:00"), ident, Action.APPROVE_EXTENSION, version)
    correction = await clock(session, row, Stage.CORRECTION)
    assert correction.extra_working_days == 5
    assert correction.due_at is not None and due_day_of(correction.due_at) == date(2026, 4, 14)


async def test_cannot_be_done_is_no_reason_to_return(session: AsyncSession, ref: Reference) -> None:
    row = await file_draft(session, ref, OFFICER, at("2026-03-02"), vehicle_inquiry_draft())
    await attach(
        session,
        ref,
        OFFICER,
        row,
        ["letter_of_delegation", "enforcement_ruling", "assistance_notice", "officer_credentials"],
        at("2026-03-02"),
    )
    row = await act(session, ref, OFFICER, at("2026-03-02"), row.id or 0, Action.SUBMIT, row.version)
    with pytest.raises(ValidationFailed) as refused:
        await act(
            session,
            ref,
            CLERK,
            at("2026-03-03"),
            row.id or 0,
            Action.RETURN_FOR_CORRECTION,
            row.version,
            reason_code="not_executable",
            comment="无法办理",
        )
    assert refused.value.errors[0].field == "reason_code"
    await session.rollback()


async def reload(session: AsyncSession, ident: int) -> DelegationRow:
    found = await session.get(DelegationRow, ident)
    assert found is not None
    return found


def renewal_draft(expires_on: str) -> DraftInput:
    return DraftInput(
        case_number="（2026）鲁0202执500号",
        assisting_court="鲁0602",
        matter_type="equity_freeze_renewal",
        summary="续行冻结被执行人持有的股权",
        fields={
            "holdings": [
                {
                    "company_name": "烟台某某实业有限公司",
                    "company_uscc": "91350100M000100Y43",
                    "amount": "500000",
                    "expires_on": expires_on,
                },
                {
                    "company_name": "烟台某某贸易有限公司",
                    "company_uscc": "91350100M000100Y43",
                    "amount": "100000",
                    "expires_on": "2026-12-31",
                },
            ],
            "period_months": 36,
        },
        parties=PARTIES,
    )


async def test_a_renewal_is_due_before_the_freeze_lapses(session: AsyncSession, ref: Reference) -> None:
    row = await file_draft(session, ref, OFFICER, at("2026-03-02"), renewal_draft("2026-03-16"))
    await attach(session, ref, OFFICER, row, ALL_FOUR, at("2026-03-02"))
    row = await act(session, ref, OFFICER, at("2026-03-02"), row.id or 0, Action.SUBMIT, row.version)
    sign_for = await clock(session, row, Stage.SIGN_FOR)
    # Five working days before the earliest expiry (Mon 03-16) is Mon 03-09; signing by 03-04 comes first.
    assert sign_for.latest_due == date(2026, 3, 9)
    assert sign_for.due_at is not None and due_day_of(sign_for.due_at) == date(2026, 3, 4)
    row = await act(session, ref, CLERK, at("2026-03-03"), row.id or 0, Action.SIGN_FOR, row.version)
    execution = await clock(session, row, Stage.EXECUTION)
    # The policy's 7 working days would end on 03-12, after the last day to renew: 03-09 wins.
    assert execution.due_at is not None and due_day_of(execution.due_at) == date(2026, 3, 9)
    board = await dashboard_service.dashboard(session, ref, YANTAI_CENTER, at("2026-03-04"))
    assert [(w.delegation.id, w.last_day) for w in board.renewals] == [(row.id, date(2026, 3, 9))]


def test_filing_a_renewal_too_late_warns() -> None:
    [policy] = load_shipped_policies()
    fields = renewal_draft("2026-03-05").fields
    risk = renewal_risk(policy, "equity_freeze_renewal", fields, date(2026, 3, 2), WorkingCalendar.shipped())
    # Five working days before Thu 03-05 counting the make-up workday Sat 02-28: Fri 02-27.
    assert risk is not None and risk.margin_gone and risk.last_day == date(2026, 2, 27)
    assert risk.expires_on == date(2026, 3, 5)
    calm = renewal_risk(
        policy, "equity_freeze_renewal", renewal_draft("2026-06-30").fields, date(2026, 3, 2), WorkingCalendar.shipped()
    )
    assert calm is not None and not calm.margin_gone
    assert renewal_risk(policy, "equity_freeze", {}, date(2026, 3, 2), WorkingCalendar.shipped()) is None


async def test_a_declined_matter_waits_on_its_command_center_and_goes_to_a_court_of_the_same_level(
    session: AsyncSession, ref: Reference
) -> None:
    row = await file_draft(session, ref, OFFICER, at("2026-03-02"), vehicle_inquiry_draft())
    await attach(session, ref, OFFICER, row, ALL_FOUR, at("2026-03-02"))
    row = await act(session, ref, OFFICER, at("2026-03-02"), row.id or 0, Action.SUBMIT, row.version)
    ident = row.id or 0
    # Only the regional coordinator redirects a matter nobody declined.
    with pytest.raises((PermissionDenied, TransitionNotAllowed)):
        await act(
            session,
            ref,
            YANTAI_CENTER,
            at("2026-03-02", "11:00"),
            ident,
            Action.REDIRECT,
            row.version,
            new_court="鲁0611",
        )
    await session.rollback()
    row = await reload(session, ident)
    row = await act(
        session, ref, CLERK, at("2026-03-03"), ident, Action.DECLINE, row.version, comment="车辆登记地不在本院辖区"
    )
    redirect = await clock(session, row, Stage.REDIRECT)
    assert redirect.court_code == "鲁06" and redirect.closed_at is None  # 烟台中院's command center holds it
    assert redirect.due_at is not None and due_day_of(redirect.due_at) == date(2026, 3, 5)
    with pytest.raises(ValidationFailed) as wrong_level:
        await act(session, ref, YANTAI_CENTER, at("2026-03-04"), ident, Action.REDIRECT, row.version, new_court="鲁06")
    assert wrong_level.value.errors[0].field == "new_court"
    await session.rollback()
    row = await reload(session, ident)
    row = await act(
        session, ref, YANTAI_CENTER, at("2026-03-04"), ident, Action.REDIRECT, row.version, new_court="鲁0611"
    )
    redirect = await clock(session, row, Stage.REDIRECT)
    assert redirect.closed_at is not None
    sign_for = await clock(session, row, Stage.SIGN_FOR)
    assert sign_for.court_code == "鲁0611" and sign_for.closed_at is None
