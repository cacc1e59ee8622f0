"""The dashboard's maintained counters (migration 0014's triggers, store.counts) on SQLite and PostgreSQL:
they follow every transition in its own transaction, the sweep's fold changes no count, and the nightly
reconciliation finds them equal to the rows, or rebuilds them."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.reading import dashboard as dashboard_service
from delegation.reading import worklists as worklist_service
from delegation.refdata.service import load_reference
from delegation.store import counts as counters
from delegation.store.tables import ClockRow, DueCountDeltaRow, DueCountRow, StatusCountDeltaRow, StatusCountRow
from tests.sla_support import CLERK, OFFICER, REGIONAL, YANTAI_CENTER, add_users, at, count, filed
from tests.support import act, vehicle_inquiry_draft

COURTS = ["鲁0202", "鲁0602"]


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    await add_users(session)
    return await load_reference(session)


async def matrix(session: AsyncSession, ref: Reference, now: datetime) -> dict[str, tuple[dict[str, int], int, int]]:
    """Per court: the non-zero open statuses, overdue, due soon (as the dashboard shows them)."""
    until = dashboard_service.soon_until(ref, now)
    counted = await dashboard_service.court_counts(session, COURTS, now, until)
    return {court: ({s: n for s, n in c.by_status.items() if n}, c.overdue, c.due_soon) for court, c in counted.items()}


async def agrees(session: AsyncSession) -> None:
    found = await dashboard_service.reconcile_counters(session, repair=False)
    assert (found.status_differences, found.due_differences) == (0, 0), found.examples
    await session.rollback()


async def test_the_counters_follow_each_transition_and_the_lateness_moves_with_time(
    session: AsyncSession, ref: Reference
) -> None:
    first = await filed(session, ref, at("2026-03-02"), n=1)  # sign for by the end of 03-04
    second = await filed(session, ref, at("2026-03-02"), n=2)
    third = await filed(session, ref, at("2026-03-02"), draft=vehicle_inquiry_draft(case_number="（2026）鲁0202执3号"))
    assert await matrix(session, ref, at("2026-03-04")) == {
        "鲁0202": ({}, 0, 0),
        "鲁0602": ({"submitted": 3}, 0, 3),
    }
    # Nothing changes in the rows, yet the same clocks are overdue two days later.
    assert await matrix(session, ref, at("2026-03-05")) == {"鲁0202": ({}, 0, 0), "鲁0602": ({"submitted": 3}, 3, 0)}

    await act(session, ref, CLERK, at("2026-03-03"), first.id or 0, Action.SIGN_FOR, first.version)
    await act(
        session,
        ref,
        CLERK,
        at("2026-03-03"),
        second.id or 0,
        Action.RETURN_FOR_CORRECTION,
        second.version,
        **dict(reason_code="missing_documents", comment="缺少裁定书"),
    )
    await act(
        session, ref, OFFICER, at("2026-03-03"), third.id or 0, Action.WITHDRAW, third.version, comment="当事人已和解"
    )
    # Accepted (execution, 7 working days) with 芝罘区; returned: the requesting court corrects (its clock
    # running, the paused sign-for clock counted nowhere); withdrawn: no longer open.
    now = at("2026-03-03", "11:00")
    assert await matrix(session, ref, now) == {
        "鲁0202": ({"returned": 1}, 0, 0),
        "鲁0602": ({"accepted": 1}, 0, 0),
    }
    assert await worklist_service.waiting_counts(session, CLERK) == {"sign_for": 0, "correct": 0, "do": 1, "confirm": 0}
    assert await worklist_service.waiting_counts(session, OFFICER) == {
        "sign_for": 0,
        "correct": 1,
        "do": 0,
        "confirm": 0,
    }
    board = await dashboard_service.dashboard(session, ref, YANTAI_CENTER, now)
    assert board.totals.by_status["accepted"] == 1 and board.totals.open == 1
    # The coordinator's five cities: every court's rows read, the wanted ones kept (counts.FEW_COURTS).
    regional = await dashboard_service.dashboard(session, ref, REGIONAL, at("2026-03-20"))
    assert len(dashboard_service.covered_courts(ref, REGIONAL)) > counters.FEW_COURTS
    assert (regional.totals.by_status["accepted"], regional.totals.by_status["returned"]) == (1, 1)
    clocks = [c for c in await session.exec(select(ClockRow)) if c.closed_at is None and not c.paused and c.due_at]
    late = sum(c.due_at <= at("2026-03-20") for c in clocks if c.due_at)
    assert regional.totals.open == 2 and regional.totals.overdue == late > 0  # as the rows say, on 03-20
    await agrees(session)


async def test_the_fold_keeps_every_count_and_empties_the_deltas(session: AsyncSession, ref: Reference) -> None:
    for n in range(1, 4):
        await filed(session, ref, at("2026-03-02"), n=n)
    before = await matrix(session, ref, at("2026-03-04"))
    assert await count(session, StatusCountDeltaRow) == 3 and await count(session, DueCountDeltaRow) == 3
    assert await dashboard_service.compact_counters(session) == 6
    assert await count(session, StatusCountDeltaRow) == 0 and await count(session, DueCountDeltaRow) == 0
    assert await count(session, StatusCountRow) == 1 and await count(session, DueCountRow) == 1  # one due day
    assert await matrix(session, ref, at("2026-03-04")) == before
    assert await dashboard_service.compact_counters(session) == 0  # nothing appended since
    await agrees(session)


async def test_the_reconciliation_reports_and_rebuilds_counters_that_drifted(
    session: AsyncSession, ref: Reference
) -> None:
    row = await filed(session, ref, at("2026-03-02"))
    ident, version = row.id or 0, row.version
    await dashboard_service.compact_counters(session)
    await agrees(session)
    # A lost delta and a stray one (what a restored backup or a hand edit could leave).
    await session.exec(text("DELETE FROM due_count"))  # type: ignore[call-overload]
    await session.exec(  # type: ignore[call-overload]
        text("INSERT INTO status_count_delta (court, status, delta) VALUES ('鲁0602', 'in_progress', 1)")
    )
    await session.commit()
    found = await dashboard_service.reconcile_counters(session)
    await session.commit()
    assert found.repaired and (found.status_differences, found.due_differences) == (1, 1)
    assert any("鲁0602 in_progress: counted 1, rows 0" in e for e in found.examples)
    await agrees(session)
    assert await matrix(session, ref, at("2026-03-05")) == {"鲁0202": ({}, 0, 0), "鲁0602": ({"submitted": 1}, 1, 0)}
    # The triggers go on counting from the rebuilt counts.
    await act(session, ref, CLERK, at("2026-03-03"), ident, Action.SIGN_FOR, version)
    assert (await counters.status_counts(session, COURTS)) == {("鲁0602", "accepted"): 1}
    await agrees(session)
