"""The deadline sweep on SQLite and PostgreSQL, with time driven through `now`."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.errors import ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Action, Status
from delegation.notices import service as notice_service
from delegation.outbox import service as outbox_service
from delegation.outbox.model import RetryPolicy
from delegation.reading import delegations as query_service
from delegation.refdata.service import load_reference
from delegation.sla import service as sla_service
from delegation.store.tables import ClockRow, ClockRungRow, EventRow, InboxRow, NoticeRow, OutboxRow
from tests.sla_support import CLERK, OFFICER, YANTAI_CENTER, add_users, at, count, filed
from tests.support import act


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    await add_users(session)
    return await load_reference(session)


async def notices(session: AsyncSession) -> list[NoticeRow]:
    return list(await session.exec(select(NoticeRow).order_by(col(NoticeRow.id))))


async def test_each_rung_fires_once_in_working_hours_as_the_days_pass(session: AsyncSession, ref: Reference) -> None:
    row = await filed(session, ref, at("2026-03-02"))  # sign for within 2 working days: due end of 03-04
    expected = {
        "2026-03-03 08:00": [],  # before office hours
        "2026-03-03 08:30": ["reminder"],
        "2026-03-03 15:00": [],
        "2026-03-05 09:00": ["urge"],
        "2026-03-07 10:00": [],  # Saturday: the 督办 rung (03-06 24:00) waits for Monday
        "2026-03-09 08:30": [],  # the 督办 rung prepares a draft for 烟台中院 to issue (policy: not auto-issued)
        "2026-03-09 08:31": [],
        "2026-03-12 08:30": ["escalate"],
        "2026-03-20 10:00": [],
    }
    for moment, kinds in expected.items():
        before = len(await notices(session))
        result = await sla_service.sweep(session, ref, at(*moment.split()))
        fresh = (await notices(session))[before:]
        assert [n.kind for n in fresh] == kinds, moment
        assert result.rungs_fired == len(kinds) + result.supervision_drafts
        if moment == "2026-03-09 08:30":
            assert result.supervision_drafts == 1
            # The superior court's command center issues it, in its name, as of the day it decides to.
            [(draft, _)] = await notice_service.pending_supervision_drafts(session, ref, YANTAI_CENTER)
            assert draft.issuing_court == "鲁06" and draft.to_court == "鲁0602"
            assert await notice_service.pending_supervision_drafts(session, ref, OFFICER) == []
            [issued], discarded = await notice_service.issue_supervision_drafts(
                session, ref, YANTAI_CENTER, at("2026-03-09", "09:00"), [draft.id or 0]
            )
            assert discarded == 0 and issued.kind == "supervise" and issued.rung == "supervise"
    urge, supervise = (await notices(session))[1:3]
    assert urge.number == "烟台催〔2026〕1号" and urge.to_court == "鲁0602" and urge.cc_court == "鲁06"
    assert (
        supervise.number == "烟中法执督〔2026〕1号"
        and supervise.cc_court == "鲁0202"
        and supervise.requires_ack
        and supervise.working_days_overdue == 2
    )
    assert "烟中法执督〔2026〕1号" in supervise.body and "第74条" in supervise.body
    [clock] = list(await session.exec(select(ClockRow).where(ClockRow.delegation_id == row.id)))
    assert clock.next_rung is None and clock.next_rung_at is None
    assert await count(session, ClockRungRow) == 4
    timeline = [e.action for e in await session.exec(select(EventRow).where(EventRow.kind == "notice"))]
    assert timeline == [
        "notice_reminder",
        "notice_urge",
        "supervise_drafted",
        "notice_supervise",
        "notice_escalate",
    ]


async def test_rungs_missed_while_the_engine_was_down_fire_together_in_order(
    session: AsyncSession, ref: Reference
) -> None:
    await filed(session, ref, at("2026-03-02"))
    result = await sla_service.sweep(session, ref, at("2026-03-10", "09:00"))
    assert [n.kind for n in await notices(session)] == ["reminder", "urge"]  # and the 督办 as a draft
    assert result.fired == {"due_soon": 1, "overdue": 1, "supervise": 1} and result.supervision_drafts == 1
    [clock] = list(await session.exec(select(ClockRow)))
    assert clock.next_rung == "escalate" and clock.next_rung_at == at("2026-03-12", "08:30")


async def test_notices_reach_the_court_holding_the_ball_and_its_command_center(
    session: AsyncSession, ref: Reference
) -> None:
    await filed(session, ref, at("2026-03-02"))
    await sla_service.sweep(session, ref, at("2026-03-05", "09:00"))  # reminder + 催办 at once
    notices_queued = list(await session.exec(select(OutboxRow).where(OutboxRow.topic == "notice")))
    assert [(o.channel, o.status) for o in notices_queued] == [("fanout", "pending")] * 2  # with the notices
    await outbox_service.expand_fanouts(session, ref, at("2026-03-05", "09:01"), RetryPolicy())
    inbox = {
        (i.username, i.title.split("：")[0])
        for i in await session.exec(select(InboxRow).where(InboxRow.topic == "notice"))
    }
    assert ("zhifu-clerk", "到期提醒") in inbox
    assert ("zhifu-clerk", "催办通知 烟台催〔2026〕1号") in inbox
    assert ("yantai-center", "催办通知 烟台催〔2026〕1号") in inbox
    assert not any(user == "yantai-center" and title == "到期提醒" for user, title in inbox)  # reminders: court only
    assert not any(user in ("shinan-officer", "qingdao-center") for user, _ in inbox)
    events = list(
        await session.exec(select(OutboxRow).where(OutboxRow.channel == "prefect_event", OutboxRow.topic == "notice"))
    )
    assert {e.payload["event"] for e in events} == {"jiaodong.notice.reminder", "jiaodong.notice.urge"}
    assert all(e.target.startswith("delegation.JD2026-") for e in events)


async def test_a_sweep_aborted_halfway_and_rerun_fires_every_rung_once_and_loses_no_notice(
    sessions: async_sessionmaker[AsyncSession], ref: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sessions() as session:
        for n in range(1, 26):
            await filed(session, ref, at("2026-03-02"), n=n)
    real_store = sla_service.store_notices
    calls = 0

    async def crash_on_third_batch(*args: object, **kwargs: object) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("power cut in the middle of a batch")
        return await real_store(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sla_service, "store_notices", crash_on_third_batch)
    async with sessions() as session:
        with pytest.raises(RuntimeError, match="power cut"):
            await sla_service.sweep(session, ref, at("2026-03-05", "09:00"), batch_size=10)
    async with sessions() as session:
        # The batches committed before the crash stay, the crashed one rolled back: two batches of ten clocks
        # (two rungs each) in one lane; on PostgreSQL's two lanes the first lane's batch and whatever the other
        # lane (ten clocks, or the last five) committed before the crash stopped it.
        committed = await count(session, ClockRungRow)
        assert committed in (20, 30, 40) and await count(session, NoticeRow) == committed
    monkeypatch.setattr(sla_service, "store_notices", real_store)
    async with sessions() as session:
        rerun = await sla_service.sweep(session, ref, at("2026-03-05", "09:00"), batch_size=10)
        again = await sla_service.sweep(session, ref, at("2026-03-05", "09:01"), batch_size=10)
        assert rerun.rungs_fired == 2 * 25 - committed and again.rungs_fired == 0
        rungs = [(r.clock_id, r.rung) for r in await session.exec(select(ClockRungRow))]
        assert len(rungs) == len(set(rungs)) == 2 * 25
        fired = sorted((n.clock_id, n.rung) for n in await notices(session))
        assert fired == sorted(rungs)  # one notice per rung, none lost, none doubled
        urges = sorted(n.seq or 0 for n in await notices(session) if n.kind == "urge")
        assert urges == list(range(1, 26))  # numbers without gaps despite the crash


async def test_overlapping_sweeps_share_the_work_without_doubling_a_rung(
    sessions: async_sessionmaker[AsyncSession], ref: Reference
) -> None:
    async with sessions() as session:
        for n in range(1, 31):
            await filed(session, ref, at("2026-03-02"), n=n)

    async def one() -> int:
        async with sessions() as session:
            return (await sla_service.sweep(session, ref, at("2026-03-10", "09:00"), batch_size=7)).rungs_fired

    fired = await asyncio.gather(one(), one(), one())
    assert sum(fired) == 30 * 3
    async with sessions() as session:
        # Reminders and 催办 go out; each 督办 waits as a draft for 烟台中院 to issue, once.
        assert await count(session, ClockRungRow) == 90 and await count(session, NoticeRow) == 60
        drafts = await notice_service.pending_supervision_drafts(session, ref, YANTAI_CENTER)
        assert len(drafts) == 30
        issued, _ = await notice_service.issue_supervision_drafts(
            session, ref, YANTAI_CENTER, at("2026-03-10", "10:00"), [d.id or 0 for d, _row in drafts]
        )
        assert sorted(n.seq or 0 for n in issued) == list(range(1, 31))


async def test_an_unanswered_return_is_withdrawn_when_the_correction_period_ends(
    session: AsyncSession, ref: Reference
) -> None:
    row = await filed(session, ref, at("2026-03-02"))
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-03-02", "11:00"),
        row.id or 0,
        Action.RETURN_FOR_CORRECTION,
        row.version,
        **dict(reason_code="missing_documents", comment="缺少执行裁定书"),
    )
    # Thirty days (规定 第八条 by analogy) from Mon 03-02: the last day is Wed 04-01.
    await sla_service.sweep(session, ref, at("2026-03-31", "08:30"))  # one working day left
    [reminder] = await notices(session)
    assert reminder.to_court == "鲁0202" and "视为撤回委托" in reminder.body and "参照" in reminder.body
    assert (await sla_service.sweep(session, ref, at("2026-04-01", "17:00"))).withdrawn == 0
    result = await sla_service.sweep(session, ref, at("2026-04-02", "08:30"))
    assert result.withdrawn == 1
    detail = await query_service.detail(session, ref, OFFICER, at("2026-04-02", "09:00"), row.id or 0)
    assert detail.listed.row.status == Status.WITHDRAWN
    assert all(not c.clock.is_open for c in detail.clocks)
    expiry = [e for e in detail.events if e.action == "expire_correction"]
    assert len(expiry) == 1 and expiry[0].actor == "system" and "第八条" in expiry[0].comment
    assert [n.kind for n in await notices(session)] == ["reminder"]  # expiry is the transition, not a 催办
    assert (await sla_service.sweep(session, ref, at("2026-04-15", "09:00"))).rungs_fired == 0


async def test_an_approved_extension_moves_the_next_rung(session: AsyncSession, ref: Reference) -> None:
    row = await filed(session, ref, at("2026-03-02"))
    row = await act(session, ref, CLERK, at("2026-03-03"), row.id or 0, Action.SIGN_FOR, row.version)
    [execution] = list(await session.exec(select(ClockRow).where(col(ClockRow.closed_at).is_(None))))
    assert execution.next_rung_at == at("2026-03-11", "08:30")  # 7 wd: due end of 03-12
    row = await act(
        session,
        ref,
        CLERK,
        at("2026-03-04"),
        row.id or 0,
        Action.REQUEST_EXTENSION,
        row.version,
        **dict(days=5, comment="需要现场核实"),
    )
    row = await act(
        session,
        ref,
        YANTAI_CENTER,
        at("2026-03-05"),
        row.id or 0,
        Action.APPROVE_EXTENSION,
        row.version,
        **dict(days=3, comment="同意延长3个工作日"),
    )
    await session.refresh(execution)
    assert execution.extra_days == 3 and execution.next_rung_at == at("2026-03-16", "08:30")
    assert (await sla_service.sweep(session, ref, at("2026-03-11", "09:00"))).rungs_fired == 0
    assert (await sla_service.sweep(session, ref, at("2026-03-16", "09:00"))).fired == {"due_soon": 1}


async def test_nothing_fires_outside_working_hours_even_when_overdue(session: AsyncSession, ref: Reference) -> None:
    await filed(session, ref, at("2026-03-02"))
    for moment in (at("2026-03-06", "18:00"), at("2026-03-07", "10:00"), at("2026-03-09", "08:29")):
        result = await sla_service.sweep(session, ref, moment)
        assert not result.working_moment and result.rungs_fired == 0
    assert await count(session, NoticeRow) == 0


async def test_a_prepared_supervision_after_one_issued_by_hand_needs_a_confirmation(
    session: AsyncSession, ref: Reference
) -> None:
    row = await filed(session, ref, at("2026-03-02"))  # sign for by 03-04; the 督办 rung prepares a draft 03-09
    by_hand = await notice_service.issue_notice(session, ref, YANTAI_CENTER, at("2026-03-06"), row.id or 0, "supervise")
    await sla_service.sweep(session, ref, at("2026-03-09", "08:30"))
    [(draft, _)] = await notice_service.pending_supervision_drafts(session, ref, YANTAI_CENTER)
    draft_id, number, earlier, earlier_id = draft.id or 0, row.number, by_hand.number or "", by_hand.id
    with pytest.raises(ValidationFailed) as refused:
        await notice_service.issue_supervision_drafts(
            session, ref, YANTAI_CENTER, at("2026-03-09", "10:00"), [draft_id]
        )
    [error] = refused.value.errors
    assert error.field == "confirm_repeat" and number in error.message_zh and earlier in error.message_zh
    await session.rollback()
    [issued], _ = await notice_service.issue_supervision_drafts(
        session, ref, YANTAI_CENTER, at("2026-03-09", "10:00"), [draft_id], confirm_repeat=True
    )
    assert issued.kind == "supervise" and issued.id != earlier_id
