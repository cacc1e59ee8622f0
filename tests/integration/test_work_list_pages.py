"""Work lists read page by page from a cursor, in the order of an index (issue 14, item 1), on SQLite and
PostgreSQL: every matter once, in the order the list states, the same pages backwards as forwards, the
count capped, a drill-down by lateness read from the running clocks."""

from __future__ import annotations

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor
from delegation.core.errors import ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.reading import dashboard as dashboard_service
from delegation.reading import worklists as worklist_service
from delegation.reading.delegations import DelegationQuery
from delegation.reading.worklists import WorkPage, WorkQuery
from delegation.refdata.service import load_reference
from delegation.store.tables import ClockRow
from tests.sla_support import CLERK, OFFICER, REGIONAL, YANTAI_CENTER, add_users, at, filed
from tests.support import act

NOW = at("2026-03-20", "10:00")


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    await add_users(session)
    return await load_reference(session)


@pytest.fixture
async def matters(session: AsyncSession, ref: Reference) -> list[int]:
    """Seven matters filed on different days: four signed for (execution clocks), one returned (the
    officer corrects; the clerk's sign-for clock paused), two waiting to be signed for."""
    ids: list[int] = []
    for n, day in enumerate(["2026-03-09", "2026-03-02", "2026-03-12", "2026-03-03", "2026-03-10", "2026-03-05"]):
        row = await filed(session, ref, at(day), n=n + 1)
        ids.append(row.id or 0)
        if n < 4:
            await act(session, ref, CLERK, at(day, "15:00"), row.id or 0, Action.SIGN_FOR, row.version)
        elif n == 4:
            await act(
                session,
                ref,
                CLERK,
                at(day, "15:00"),
                row.id or 0,
                Action.RETURN_FOR_CORRECTION,
                row.version,
                **dict(reason_code="missing_documents", comment="缺少裁定书"),
            )
    row = await filed(session, ref, at("2026-03-02"), n=7)
    ids.append(row.id or 0)
    return ids


async def walk(
    session: AsyncSession, ref: Reference, actor: Actor, q: WorkQuery
) -> tuple[list[list[int]], list[list[int]], WorkPage]:
    """Every page forwards by next_cursor, then backwards from the last by prev_cursor."""
    forwards: list[list[int]] = []
    page = await worklist_service.work_list(session, ref, actor, NOW, q)
    first = page
    assert page.prev_cursor is None
    while True:
        forwards.append([i.row.id or 0 for i in page.items])
        if page.next_cursor is None:
            break
        page = await worklist_service.work_list(
            session, ref, actor, NOW, WorkQuery(**{**q.__dict__, "cursor": page.next_cursor})
        )
    backwards = [forwards[-1]]
    while page.prev_cursor is not None:
        page = await worklist_service.work_list(
            session, ref, actor, NOW, WorkQuery(**{**q.__dict__, "cursor": page.prev_cursor})
        )
        backwards.append([i.row.id or 0 for i in page.items])
    return forwards, backwards[::-1], first


async def due_order(session: AsyncSession, ids: list[int], court: str | None) -> list[int]:
    """The order "due first" states: by the running clock (of `court`, if given), then the others by id."""
    stmt = select(ClockRow).where(col(ClockRow.closed_at).is_(None), col(ClockRow.paused).is_(False))
    running = {c.delegation_id: c for c in await session.exec(stmt) if court is None or c.court_code == court}
    timed = sorted((i for i in ids if i in running), key=lambda i: (running[i].due_at, running[i].id))
    return timed + sorted(i for i in ids if i not in running)


