"""The monthly report's metrics and workbook, and recomputing deadlines after a policy change."""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.notices import service as notice_service
from delegation.refdata.service import load_reference, store_policy
from delegation.reports import service as report_service
from delegation.sla import service as sla_service
from delegation.store.tables import ClockRow, DelegationRow, DocumentRow, EventRow, JobRunRow
from tests.sla_support import CLERK, YANTAI_CENTER, add_users, at, count, filed
from tests.support import act


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    await add_users(session)
    return await load_reference(session)


async def _act(
    session: AsyncSession, ref: Reference, row: DelegationRow, action: Action, moment: str, **data: object
) -> DelegationRow:
    fresh = await session.get(DelegationRow, row.id)
    assert fresh is not None
    return await act(
        session,
        ref,
        CLERK,
        at(*moment.split()),
        row.id or 0,
        action,
        fresh.version,
        **data,
    )


async def _complete(
    session: AsyncSession, ref: Reference, row: DelegationRow, signed: str, done: str, meanwhile: object = None
) -> None:
    await _act(session, ref, row, Action.SIGN_FOR, signed)
    await _act(session, ref, row, Action.ASSIGN_HANDLER, signed, handler="王法官")
    session.add(
        DocumentRow(
            delegation_id=row.id or 0,
            kind="receipt",
            filename="回执.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
            storage_key="r",
            uploaded_by="zhifu-clerk",
            uploaded_court="鲁0602",
            uploaded_at=at(*done.split()),
        )
    )
    await session.commit()
    if meanwhile is not None:
        await meanwhile  # type: ignore[misc]
    await _act(session, ref, row, Action.COMPLETE, done)


async def test_the_monthly_report_measures_each_court_and_is_kept_as_a_workbook(
    session: AsyncSession, ref: Reference, tmp_path: Path
) -> None:
    on_time = await filed(session, ref, at("2026-03-02"), n=1)
    await _complete(session, ref, on_time, "2026-03-03 10:00", "2026-03-10 10:00")
    returned = await filed(session, ref, at("2026-03-02"), n=2)
    await _act(
        session,
        ref,
        returned,
        Action.RETURN_FOR_CORRECTION,
        "2026-03-06 10:00",
        reason_code="missing_documents",
        comment="缺少执行裁定书",
    )
    late = await filed(session, ref, at("2026-03-02"), n=3)

    async def supervise() -> None:
        notice = await notice_service.issue_notice(
            session, ref, YANTAI_CENTER, at("2026-03-20", "09:00"), late.id or 0, "supervise"
        )
        await notice_service.acknowledge_notice(session, ref, CLERK, at("2026-03-20", "11:00"), notice.id or 0, "收到")

    await _complete(session, ref, late, "2026-03-06 10:00", "2026-03-25 10:00", supervise())
    saved: dict[str, bytes] = {}

    async def save(name: str, data: bytes) -> str:
        saved[name] = data
        (tmp_path / name).write_bytes(data)
        return str(tmp_path / name)

    not_yet = await report_service.monthly_report(session, ref, at("2026-03-31", "07:00"), save)
    assert not not_yet.ran  # not the first working day of a month
    result = await report_service.monthly_report(session, ref, at("2026-04-01", "07:00"), save)
    assert result.ran and result.period == "2026-03" and result.path == str(tmp_path / "monthly-report-2026-03.xlsx")
    again = await report_service.monthly_report(session, ref, at("2026-04-01", "08:00"), save)
    assert not again.ran and len(saved) == 1
    [run] = list(await session.exec(select(JobRunRow)))
    assert run.job == "monthly_report" and run.period == "2026-03" and run.summary["supervisions"] == 1

    report = await report_service.build_report(session, ref, 2026, 3)
    lines = {line.key: line for line in report.courts}
    zhifu = lines[("鲁0602",)]
    assert (zhifu.answers, zhifu.answers_on_time, zhifu.returns) == (3, 1, 1)
    assert (zhifu.completions, zhifu.completions_on_time) == (2, 1)
    # From sign-for: (03-03, 03-10] is 5 working days, (03-06, 03-25] is 13.
    assert zhifu.mean_working_days == (5 + 13) / 2
    # Per matter: the returned one (sign-for late), the late one (sign-for and execution late: once).
    assert zhifu.overdue == 2 and zhifu.supervisions == 1 and zhifu.mean_ack_hours == 2.0
    # A confirmation left waiting; the correction (returned 03-06) has thirty days, to 04-07, so is not late yet.
    assert lines[("鲁0202",)].overdue == 1
    assert report.return_reasons == {("鲁0602", "missing_documents"): 1}
    # Sign-for late by (03-04, 03-06] twice, execution late by (03-17, 03-25]: 2 + 2 + 6.
    assert zhifu.overdue_days == 10
    # Run on 03-12 at noon, the report counts up to then: both sign-for breaches, nothing due later.
    running = {
        line.key: line
        for line in (await report_service.build_report(session, ref, 2026, 3, at("2026-03-12", "12:00"))).courts
    }
    assert (running[("鲁0602",)].overdue, running[("鲁0602",)].overdue_days) == (2, 4)
    assert running.get(("鲁0202",)) is None or running[("鲁0202",)].overdue == 0
    [pair] = [p for p in report.pairs if p.key == ("鲁0202", "鲁0602")]
    assert pair.completions == 2 and pair.supervisions == 1

    book = load_workbook(io.BytesIO(saved["monthly-report-2026-03.xlsx"]))
    assert book.sheetnames == ["按法院", "按法院对", "退回原因", "说明"]
    header = [c.value for c in book["按法院"][1]]
    row = {h: c.value for h, c in zip(header, book["按法院"][3], strict=True)}
    assert row["法院"] == "烟台市芝罘区人民法院" and row["签收及时率"] == round(1 / 3, 4) and row["按期办结率"] == 0.5
    assert book["退回原因"][2][2].value == "法律文书不全"


