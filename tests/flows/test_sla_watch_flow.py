"""sla-watch, recompute-deadlines and deliver-notifications as Prefect flows, against the harness's API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from courts.schedules import parse_schedule
from delegation.core.states import Action
from delegation.refdata.service import load_reference, store_schedule
from delegation.store.tables import ClockRow, EventRow, NoticeRow, OutboxRow
from flows.deliver import deliver_notifications
from flows.recompute import recompute_deadlines
from flows.sla_watch import sla_watch
from tests.sla_support import CLERK, add_users, at, filed
from tests.support import act


async def test_the_sla_watch_flow_fires_due_rungs_once(flow_env: Path, session: AsyncSession) -> None:
    await add_users(session)
    ref = await load_reference(session)
    await filed(session, ref, at("2026-03-02"))
    first = await sla_watch(now=at("2026-03-05", "09:00"))
    second = await sla_watch(now=at("2026-03-05", "09:01"))
    night = await sla_watch(now=at("2026-03-05", "23:00"))
    assert first["rungs_fired"] == 2 and second["rungs_fired"] == 0
    assert night["working_moment"] is False
    assert [n.kind for n in await session.exec(select(NoticeRow))] == ["reminder", "urge"]


async def test_transitions_become_prefect_events_on_the_delegation_resource(
    flow_env: Path, session: AsyncSession
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventOccurredFilter, EventResourceFilter

    await add_users(session)
    ref = await load_reference(session)
    row = await filed(session, ref, at("2026-03-02"))
    await act(session, ref, CLERK, at("2026-03-03"), row.id or 0, Action.SIGN_FOR, row.version)
    report = await deliver_notifications(now=at("2026-03-03", "10:01"))
    assert report["expanded"] == 2 and report["sent"] == 2 and report["failed"] == 0
    events = list(await session.exec(select(OutboxRow).where(OutboxRow.channel == "prefect_event")))
    assert {e.status for e in events} == {"sent"}
    wanted = EventFilter(
        resource=EventResourceFilter(id=[f"delegation.{row.number}"]),
        occurred=EventOccurredFilter(since=datetime(2026, 1, 1, tzinfo=UTC), until=datetime(2027, 1, 1, tzinfo=UTC)),
    )
    names: set[str] = set()
    async with get_client() as client:
        for _ in range(60):  # the server persists events in the background
            page = await client.read_events(filter=wanted, limit=50)
            names = {e.event for e in page.events}
            if len(names) == 2:
                break
            await asyncio.sleep(0.5)
    assert names == {"jiaodong.delegation.submit", "jiaodong.delegation.sign_for"}


async def test_the_recompute_flow_applies_a_loaded_schedule_and_says_why(flow_env: Path, session: AsyncSession) -> None:
    await add_users(session)
    ref = await load_reference(session)
    await filed(session, ref, at("2026-12-30"))  # sign for by 2027-01-04 (provisional: 2027 unconfirmed)
    [clock] = list(await session.exec(select(ClockRow)))
    assert clock.due_at == at("2027-01-05", "00:00") and clock.due_provisional
    assert (await recompute_deadlines(now=at("2026-12-30", "12:00")))["ran"] is False
    schedule = parse_schedule(
        '{"year": 2027, "source": "测试用放假安排", "published": "2026-11-20", "workdays": [],'
        ' "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"]}'
    )
    await store_schedule(session, schedule, "admin", at("2026-12-30", "12:00"))
    result = await recompute_deadlines(now=at("2026-12-30", "12:05"))
    assert result["ran"] and result["moved"] == 1
    await session.refresh(clock)
    assert clock.due_at == at("2027-01-06", "00:00") and not clock.due_provisional
    [moved] = list(await session.exec(select(EventRow).where(EventRow.kind == "clock")))
    assert "调整为" in moved.comment and "2027年" in moved.comment
    assert moved.data["old_due_at"] != moved.data["new_due_at"] and moved.data["source"] == "calendar"