@pytest.mark.parametrize("rounds", [worklist_service.CHUNK_ROUNDS, 0])  # 0: the database plans the clocks' join
async def test_pages_by_cursor_hold_every_matter_once_in_the_stated_order_both_ways(
    session: AsyncSession, ref: Reference, matters: list[int], rounds: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worklist_service, "CHUNK_ROUNDS", rounds)
    waiting = [m for i, m in enumerate(matters) if i != 4]  # the returned one waits on the requesting court
    for sort, expected in (
        ("newest", sorted(waiting, reverse=True)),
        ("oldest", sorted(waiting)),
        ("due", await due_order(session, waiting, CLERK.court_code)),
    ):
        q = WorkQuery(view="waiting", sort=sort, per_page=2)
        forwards, backwards, first = await walk(session, ref, CLERK, q)
        assert [m for page in forwards for m in page] == expected, sort
        assert backwards == forwards, sort
        assert first.total == len(waiting) and not first.capped
    # The officer's one matter to correct: its correction clock runs; the clerk's sign-for clock is paused.
    mine = await worklist_service.work_list(session, ref, OFFICER, NOW, WorkQuery(view="waiting", sort="due"))
    assert [i.row.id for i in mine.items] == [matters[4]]


async def test_a_lateness_drill_down_reads_the_running_clocks_and_the_count_is_capped(
    session: AsyncSession, ref: Reference, matters: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    until = dashboard_service.soon_until(ref, NOW)
    stmt = select(ClockRow).where(col(ClockRow.closed_at).is_(None), col(ClockRow.paused).is_(False))
    clocks = [c for c in await session.exec(stmt) if c.court_code == "鲁0602" and c.due_at is not None]
    overdue = [c.delegation_id for c in sorted(clocks, key=lambda c: (c.due_at, c.id)) if c.due_at <= NOW]
    soon = [c.delegation_id for c in sorted(clocks, key=lambda c: (c.due_at, c.id)) if NOW < c.due_at <= until]
    assert overdue and len(overdue) + len(soon) < len(clocks) + 1
    for actor, holders in ((YANTAI_CENTER, ("鲁06", "鲁0602")), (REGIONAL, ())):
        for lateness, expected in (("overdue", overdue), ("due_soon", soon)):
            q = WorkQuery(view="all", holders=holders, lateness=lateness, soon_until=until, sort="due", per_page=1)
            forwards, backwards, first = await walk(session, ref, actor, q)
            assert [m for page in forwards for m in page if m] == expected, (actor.username, lateness)
            assert backwards == forwards and first.total == len(expected)
            assert first.exact == bool(holders)  # a dashboard figure: its count is the counters' own
    board = await dashboard_service.dashboard(session, ref, YANTAI_CENTER, NOW)
    [zhifu] = [line for city in board.cities for line in city.courts if line.court.code == "鲁0602"]
    for status in ("submitted", "accepted"):  # a cell of the matrix and the list behind it
        q = WorkQuery(view="all", holders=("鲁0602",), filters=DelegationQuery(statuses=(status,)), per_page=1)
        forwards, _, first = await walk(session, ref, YANTAI_CENTER, q)
        assert first.exact and first.total == zhifu.counts.by_status[status] == len(forwards) > 0
    monkeypatch.setattr(worklist_service, "COUNT_CAP", 3)
    page = await worklist_service.work_list(session, ref, REGIONAL, NOW, WorkQuery(view="all", per_page=2))
    assert page.total == 4 and page.capped and len(page.items) == 2


async def test_a_cursor_that_is_not_one_is_refused_in_chinese(session: AsyncSession, ref: Reference) -> None:
    for cursor in ("abc", "dzF8ZHxufA", "dzF8Y3xufDIwMjYtMDMtMDJ8eA"):
        with pytest.raises(ValidationFailed) as refused:
            await worklist_service.work_list(
                session, ref, CLERK, NOW, WorkQuery(view="waiting", sort="due", cursor=cursor)
            )
        assert refused.value.errors[0].field == "cursor" and "翻页" in refused.value.errors[0].message_zh


async def test_an_empty_list_has_no_pages_and_counts_nothing(
    session: AsyncSession, ref: Reference, matters: list[int]
) -> None:
    for sort in ("newest", "due"):
        page = await worklist_service.work_list(session, ref, CLERK, NOW, WorkQuery(view="outbox", sort=sort))
        assert (page.items, page.total, page.next_cursor, page.prev_cursor) == ([], 0, None, None)
