"""The statutory clocks of 民诉法 第二百四十条 on the write path, on SQLite and PostgreSQL: begun on receipt,
met by the first act of execution and by progress reports, never moved by an extension, ended when the
assisting court no longer holds the matter; the requesting court's remedy once the start is late."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, UserRole
from delegation.core.clocks import SHANGHAI, Duty, due_day_of
from delegation.core.errors import ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.handling.service import DraftInput
from delegation.reading import dashboard as dashboard_service
from delegation.reading import delegations as query_service
from delegation.refdata.service import load_reference
from delegation.sla import service as sla_service
from delegation.sla.statutory import BREACH_ACTION
from delegation.store.tables import DelegationRow, EventRow, OutboxRow, StatutoryClockRow
from tests.integration.test_delegation_lifecycle import attach
from tests.support import ALL_DOCUMENTS, PARTIES, act, eviction_draft, file_draft

OFFICER = Actor("shinan-officer", "鲁0202", frozenset({UserRole.REQUESTING_OFFICER}))
CLERK = Actor("zhifu-clerk", "鲁0602", frozenset({UserRole.ASSISTING_CLERK}))
YANTAI_CENTER = Actor("yantai-center", "鲁06", frozenset({UserRole.COMMAND_CENTER}))
QINGDAO_CENTER = Actor("qingdao-center", "鲁02", frozenset({UserRole.COMMAND_CENTER}))


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


def equity_freeze_draft(**overrides: Any) -> DraftInput:
    values: dict[str, Any] = {
        "case_number": "（2026）鲁0202执300号",
        "assisting_court": "鲁0602",
        "matter_type": "equity_freeze",
        "summary": "冻结被执行人持有的股权",
        "fields": {
            "holdings": [
                {"company_name": "烟台某某实业有限公司", "company_uscc": "91350100M000100Y43", "amount": "500000"}
            ],
            "period_months": 36,
        },
        "parties": PARTIES,
    }
    values.update(overrides)
    return DraftInput(**values)


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    return await load_reference(session)


async def received(session: AsyncSession, ref: Reference, now: datetime, **overrides: Any) -> DelegationRow:
    row = await file_draft(session, ref, OFFICER, now, equity_freeze_draft(**overrides))
    await attach(session, ref, OFFICER, row, ALL_DOCUMENTS[:4], now)
    return await act(session, ref, OFFICER, now, row.id or 0, Action.SUBMIT, row.version)


async def duties(session: AsyncSession, row: DelegationRow | int) -> list[StatutoryClockRow]:
    ident = row if isinstance(row, int) else row.id
    stmt = select(StatutoryClockRow).where(StatutoryClockRow.delegation_id == ident)
    stmt = stmt.order_by(col(StatutoryClockRow.id)).execution_options(populate_existing=True)
    return list(await session.exec(stmt))


async def refused(session: AsyncSession, row: DelegationRow, call: Any) -> tuple[ValidationFailed, DelegationRow]:
    """Run a call that must be refused; roll back as the API does and reload the delegation."""
    ident = row.id or 0
    with pytest.raises(ValidationFailed) as caught:
        await call
    await session.rollback()
    reloaded = await session.get(DelegationRow, ident)
    assert reloaded is not None
    return caught.value, reloaded


def by_duty(rows: list[StatutoryClockRow], duty: Duty) -> list[StatutoryClockRow]:
    return [r for r in rows if r.duty == duty]


async def test_receipt_starts_both_duties_and_extensions_do_not_move_them(
    session: AsyncSession, ref: Reference
) -> None:
    row = await received(session, ref, at("2026-02-05", "09:30"))
    start, report = await duties(session, row)
    assert (start.duty, report.duty) == (Duty.START, Duty.REPORT)
    assert due_day_of(start.due_at) == date(2026, 2, 24)
    assert due_day_of(report.due_at) == date(2026, 3, 9)
    assert start.court_code == report.court_code == "鲁0602" and "第二百四十条" in start.source
    row = await act(session, ref, CLERK, at("2026-02-06"), row.id or 0, Action.SIGN_FOR, row.version)
    # Two approved extensions of the policy clock (the example): the statutory days stay put.
    for day in ("2026-02-09", "2026-02-26"):
        row = await act(
            session,
            ref,
            CLERK,
            at(day),
            row.id or 0,
            Action.REQUEST_EXTENSION,
            row.version,
            days=10,
            comment="系统维护",
        )
        row = await act(
            session, ref, YANTAI_CENTER, at(day, "11:00"), row.id or 0, Action.APPROVE_EXTENSION, row.version
        )
    start, report = await duties(session, row)
    assert (due_day_of(start.due_at), due_day_of(report.due_at)) == (date(2026, 2, 24), date(2026, 3, 9))
    assert start.is_open and report.is_open


async def test_assigning_a_handler_starts_execution_only_with_a_first_step(
    session: AsyncSession, ref: Reference
) -> None:
    row = await received(session, ref, at("2026-02-05"))
    row = await act(session, ref, CLERK, at("2026-02-06"), row.id or 0, Action.SIGN_FOR, row.version)
    row = await act(
        session, ref, CLERK, at("2026-02-06", "11:00"), row.id or 0, Action.ASSIGN_HANDLER, row.version, handler="李四"
    )
    [start] = by_duty(await duties(session, row), Duty.START)
    assert start.is_open
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-02-10"),
        row.id or 0,
        Action.ASSIGN_HANDLER,
        row.version,
        handler="李四",
        first_step="已向市场监督管理局送达协助执行通知书",
    )
    [start] = by_duty(await duties(session, row), Duty.START)
    assert not start.is_open and start.met_by == Action.ASSIGN_HANDLER and start.met_at == at("2026-02-10")


async def test_a_progress_report_meets_the_30_day_duty_and_the_next_runs_30_days_from_it(
    session: AsyncSession, ref: Reference
) -> None:
    row = await received(session, ref, at("2026-02-05"))
    row = await act(session, ref, CLERK, at("2026-02-06"), row.id or 0, Action.SIGN_FOR, row.version)
    error, row = await refused(
        session, row, act(session, ref, CLERK, at("2026-03-05"), row.id or 0, Action.REPORT_PROGRESS, row.version)
    )
    assert error.errors[0].field == "comment"
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-03-05"),
        row.id or 0,
        Action.REPORT_PROGRESS,
        row.version,
        comment="已向登记机关送达协助执行通知书，待其办理公示，预计三月二十日前办结",
    )
    first, second = by_duty(await duties(session, row), Duty.REPORT)
    assert first.met_by == Action.REPORT_PROGRESS and not first.is_open
    assert second.is_open and second.seq == 2 and second.counted_from == date(2026, 3, 5)
    assert due_day_of(second.due_at) == date(2026, 4, 7)  # 04-04 falls in the Qingming holiday (04-04..06)
    row = await act(
        session, ref, CLERK, at("2026-03-09"), row.id or 0, Action.ASSIGN_HANDLER, row.version, handler="李四"
    )
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-03-10"),
        row.id or 0,
        Action.RECORD_RESULT,
        row.version,
        results=[{"asset": "烟台某某实业有限公司", "outcome": "done"}],  # the holding: its company as filed
    )
    rows = await duties(session, row)
    assert not any(r.is_open for r in by_duty(rows, Duty.START))
    assert any(r.is_open for r in by_duty(rows, Duty.REPORT))  # results recorded, not yet reported back


async def test_a_return_ends_the_duties_and_the_corrected_letter_starts_them_again(
    session: AsyncSession, ref: Reference
) -> None:
    row = await received(session, ref, at("2026-02-05"))
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-02-06"),
        row.id or 0,
        Action.RETURN_FOR_CORRECTION,
        row.version,
        reason_code="missing_documents",
        comment="缺少协助执行通知书原件",
    )
    assert not any(r.is_open for r in await duties(session, row))
    row = await act(session, ref, OFFICER, at("2026-02-10"), row.id or 0, Action.RESUBMIT, row.version)
    open_rows = [r for r in await duties(session, row) if r.is_open]
    assert {r.counted_from for r in open_rows} == {date(2026, 2, 10)}
    assert sorted(r.duty for r in open_rows) == [Duty.REPORT, Duty.START]


async def test_the_requesting_court_asks_the_superior_court_once_the_start_is_late(
    session: AsyncSession, ref: Reference
) -> None:
    row = await received(session, ref, at("2026-02-05"))
    row = await act(session, ref, CLERK, at("2026-02-06"), row.id or 0, Action.SIGN_FOR, row.version)
    early = act(
        session, ref, OFFICER, at("2026-02-24", "17:00"), row.id or 0, Action.REQUEST_SUPERIOR_ORDER, row.version
    )
    error, row = await refused(session, row, early)
    assert "十五日" in error.errors[0].message_zh
    row = await act(
        session, ref, OFFICER, at("2026-02-25", "09:00"), row.id or 0, Action.REQUEST_SUPERIOR_ORDER, row.version
    )
    [start] = by_duty(await duties(session, row), Duty.START)
    assert start.remedy_requested_at == at("2026-02-25", "09:00") and start.is_open
    event = (
        await session.exec(
            select(EventRow).where(EventRow.delegation_id == row.id, EventRow.action == Action.REQUEST_SUPERIOR_ORDER)
        )
    ).one()
    assert event.data["superior_court"] == "鲁06"  # 芝罘区人民法院's superior: 烟台市中级人民法院
    outbox = list(await session.exec(select(OutboxRow).where(OutboxRow.delegation_id == row.id)))
    assert any("鲁06" in str(o.payload) for o in outbox)
    again = act(session, ref, OFFICER, at("2026-02-26"), row.id or 0, Action.REQUEST_SUPERIOR_ORDER, row.version)
    error, row = await refused(session, row, again)  # once per late start
    assert "已就本次逾期" in error.errors[0].message_zh


async def test_matters_outside_the_article_get_no_statutory_clock(session: AsyncSession, ref: Reference) -> None:
    row = await file_draft(session, ref, OFFICER, at("2026-02-05"), eviction_draft())
    await attach(session, ref, OFFICER, row, ALL_DOCUMENTS, at("2026-02-05"))
    row = await act(session, ref, OFFICER, at("2026-02-05"), row.id or 0, Action.SUBMIT, row.version)
    assert await duties(session, row) == []


async def test_the_sweep_records_each_breach_once_and_tells_both_courts(session: AsyncSession, ref: Reference) -> None:
    row = await received(session, ref, at("2026-02-05"))
    ident = row.id or 0
    row = await act(session, ref, CLERK, at("2026-02-06"), ident, Action.SIGN_FOR, row.version)
    await session.commit()
    assert (await sla_service.sweep(session, ref, at("2026-02-24", "17:00"))).statutory_breaches == 0
    first = await sla_service.sweep(session, ref, at("2026-02-25", "08:30"))
    assert first.statutory_breaches == 1  # the start duty; the report duty runs to 03-09
    again = await sla_service.sweep(session, ref, at("2026-02-25", "09:00"))
    assert again.statutory_breaches == 0
    [event] = list(
        await session.exec(select(EventRow).where(EventRow.delegation_id == ident, EventRow.action == BREACH_ACTION))
    )
    assert event.kind == "clock" and event.data["duty"] == "start"
    assert all(part in event.comment for part in ("烟台市芝罘区人民法院", "2026年2月24日", "上级人民法院"))
    payloads = [o.payload for o in await session.exec(select(OutboxRow).where(OutboxRow.delegation_id == ident))]
    assert any(p.get("event") == f"jiaodong.delegation.{BREACH_ACTION}" for p in payloads)
    assert (await sla_service.sweep(session, ref, at("2026-03-10", "08:30"))).statutory_breaches == 1  # the report
    # The page and the lists show it as 法定期限, apart from the policy clocks.
    detail = await query_service.detail(session, ref, OFFICER, at("2026-03-10"), ident)
    assert detail.listed.statutory_breach
    assert [(v.clock.duty, v.breached) for v in detail.statutory] == [(Duty.START, True), (Duty.REPORT, True)]
    page = await query_service.list_delegations(
        session, ref, OFFICER, at("2026-03-10"), query_service.DelegationQuery(box="outbox")
    )
    assert [item.statutory_breach for item in page.items] == [True]
    # An action's answer (its open clocks and the breach in one query) says what the list says.
    answer = await query_service.listed(session, ref, OFFICER, at("2026-03-10"), row)
    assert answer.statutory_breach and answer.clock is not None and answer.clock == page.items[0].clock
    earlier = await query_service.listed(session, ref, OFFICER, at("2026-02-24"), row)
    assert not earlier.statutory_breach and earlier.clock is not None
    board = await dashboard_service.dashboard(session, ref, YANTAI_CENTER, at("2026-03-10"))
    assert board.statutory_total == 1 and [w.duty.duty for w in board.statutory] == ["start", "report"]


async def test_a_new_holiday_schedule_moves_the_statutory_due_day(session: AsyncSession, ref: Reference) -> None:
    row = await received(session, ref, at("2026-02-05"))
    ident = row.id or 0
    [start, _report] = await duties(session, ident)
    await session.commit()
    # Pretend the period had been stored a day early (as under an older schedule): the recompute repairs it.
    start.due_at = at("2026-02-24", "00:00")
    session.add(start)
    await session.commit()
    result = await sla_service.recompute_deadlines(session, ref, at("2026-02-06"), reason="测试")
    assert result.statutory_moved == 1
    [start, _report] = await duties(session, ident)
    assert due_day_of(start.due_at) == date(2026, 2, 24)
