"""The service layer on SQLite and PostgreSQL: each action is one transaction with its event and clocks."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest
from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, UserRole
from delegation.core.clocks import SHANGHAI
from delegation.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Action, Status
from delegation.handling import service
from delegation.handling.commands import AssetResult
from delegation.handling.service import DraftInput
from delegation.reading import delegations as query_service
from delegation.refdata.service import load_reference
from delegation.store.tables import ClockRow, DelegationRow, EventRow
from tests.support import ALL_DOCUMENTS, act, eviction_draft, file_draft, vehicle_inquiry_draft

OFFICER = Actor("shinan-officer", "鲁0202", frozenset({UserRole.REQUESTING_OFFICER}))
CLERK = Actor("zhifu-clerk", "鲁0602", frozenset({UserRole.ASSISTING_CLERK}))
OTHER_CLERK = Actor("kuiwen-clerk", "鲁0705", frozenset({UserRole.ASSISTING_CLERK}))
YANTAI_CENTER = Actor("yantai-center", "鲁06", frozenset({UserRole.COMMAND_CENTER}))
WEIFANG_CENTER = Actor("weifang-center", "鲁07", frozenset({UserRole.COMMAND_CENTER}))


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    return await load_reference(session)


async def attach(
    session: AsyncSession, ref: Reference, actor: Actor, row: DelegationRow, kinds: list[str], now: datetime
) -> None:
    for kind in kinds:
        await service.record_document(
            session,
            ref,
            actor,
            now,
            row.id or 0,
            kind=kind,
            filename=f"{kind}.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            storage_key=f"test/{kind}",
        )


async def filed(session: AsyncSession, ref: Reference, draft: DraftInput, now: datetime) -> DelegationRow:
    row = await file_draft(session, ref, OFFICER, now, draft)
    await attach(session, ref, OFFICER, row, ALL_DOCUMENTS, now)
    return await act(session, ref, OFFICER, now, row.id or 0, Action.SUBMIT, row.version)


async def events(session: AsyncSession, row: DelegationRow) -> list[EventRow]:
    return list(await session.exec(select(EventRow).where(EventRow.delegation_id == row.id).order_by(col(EventRow.id))))


async def open_clocks(session: AsyncSession, row: DelegationRow) -> list[ClockRow]:
    stmt = select(ClockRow).where(ClockRow.delegation_id == row.id, col(ClockRow.closed_at).is_(None))
    return list(await session.exec(stmt))


async def test_a_matter_delegation_runs_from_draft_to_confirmation(session: AsyncSession, ref: Reference) -> None:
    row = await filed(session, ref, vehicle_inquiry_draft(), at("2026-02-13", "16:00"))
    assert row.status == Status.SUBMITTED and row.number.startswith("JD2026-")
    [sign_for] = await open_clocks(session, row)
    assert sign_for.stage == "sign_for" and sign_for.court_code == "鲁0602"
    assert sign_for.due_at == at("2026-02-25", "00:00")  # 02-14 make-up workday, then the Spring Festival
    assert sign_for.next_rung == "due_soon" and sign_for.next_rung_at == at("2026-02-14", "08:30")

    row = await act(session, ref, CLERK, at("2026-02-24"), row.id or 0, Action.SIGN_FOR, row.version)
    [execution] = await open_clocks(session, row)
    assert execution.stage == "execution" and execution.due_at == at("2026-03-05", "00:00")  # 7 wd, 02-28 a make-up day
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-02-24"),
        row.id or 0,
        Action.ASSIGN_HANDLER,
        row.version,
        **dict(handler="王法官"),
    )
    assert row.status == Status.IN_PROGRESS and row.handler == "王法官"
    results = (AssetResult("鲁B12345", "done", "已查询"), AssetResult("鲁B67890", "not_found"))
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-02-26"),
        row.id or 0,
        Action.RECORD_RESULT,
        row.version,
        **dict(results=results),
    )
    with pytest.raises(ValidationFailed) as missing_receipt:
        await act(session, ref, CLERK, at("2026-02-26"), row.id or 0, Action.COMPLETE, row.version)
    assert missing_receipt.value.errors[0].field == "documents"
    await attach(session, ref, CLERK, row, ["receipt"], at("2026-02-26"))
    row = await act(session, ref, CLERK, at("2026-02-26"), row.id or 0, Action.COMPLETE, row.version)
    [confirmation] = await open_clocks(session, row)
    assert confirmation.stage == "confirmation" and confirmation.court_code == "鲁0202"
    row = await act(session, ref, OFFICER, at("2026-02-27"), row.id or 0, Action.CONFIRM, row.version)
    assert row.status == Status.CONFIRMED
    assert await open_clocks(session, row) == []
    history = [(e.action, e.from_status, e.to_status) for e in await events(session, row) if e.kind == "transition"]
    assert history == [
        ("create", None, "draft"),
        ("submit", "draft", "submitted"),
        ("sign_for", "submitted", "accepted"),
        ("assign_handler", "accepted", "in_progress"),
        ("record_result", "in_progress", "in_progress"),
        ("complete", "in_progress", "completed"),
        ("confirm", "completed", "confirmed"),
    ]


async def test_an_onsite_eviction_is_planned_scheduled_and_reported(session: AsyncSession, ref: Reference) -> None:
    row = await filed(session, ref, eviction_draft(), at("2026-03-02"))
    row = await act(session, ref, CLERK, at("2026-03-03"), row.id or 0, Action.SIGN_FOR, row.version)
    [plan] = await open_clocks(session, row)
    assert plan.stage == "plan" and plan.due_at == at("2026-03-07", "00:00")  # 3 working days
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-03-03"),
        row.id or 0,
        Action.ASSIGN_HANDLER,
        row.version,
        **dict(handler="李法官"),
    )
    with pytest.raises(ValidationFailed):
        await act(
            session,
            ref,
            CLERK,
            at("2026-03-04"),
            row.id or 0,
            Action.SCHEDULE,
            row.version,
            **dict(scheduled_date=date(2026, 3, 1)),
        )
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-03-04"),
        row.id or 0,
        Action.SCHEDULE,
        row.version,
        **dict(scheduled_date=date(2026, 3, 13)),
    )
    [execution] = await open_clocks(session, row)
    assert row.status == Status.SCHEDULED and execution.due_at == at("2026-03-18", "00:00")  # 2 wd after 03-13
    with pytest.raises(TransitionNotAllowed) as wrong:  # the clerk's own action, not in this state
        await act(session, ref, CLERK, at("2026-03-13"), row.id or 0, Action.SIGN_FOR, row.version)
    assert "complete" in wrong.value.allowed
    with pytest.raises(PermissionDenied):  # the requesting court's action: authorize() refuses it first
        await act(session, ref, CLERK, at("2026-03-13"), row.id or 0, Action.CONFIRM, row.version)


async def test_return_pauses_the_sign_for_clock_and_resubmission_resumes_it(
    session: AsyncSession, ref: Reference
) -> None:
    row = await filed(session, ref, vehicle_inquiry_draft(), at("2026-03-02"))
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-03-03"),
        row.id or 0,
        Action.RETURN_FOR_CORRECTION,
        row.version,
        **dict(reason_code="missing_documents", comment="缺少裁定书"),
    )
    clocks_now = {c.stage: c for c in (await open_clocks(session, row))}
    assert clocks_now["sign_for"].paused and clocks_now["sign_for"].due_at is None
    assert clocks_now["correction"].court_code == "鲁0202"
    row = await act(session, ref, OFFICER, at("2026-03-10"), row.id or 0, Action.RESUBMIT, row.version)
    [sign_for] = await open_clocks(session, row)
    assert not sign_for.paused and sign_for.due_at == at("2026-03-12", "00:00")  # 1 day was used before the stop


async def test_bad_input_is_refused_whole_and_nothing_is_written(session: AsyncSession, ref: Reference) -> None:
    draft = vehicle_inquiry_draft(case_number="（2025）鲁0602执1号", assisting_court="鲁0202")
    with pytest.raises(ValidationFailed) as caught:
        await file_draft(session, ref, OFFICER, at("2026-03-02"), draft)
    fields = {e.field for e in caught.value.errors}
    assert {"case_number", "assisting_court"} <= fields
    assert all(e.message_zh and e.message_en for e in caught.value.errors)
    count = (await session.exec(select(func.count()).select_from(DelegationRow))).one()
    assert count == 0


async def test_submit_needs_the_required_documents(session: AsyncSession, ref: Reference) -> None:
    row = await file_draft(session, ref, OFFICER, at("2026-03-02"), vehicle_inquiry_draft())
    with pytest.raises(ValidationFailed) as caught:
        await act(session, ref, OFFICER, at("2026-03-02"), row.id or 0, Action.SUBMIT, row.version)
    assert "委托函" in caught.value.errors[0].message_zh or "letter_of_delegation" in caught.value.errors[0].message_zh
    fresh = await query_service.detail(session, ref, OFFICER, at("2026-03-02"), row.id or 0)
    assert fresh.listed.row.status == Status.DRAFT and fresh.clocks == []


async def test_a_stale_version_is_a_conflict(session: AsyncSession, ref: Reference) -> None:
    row = await filed(session, ref, vehicle_inquiry_draft(), at("2026-03-02"))
    stale = row.version - 1
    with pytest.raises(Conflict):
        await act(session, ref, CLERK, at("2026-03-02"), row.id or 0, Action.SIGN_FOR, stale)


async def test_only_one_of_many_concurrent_sign_fors_wins(
    sessions: async_sessionmaker[AsyncSession], ref: Reference
) -> None:
    async with sessions() as session:
        row = await filed(session, ref, vehicle_inquiry_draft(), at("2026-03-02"))
    version, ident = row.version, row.id or 0

    async def sign() -> str:
        async with sessions() as session:
            try:
                await act(session, ref, CLERK, at("2026-03-03"), ident, Action.SIGN_FOR, version)
                return "ok"
            except (Conflict, TransitionNotAllowed):
                return "conflict"

    outcomes = await asyncio.gather(*(sign() for _ in range(8)))
    assert outcomes.count("ok") == 1
    async with sessions() as session:
        signed = [e for e in await events(session, row) if e.action == "sign_for"]
        assert len(signed) == 1


async def test_idempotency_key_returns_the_first_draft(session: AsyncSession, ref: Reference) -> None:
    first = await file_draft(session, ref, OFFICER, at("2026-03-02"), vehicle_inquiry_draft(), "key-1")
    again = await file_draft(session, ref, OFFICER, at("2026-03-02"), vehicle_inquiry_draft(), "key-1")
    assert again.id == first.id
    count = (await session.exec(select(func.count()).select_from(DelegationRow))).one()
    assert count == 1


async def test_a_retry_with_the_same_key_returns_the_first_draft_even_when_the_request_would_now_be_refused(
    session: AsyncSession, ref: Reference
) -> None:
    """An eviction agreed for 2026-03-13, filed on the 2nd and retried (the answer was lost) on the 16th, when
    that date is in the past: the retry answers as the first request did."""
    first = await file_draft(session, ref, OFFICER, at("2026-03-02"), eviction_draft(), "key-1")
    again = await file_draft(session, ref, OFFICER, at("2026-03-16"), eviction_draft(), "key-1")
    assert again.id == first.id
    with pytest.raises(ValidationFailed, match="past"):
        await file_draft(session, ref, OFFICER, at("2026-03-16"), eviction_draft(), "key-2")
    with pytest.raises(ValidationFailed, match="different request"):
        await file_draft(session, ref, OFFICER, at("2026-03-02"), eviction_draft(summary="另一请求"), "key-1")
    assert (await session.exec(select(func.count()).select_from(DelegationRow))).one() == 1


async def test_foreign_courts_cannot_see_or_act(session: AsyncSession, ref: Reference) -> None:
    row = await filed(session, ref, vehicle_inquiry_draft(), at("2026-03-02"))
    for stranger in (OTHER_CLERK, WEIFANG_CENTER):
        with pytest.raises(NotFound):
            await query_service.detail(session, ref, stranger, at("2026-03-02"), row.id or 0)
        with pytest.raises(NotFound):
            await act(session, ref, stranger, at("2026-03-02"), row.id or 0, Action.SIGN_FOR, row.version)
    detail = await query_service.detail(session, ref, YANTAI_CENTER, at("2026-03-02"), row.id or 0)
    # A command center sees it but redirects only a declined matter (the regional coordinator any).
    assert Action.REDIRECT not in detail.listed.allowed and Action.SIGN_FOR not in detail.listed.allowed


async def test_decline_then_redirect_restarts_sign_for_at_the_new_court(session: AsyncSession, ref: Reference) -> None:
    row = await filed(session, ref, vehicle_inquiry_draft(), at("2026-03-02"))
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-03-02"),
        row.id or 0,
        Action.DECLINE,
        row.version,
        **dict(comment="车辆登记地在福山区"),
    )
    [waiting] = await open_clocks(session, row)  # the command center of 烟台 has a period to redirect it
    assert (waiting.stage, waiting.court_code) == ("redirect", "鲁06")
    with pytest.raises(PermissionDenied):
        await act(
            session,
            ref,
            Actor("x", "鲁02", frozenset({UserRole.COMMAND_CENTER})),
            at("2026-03-03"),
            row.id or 0,
            Action.REDIRECT,
            row.version,
            **dict(new_court="鲁0611"),
        )
    row = await act(
        session,
        ref,
        YANTAI_CENTER,
        at("2026-03-03"),
        row.id or 0,
        Action.REDIRECT,
        row.version,
        **dict(new_court="鲁0611", comment="改由福山区法院办理"),
    )
    [sign_for] = await open_clocks(session, row)
    assert row.assisting_court == "鲁0611" and sign_for.court_code == "鲁0611"


async def test_extension_is_asked_by_the_holder_and_decided_by_its_command_center(
    session: AsyncSession, ref: Reference
) -> None:
    row = await filed(session, ref, vehicle_inquiry_draft(), at("2026-03-02"))
    row = await act(session, ref, CLERK, at("2026-03-02"), row.id or 0, Action.SIGN_FOR, row.version)
    [before] = await open_clocks(session, row)
    due_before = before.due_at
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-03-05"),
        row.id or 0,
        Action.REQUEST_EXTENSION,
        row.version,
        **dict(days=5, comment="登记机关系统升级"),
    )
    with pytest.raises(PermissionDenied):
        await act(
            session,
            ref,
            WEIFANG_CENTER.__class__("qd", "鲁02", WEIFANG_CENTER.roles),
            at("2026-03-05"),
            row.id or 0,
            Action.APPROVE_EXTENSION,
            row.version,
        )
    row = await act(
        session,
        ref,
        YANTAI_CENTER,
        at("2026-03-05"),
        row.id or 0,
        Action.APPROVE_EXTENSION,
        row.version,
        **dict(days=3, comment="同意延期3日"),
    )
    [after] = await open_clocks(session, row)
    assert due_before == at("2026-03-12", "00:00") and after.due_at == at("2026-03-17", "00:00")
    assert after.extra_days == 3


async def test_an_actor_playing_three_parts_is_recorded_whole(session: AsyncSession, ref: Reference) -> None:
    everything = Actor(
        "yantai-all",
        "鲁06",
        frozenset({UserRole.ASSISTING_CLERK, UserRole.COMMAND_CENTER, UserRole.REGIONAL_COORDINATOR}),
    )
    row = await filed(session, ref, vehicle_inquiry_draft(assisting_court="鲁06"), at("2026-03-02"))
    row = await act(session, ref, everything, at("2026-03-02"), row.id or 0, Action.SIGN_FOR, row.version)
    [signed] = [e for e in await events(session, row) if e.action == "sign_for"]
    assert signed.actor_role == "assisting,command_center,regional"