async def test_a_new_policy_version_moves_running_clocks_from_its_first_day_with_a_reason(
    session: AsyncSession, ref: Reference
) -> None:
    await filed(session, ref, at("2026-03-09"), n=1)  # sign for within 2 working days: by end of 03-11
    policy_file = resources.files("delegation.catalogue").joinpath("data/policy/2025-01-01.json")
    shipped = json.loads(policy_file.read_text("utf-8"))
    shipped.update(version="2026-03-10", effective_from="2026-03-10", note="签收期限改为4个工作日")
    shipped["stages"]["sign_for"]["days"] = 4
    await store_policy(session, json.dumps(shipped, ensure_ascii=False), "admin", at("2026-03-09", "11:00"))
    ref = await load_reference(session)
    assert await sla_service.run_pending_recomputes(session, ref, at("2026-03-09", "12:00")) is None  # not in force
    result = await sla_service.run_pending_recomputes(session, ref, at("2026-03-10", "00:05"))
    assert result is not None and (result.clocks, result.moved, result.adopted_policy) == (1, 1, 1)
    [clock] = list(await session.exec(select(ClockRow)))
    assert clock.budget_days == 4 and clock.policy_version == "2026-03-10" and clock.due_at == at("2026-03-14", "00:00")
    [event] = list(await session.exec(select(EventRow).where(EventRow.kind == "clock")))
    assert "2026年3月11日24时调整为2026年3月13日24时" in event.comment and "2026-03-10" in event.comment
    assert (event.data["old_budget_days"], event.data["new_budget_days"]) == (2, 4)
    assert await sla_service.run_pending_recomputes(session, ref, at("2026-03-10", "00:10")) is None
    again = await sla_service.recompute_deadlines(session, ref, at("2026-03-10", "00:15"), reason="手动核对")
    assert again.changed == 0 and await count(session, EventRow, EventRow.kind == "clock") == 1
