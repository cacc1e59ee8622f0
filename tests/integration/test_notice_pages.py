"""The notices list (消息中心) read page by page from a cursor, newest first (issue 14, item 1), on SQLite
and PostgreSQL: every notice once, in the order the list states (ties on the issue time broken by id), the
same pages backwards as forwards, the filters kept across pages, the count capped, a bad cursor refused."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor
from delegation.core.errors import ValidationFailed
from delegation.core.reference import Reference
from delegation.reading import dashboard as dashboard_service
from delegation.reading.dashboard import NoticePage
from delegation.refdata.service import load_reference
from delegation.store.tables import NoticeRow
from tests.sla_support import CLERK, OTHER_CLERK, REGIONAL, YANTAI_CENTER, add_users, at, filed

ISSUED = at("2026-03-10", "09:00")


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    await add_users(session)
    return await load_reference(session)


@pytest.fixture
async def notices(session: AsyncSession, ref: Reference) -> list[int]:
    """Eleven notices to 芝罘区 (CLERK's court) on one matter, some issued at the same instant, 督办 needing an
    acknowledgement among them (one acknowledged); and one to 奎文区 that CLERK must never see. Returns the
    ids of the eleven, newest first."""
    row = await filed(session, ref, at("2026-03-02"))
    rows: list[NoticeRow] = []
    for n in range(11):
        kind = "supervise" if n % 3 == 0 else "urge"
        rows.append(
            NoticeRow(
                delegation_id=row.id or 0,
                kind=kind,
                city="烟台",
                year=2026,
                to_court="鲁0602",
                cc_court="鲁0202",
                issuing_court="鲁06",
                issued_by="yantai-center",
                issued_at=ISSUED + timedelta(hours=n // 2),  # pairs issued at the same instant
                title=f"通知{n}",
                body="……",
                requires_ack=kind == "supervise",
                acknowledged_at=ISSUED + timedelta(days=1) if n == 3 else None,
            )
        )
    rows.append(
        NoticeRow(
            delegation_id=row.id or 0,
            kind="urge",
            city="潍坊",
            year=2026,
            to_court="鲁0705",
            issuing_court="鲁07",
            issued_by="weifang-center",
            issued_at=ISSUED,
            title="别处",
            body="……",
        )
    )
    session.add_all(rows)
    await session.commit()
    mine = rows[:11]
    mine.sort(key=lambda r: (r.issued_at, r.id or 0), reverse=True)
    return [r.id or 0 for r in mine]


async def walk(
    session: AsyncSession, ref: Reference, actor: Actor, per_page: int, **filters: object
) -> tuple[list[list[int]], list[list[int]], NoticePage]:
    """Every page forwards by next_cursor, then backwards from the last by prev_cursor."""
    page = await dashboard_service.notice_inbox(session, ref, actor, per_page=per_page, **filters)  # type: ignore[arg-type]
    first = page
    assert page.prev_cursor is None
    forwards = [[i.notice.id or 0 for i in page.items]]
    while page.next_cursor is not None:
        page = await dashboard_service.notice_inbox(
            session,
            ref,
            actor,
            per_page=per_page,
            cursor=page.next_cursor,
            **filters,  # type: ignore[arg-type]
        )
        forwards.append([i.notice.id or 0 for i in page.items])
    backwards = [forwards[-1]]
    while page.prev_cursor is not None:
        page = await dashboard_service.notice_inbox(
            session,
            ref,
            actor,
            per_page=per_page,
            cursor=page.prev_cursor,
            **filters,  # type: ignore[arg-type]
        )
        backwards.append([i.notice.id or 0 for i in page.items])
    return forwards, backwards[::-1], first


async def test_every_notice_once_newest_first_and_the_same_pages_backwards(
    session: AsyncSession, ref: Reference, notices: list[int]
) -> None:
    forwards, backwards, first = await walk(session, ref, CLERK, per_page=4)
    assert forwards == [notices[0:4], notices[4:8], notices[8:11]]
    assert backwards == forwards
    assert first.total == 11 and not first.capped


async def test_a_page_boundary_between_notices_issued_at_the_same_instant(
    session: AsyncSession, ref: Reference, notices: list[int]
) -> None:
    forwards, backwards, _ = await walk(session, ref, CLERK, per_page=3)  # the pairs straddle pages 1|2, 3|4
    assert [n for page in forwards for n in page] == notices
    assert backwards == forwards


async def test_filters_hold_across_pages(session: AsyncSession, ref: Reference, notices: list[int]) -> None:
    supervise = [n for i, n in enumerate(notices) if (10 - i) % 3 == 0]  # notices[k] is the (10 - k)-th issued
    forwards, _, first = await walk(session, ref, CLERK, per_page=2, kind="supervise")
    assert [n for page in forwards for n in page] == supervise
    assert first.total == len(supervise)
    awaiting = [n for i, n in enumerate(notices) if (10 - i) % 3 == 0 and (10 - i) != 3]
    forwards, _, first = await walk(session, ref, CLERK, per_page=2, unacknowledged=True)
    assert [n for page in forwards for n in page] == awaiting
    assert first.total == len(awaiting)


async def test_other_courts_notices_stay_out(session: AsyncSession, ref: Reference, notices: list[int]) -> None:
    forwards, _, _ = await walk(session, ref, OTHER_CLERK, per_page=5)
    assert not {n for page in forwards for n in page} & set(notices)
    forwards, _, _ = await walk(session, ref, YANTAI_CENTER, per_page=20)  # issued in its name
    assert forwards == [notices]


async def test_the_count_is_capped(
    session: AsyncSession, ref: Reference, notices: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard_service, "NOTICE_COUNT_CAP", 5)
    page = await dashboard_service.notice_inbox(session, ref, CLERK, per_page=4)
    assert page.total == 6 and page.capped
    assert [i.notice.id for i in page.items] == notices[:4]


async def test_a_cursor_that_is_not_one_is_refused(session: AsyncSession, ref: Reference, notices: list[int]) -> None:
    edited = [
        "nonsense",
        "x1773104400000000.1",  # no direction
        "n1773104400000000",  # no id
        "n2026-03-10T09:00:00+08:00.1",  # not microseconds
        "n1773104400000000.one",
        "n1773104400000000.2147483648",  # beyond any id
        "d1773104400000000.1",  # a supervision drafts' cursor
        base64.urlsafe_b64encode(b"n1|n|2026-03-10T09:00:00+08:00|1").decode().rstrip("="),  # the old format
    ]
    for cursor in edited:
        assert not re.match(dashboard_service.NOTICE_CURSOR_PATTERN, cursor), cursor
        with pytest.raises(ValidationFailed) as refused:
            await dashboard_service.notice_inbox(session, ref, CLERK, cursor=cursor)
        assert refused.value.title_zh == "翻页位置无效，请从第一页重新打开列表"


async def test_every_cursor_of_a_walk_matches_the_pattern_the_api_states(
    session: AsyncSession, ref: Reference, notices: list[int]
) -> None:
    page = await dashboard_service.notice_inbox(session, ref, CLERK, per_page=2)
    cursors = []
    while page.next_cursor is not None:
        cursors += [c for c in (page.next_cursor, page.prev_cursor) if c]
        page = await dashboard_service.notice_inbox(session, ref, CLERK, per_page=2, cursor=page.next_cursor)
    assert cursors and all(re.match(dashboard_service.NOTICE_CURSOR_PATTERN, c) for c in cursors)


async def test_the_dashboards_notice_panels_newest_first_and_escalations_for_the_coordinator(
    session: AsyncSession, ref: Reference, notices: list[int]
) -> None:
    """The 催办/督办 issued in the Yantai center's name, newest first (ties on the issue time by id), with the
    督办 still awaiting their acknowledgement counted; escalations only on the coordinator's dashboard."""
    row_id = (await session.get(NoticeRow, notices[0])).delegation_id  # type: ignore[union-attr]
    escalated = [
        NoticeRow(
            delegation_id=row_id,
            kind="escalate",
            city="烟台",
            year=2026,
            to_court="鲁0602",
            issuing_court="鲁",
            issued_by="system",
            issued_at=ISSUED + timedelta(days=n),
            title=f"升级{n}",
            body="……",
            working_days_overdue=5,
        )
        for n in range(3)
    ]
    session.add_all(escalated)
    await session.commit()
    now = ISSUED + timedelta(days=5)
    board = await dashboard_service.dashboard(session, ref, YANTAI_CENTER, now)
    assert [n.id for n in board.issued] == notices  # the eleven of 鲁06, not 潍坊's
    assert board.awaiting_acknowledgement == 3  # four 督办, one acknowledged
    assert board.escalations == []
    regional = await dashboard_service.dashboard(session, ref, REGIONAL, now)
    assert [n.id for n in regional.escalations] == [e.id for e in reversed(escalated)]
    assert len(regional.issued) == 12 and regional.awaiting_acknowledgement == 3  # every center's
