"""Statistics facts kept by the transitions, reconciled nightly, read per court and drilled down to the
matters behind a figure (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.notices import service as notice_service
from delegation.refdata.service import load_reference
from delegation.statistics import model
from delegation.statistics import service as stats
from delegation.store import statistics as store
from delegation.store.tables import (
    DelegationRow,
    DocumentRow,
    StatDailyRow,
    StatFactRow,
    StatPairMonthRow,
    StatTypeMonthRow,
)
from tests.sla_support import CLERK, OFFICER, REGIONAL, YANTAI_CENTER, add_users, at, filed
from tests.support import act, eviction_draft, file_draft


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    await add_users(session)
    return await load_reference(session)


async def _act(
    session: AsyncSession, ref: Reference, row: DelegationRow, action: Action, moment: str, **data: object
) -> None:
    fresh = await session.get(DelegationRow, row.id)
    assert fresh is not None
    await act(session, ref, CLERK, at(*moment.split()), row.id or 0, action, fresh.version, **data)


async def _complete(session: AsyncSession, ref: Reference, row: DelegationRow, signed: str, done: str) -> None:
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
    await _act(session, ref, row, Action.COMPLETE, done)


async def _march(session: AsyncSession, ref: Reference) -> dict[str, int]:
    """Three matters 市南区 -> 芝罘区 filed Mon 2026-03-02 (sign for within 2 working days: by 03-04)."""
    on_time = await filed(session, ref, at("2026-03-02"), n=1)
    await _complete(session, ref, on_time, "2026-03-03 10:00", "2026-03-10 10:00")  # 7 wd to 03-12: on time
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
    await _act(session, ref, late, Action.SIGN_FOR, "2026-03-06 10:00")
    await _act(session, ref, late, Action.ASSIGN_HANDLER, "2026-03-06 10:00", handler="王法官")
    notice = await notice_service.issue_notice(
        session, ref, YANTAI_CENTER, at("2026-03-20", "09:00"), late.id or 0, "supervise"
    )
    await notice_service.acknowledge_notice(session, ref, CLERK, at("2026-03-20", "11:00"), notice.id or 0, "收到")
    session.add(
        DocumentRow(
            delegation_id=late.id or 0,
            kind="receipt",
            filename="回执.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
            storage_key="r",
            uploaded_by="zhifu-clerk",
            uploaded_court="鲁0602",
            uploaded_at=at("2026-03-25"),
        )
    )
    await session.commit()
    await _act(session, ref, late, Action.COMPLETE, "2026-03-25 10:00")  # due 03-17: late
    return {"on_time": on_time.id or 0, "returned": returned.id or 0, "late": late.id or 0}


async def _ids(session: AsyncSession, f: store.DrillFilter) -> set[int]:
    return set(
        (await session.exec(select(DelegationRow.id).where(col(DelegationRow.id).in_(store.drill_ids(f))))).all()
    )  # type: ignore[call-overload]


async def test_the_figures_of_a_month_follow_the_command_centers_definitions(
    session: AsyncSession, ref: Reference
) -> None:
    ids = await _march(session, ref)
    march = model.month(2026, 3)
    await stats.reconcile(session, ref, at("2026-04-01", "01:30"))  # the nightly flow: open delays up to now
    found = await stats.statistics(session, ref, YANTAI_CENTER, at("2026-04-01"), march)
    zhifu = {line.key: line.measures for line in found.by_court}[("鲁0602",)]
    assert (zhifu.answers, zhifu.answers_on_time) == (3, 1)  # 签收及时率 1/3
    assert (zhifu.answered, zhifu.returned) == (3, 1)  # 退回率: matters returned at least once / answered
    assert (zhifu.completions, zhifu.completions_on_time) == (2, 1)
    # sign-for to completion: 03-03 -> 03-10 is 5 working days, 03-06 -> 03-25 is 13
    assert (zhifu.work_days, zhifu.work_days_n) == (18, 2)
    # per matter: the returned one (answered late) and the late one (late twice) -> 2 matters, not 3 periods;
    # delay charged day by day: 03-05 and 03-06 for each sign-for (the return stops the clock), 03-18..25 late
    assert (zhifu.overdue, zhifu.overdue_days) == (2, 10)
    assert (zhifu.supervisions, zhifu.acknowledged, zhifu.ack_seconds) == (1, 1, 7200)
    figures = {f.kpi.key: f for f in model.figures(zhifu)}
    assert figures["sign_rate"].basis == "1/3" and figures["sign_rate"].text == "33.3%"
    assert figures["mean_days"].text == "9.0" and figures["ack_hours"].text == "2.0"
    assert found.courts is not None and "鲁0602" in found.courts and "鲁0202" not in found.courts

    late_answers = stats.drill_filter(ref, YANTAI_CENTER, at("2026-04-01"), "sign_late", march, court="鲁0602")
    assert await _ids(session, late_answers) == {ids["returned"], ids["late"]}
    overdue = stats.drill_filter(ref, YANTAI_CENTER, at("2026-04-01"), "overdue", march, court="鲁0602")
    assert await _ids(session, overdue) == {ids["returned"], ids["late"]}
    # a custom range sums the days inside it only: 03-18..03-20 of the late execution
    days = await stats.statistics(
        session, ref, YANTAI_CENTER, at("2026-04-01"), model.day_range(date(2026, 3, 18), date(2026, 3, 20))
    )
    assert days.total.overdue_days == 3 and days.total.overdue == 0
    returned = stats.drill_filter(ref, YANTAI_CENTER, at("2026-04-01"), "returned", march, court="鲁0602")
    assert await _ids(session, returned) == {ids["returned"]}


async def test_a_running_month_counts_up_to_now_and_the_coordinator_sees_every_city(
    session: AsyncSession, ref: Reference
) -> None:
    await _march(session, ref)
    # On 03-04 nothing has breached yet: the sign-for periods end with that day.
    early = await stats.statistics(session, ref, REGIONAL, at("2026-03-04", "18:00"), model.month(2026, 3))
    assert early.total.overdue == 0 and early.until.isoformat() == "2026-03-04"
    # The pairs and matter types of the running month (its monthly sums, less the facts dated after today)
    # count what the courts' daily sums count up to today, and so does a year that holds the running month.
    for period in (model.month(2026, 3), model.year_period(2026)):
        running = await stats.statistics(session, ref, REGIONAL, at("2026-03-04", "18:00"), period)
        assert sum((line.measures for line in running.by_type), model.Measures()) == running.total
        assert sum((line.measures for line in running.by_pair), model.Measures()) == running.total
        assert running.total.answers == early.total.answers == 1 and running.total.completions == 0  # 03-03 sign for
    found = await stats.statistics(session, ref, REGIONAL, at("2026-04-01"), model.month(2026, 3))
    assert {line.key[0] for line in found.by_city} >= {"烟台"} and found.scope.regional
    assert [(f.source, f.target, f.matters) for f in found.flows] == [("青岛", "烟台", 3)]
    assert [p.key for p, _ in found.trend][-1] == "2026-04" and len(found.trend) == 12


async def test_court_staff_see_their_own_court_only(session: AsyncSession, ref: Reference) -> None:
    await _march(session, ref)
    found = await stats.statistics(session, ref, OFFICER, at("2026-04-01"), model.month(2026, 3))
    assert found.courts == ("鲁0202",) and {line.key for line in found.by_court} <= {("鲁0202",)}
    with pytest.raises(Exception, match="outside"):
        await stats.statistics(session, ref, OFFICER, at("2026-04-01"), model.month(2026, 3), court="鲁0602")


async def _facts_and_sums(session: AsyncSession) -> tuple[list[tuple[object, ...]], ...]:
    def plain(rows: Sequence[object], columns: Sequence[str]) -> list[tuple[object, ...]]:
        return sorted(tuple(getattr(r, c) for c in columns) for r in rows)

    facts = plain(
        (await session.exec(select(StatFactRow))).all(),
        ("delegation_id", *store.FACT_COLUMNS[1:], *model.MEASURES),
    )
    daily = plain((await session.exec(select(StatDailyRow))).all(), (*store.DAILY_KEY, "city", *model.MEASURES))
    pairs = plain((await session.exec(select(StatPairMonthRow))).all(), (*store.PAIR_KEY, "city", *model.MEASURES))
    types = plain((await session.exec(select(StatTypeMonthRow))).all(), (*store.TYPE_KEY, "city", *model.MEASURES))
    return facts, daily, pairs, types


async def test_an_action_on_a_draft_writes_the_facts_and_sums_a_reconciliation_would(
    session: AsyncSession, ref: Reference
) -> None:
    """An action on a draft (its submission, or its withdrawal) works the facts out without reading them back
    (one statement with the transition); the nightly reconciliation, which reads everything back, must find
    nothing to change."""
    moment = at("2026-03-02", "10:00")
    await filed(session, ref, moment, n=1)
    await filed(session, ref, moment, n=2)  # the same court pair and day: the sums add up
    await filed(session, ref, at("2026-03-03", "16:00"), eviction_draft(case_number="（2026）鲁0202执3号"), n=3)
    # The other action on a draft takes the same path: a withdrawn draft starts no clock and has no facts.
    withdrawn = await file_draft(session, ref, OFFICER, moment, eviction_draft(case_number="（2026）鲁0202执4号"))
    gone = await act(session, ref, OFFICER, moment, withdrawn.id or 0, Action.WITHDRAW, withdrawn.version)
    assert gone.status == "withdrawn"
    kept = await _facts_and_sums(session)
    facts, daily, pairs, types = kept
    assert len(facts) == 3 and daily and pairs and types  # one 超期 fact each: the day its first period would breach
    await stats.reconcile(session, ref, moment)
    assert await _facts_and_sums(session) == kept


async def test_the_sums_kept_by_the_transitions_are_the_sums_of_the_facts(
    session: AsyncSession, ref: Reference
) -> None:
    await _march(session, ref)

    async def sums() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        daily = sorted(
            (r.day, r.court, r.city, *(getattr(r, m) for m in model.MEASURES))
            for r in (await session.exec(select(StatDailyRow))).all()
            if any(getattr(r, m) for m in model.MEASURES)
        )
        pairs = sorted(
            (r.month, r.court, r.requesting_court, r.assisting_court, *(getattr(r, m) for m in model.MEASURES))
            for r in (await session.exec(select(StatPairMonthRow))).all()
            if any(getattr(r, m) for m in model.MEASURES)
        )
        types = sorted(
            (r.month, r.court, r.matter_type, *(getattr(r, m) for m in model.MEASURES))
            for r in (await session.exec(select(StatTypeMonthRow))).all()
            if any(getattr(r, m) for m in model.MEASURES)
        )
        monthly = [*pairs, *types]
        return daily, monthly

    kept = await sums()
    assert kept[0] and kept[1]
    await store.rebuild_daily(session)  # the nightly reconciliation's last step
    await session.commit()
    assert await sums() == kept
    result = await stats.reconcile(session, ref, at("2026-04-01", "01:30"))
    assert result.matters == 3 and result.daily_rows > 0
