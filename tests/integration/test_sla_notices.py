"""催办 and 督办 by hand, acknowledgement, numbering under concurrency; the daily digest; on both backends."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.notices import service as notice_service
from delegation.outbox import service as outbox_service
from delegation.outbox.model import Message, RetryPolicy
from delegation.reading.dashboard import unacknowledged_count
from delegation.refdata.service import load_reference
from delegation.reports import digest as digest_service
from delegation.store.tables import EventRow, InboxRow, NoticeRow
from tests.sla_support import (
    CLERK,
    OFFICER,
    OTHER_CLERK,
    QINGDAO_CENTER,
    REGIONAL,
    WEIFANG_CENTER,
    YANTAI_CENTER,
    add_users,
    at,
    filed,
)
from tests.support import vehicle_inquiry_draft


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    await add_users(session)
    return await load_reference(session)


async def _expand(session: AsyncSession, ref: Reference, moment: str) -> None:
    async def nothing(message: Message) -> None:
        return None

    await outbox_service.deliver(session, ref, at(*moment.split()), nothing, RetryPolicy())


async def test_the_command_center_of_the_court_holding_the_ball_issues_a_numbered_supervision(
    session: AsyncSession, ref: Reference
) -> None:
    row = await filed(session, ref, at("2026-03-02"))
    notice = await notice_service.issue_notice(
        session, ref, YANTAI_CENTER, at("2026-03-06"), row.id or 0, "supervise", "请于3月10日前签收并反馈"
    )
    # 执行工作若干问题的规定 第74条: 芝罘区's superior (烟台中院) issues it, copied to the requesting court.
    assert notice.number == "烟中法执督〔2026〕1号" and notice.to_court == "鲁0602" and notice.cc_court == "鲁0202"
    assert notice.issuing_court == "鲁06" and notice.reply_by == at("2026-03-14", "00:00")  # 03-13 24:00
    assert notice.requires_ack and notice.issued_by == "yantai-center" and notice.rung is None
    assert (
        "请于3月10日前签收并反馈" in notice.body and "（承办部门：山东省烟台市中级人民法院执行指挥中心）" in notice.body
    )
    assert "请于二〇二六年三月十三日前办结并书面回复" in notice.body and "抄送：青岛市市南区人民法院" in notice.body
    urge = await notice_service.issue_notice(session, ref, REGIONAL, at("2026-03-06"), row.id or 0, "urge")
    assert urge.number == "烟台催〔2026〕1号" and not urge.requires_ack
    # Other cities' centers, the courts, and the regional coordinator (a basic court's superior is its
    # intermediate court, not the high court).
    for outsider in (WEIFANG_CENTER, QINGDAO_CENTER, CLERK, OFFICER, REGIONAL):
        with pytest.raises((PermissionDenied, NotFound)):
            await notice_service.issue_notice(session, ref, outsider, at("2026-03-06"), row.id or 0, "supervise")
    with pytest.raises(ValidationFailed):
        await notice_service.issue_notice(session, ref, YANTAI_CENTER, at("2026-03-06"), row.id or 0, "escalate")
    timeline = [(e.action, e.actor) for e in await session.exec(select(EventRow).where(EventRow.kind == "notice"))]
    assert timeline == [("notice_supervise", "yantai-center"), ("notice_urge", "regional")]
    # A second 督办 within the policy's 5 working days names the first; confirmed, it is numbered next.
    with pytest.raises(ValidationFailed) as info:
        await notice_service.issue_notice(session, ref, YANTAI_CENTER, at("2026-03-12"), row.id or 0, "supervise")
    [error] = info.value.errors
    assert (
        error.field == "confirm_repeat"
        and "2026年3月6日" in error.message_zh
        and "烟中法执督〔2026〕1号" in error.message_zh
    )
    again = await notice_service.issue_notice(
        session, ref, YANTAI_CENTER, at("2026-03-12"), row.id or 0, "supervise", confirm_repeat=True
    )
    assert again.number == "烟中法执督〔2026〕2号"
    later = await notice_service.issue_notice(session, ref, YANTAI_CENTER, at("2026-03-20"), row.id or 0, "supervise")
    assert later.number == "烟中法执督〔2026〕3号"  # 5 working days after the last one: no warning


@pytest.mark.parametrize("assisting", ["鲁72", "鲁06"])
async def test_a_matter_held_by_the_maritime_or_an_intermediate_court_is_supervised_by_the_high_court(
    session: AsyncSession, ref: Reference, assisting: str
) -> None:
    row = await filed(session, ref, at("2026-03-02"), vehicle_inquiry_draft(assisting_court=assisting))
    for refused in (QINGDAO_CENTER, YANTAI_CENTER):  # not 青岛中院 for the 海事法院, nor a court for itself
        with pytest.raises((PermissionDenied, NotFound)):
            await notice_service.issue_notice(session, ref, refused, at("2026-03-06"), row.id or 0, "supervise")
    notice = await notice_service.issue_notice(session, ref, REGIONAL, at("2026-03-06"), row.id or 0, "supervise")
    assert (notice.issuing_court, notice.to_court, notice.cc_court) == ("鲁", assisting, "鲁0202")
    assert notice.number == "鲁高法执督〔2026〕1号"
    assert "\n山东省高级人民法院\n（承办部门：山东省高级人民法院执行指挥中心）\n二〇二六年三月六日" in notice.body
    assert "抄送：青岛市市南区人民法院" in notice.body
    await _expand(session, ref, "2026-03-06 10:01")
    inbox = {i.username for i in await session.exec(select(InboxRow).where(InboxRow.notice_id == notice.id))}
    assert {"regional", "shinan-officer"} <= inbox  # the coordinator acting for the high court; the requester


async def test_the_addressed_court_acknowledges_a_supervision_once_with_a_reply(
    session: AsyncSession, ref: Reference
) -> None:
    row_id = (await filed(session, ref, at("2026-03-02"))).id or 0
    notice = await notice_service.issue_notice(
        session, ref, YANTAI_CENTER, at("2026-03-06", "09:00"), row_id, "supervise"
    )
    notice_id = notice.id or 0
    assert await unacknowledged_count(session, CLERK) == 1
    with pytest.raises(PermissionDenied):
        await notice_service.acknowledge_notice(session, ref, YANTAI_CENTER, at("2026-03-06"), notice_id, "收到")
    with pytest.raises((PermissionDenied, NotFound)):
        await notice_service.acknowledge_notice(session, ref, OTHER_CLERK, at("2026-03-06"), notice_id, "收到")
    with pytest.raises(ValidationFailed):
        await notice_service.acknowledge_notice(session, ref, CLERK, at("2026-03-06"), notice_id, "  ")
    done = await notice_service.acknowledge_notice(
        session, ref, CLERK, at("2026-03-06", "11:30"), notice_id, "已收悉，将于3月9日前签收办理"
    )
    assert done.acknowledged_by == "zhifu-clerk" and done.ack_seconds == 2.5 * 3600
    assert done.ack_reply == "已收悉，将于3月9日前签收办理"
    with pytest.raises(Conflict):
        await notice_service.acknowledge_notice(session, ref, CLERK, at("2026-03-06", "12:00"), notice_id, "再次")
    assert await unacknowledged_count(session, CLERK) == 0
    [ack] = list(await session.exec(select(EventRow).where(EventRow.action == "acknowledge_notice")))
    assert ack.kind == "notice" and ack.actor == "zhifu-clerk" and ack.data["ack_seconds"] == 9000
    await _expand(session, ref, "2026-03-06 11:31")
    center_inbox = [i.title for i in await session.exec(select(InboxRow).where(InboxRow.username == "yantai-center"))]
    assert any(t.startswith("督办已签收 烟中法执督〔2026〕1号") for t in center_inbox)
    assert [n.id for n in await notice_service.notices_of(session, ref, OFFICER, row_id)] == [notice_id]


async def test_concurrent_notices_get_distinct_numbers_without_gaps(
    sessions: async_sessionmaker[AsyncSession], ref: Reference
) -> None:
    ids = []
    async with sessions() as session:
        for n in range(1, 7):
            ids.append((await filed(session, ref, at("2026-03-02"), n=n)).id or 0)

    async def issue(delegation_id: int) -> str:
        async with sessions() as session:
            notice = await notice_service.issue_notice(
                session, ref, YANTAI_CENTER, at("2026-03-06"), delegation_id, "supervise", confirm_repeat=True
            )
            return notice.number or ""

    numbers = await asyncio.gather(*(issue(i) for i in ids + ids))
    assert sorted(numbers) == sorted(f"烟中法执督〔2026〕{n}号" for n in range(1, 13))
    async with sessions() as session:
        assert len(list(await session.exec(select(NoticeRow)))) == 12


async def test_the_daily_digest_lists_due_today_and_overdue_once_per_working_day(
    session: AsyncSession, ref: Reference
) -> None:
    await filed(session, ref, at("2026-03-02"), n=1)  # sign for by end of 03-04: overdue on 03-09
    await filed(session, ref, at("2026-03-05"), n=2)  # sign for by end of 03-09: due today
    saturday = await digest_service.daily_digest(session, ref, at("2026-03-07", "08:30"))
    assert not saturday.ran
    result = await digest_service.daily_digest(session, ref, at("2026-03-09", "08:30"))
    assert result.ran and result.due_today == 1 and result.overdue == 1 and result.courts == 1 and result.centers == 1
    assert not (await digest_service.daily_digest(session, ref, at("2026-03-09", "09:30"))).ran
    inbox = {i.username: i for i in await session.exec(select(InboxRow).where(InboxRow.topic == "digest"))}
    assert set(inbox) == {"zhifu-clerk", "yantai-center"}
    assert "今日到期：1 件" in inbox["zhifu-clerk"].body and "已超期：1 件" in inbox["zhifu-clerk"].body
    assert "JD2026-0000001" in inbox["yantai-center"].body and "超期 2 个工作日" in inbox["yantai-center"].body
