"""The statutory clocks' side of the sweep: record, once, each breach of a duty of 民诉法 第二百四十条 on the
matter's timeline and tell both courts (the requesting court may now ask the superior court to order
execution); and move their due days after a calendar change. Time is a parameter.

Breaches are derived from due_at and `now` wherever they are shown; this only records the moment on the
timeline and notifies, exactly once per duty period (the UPDATE .. WHERE breach_recorded_at IS NULL claims it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import RowMapping
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core import clocks
from delegation.core.clocks import Duty
from delegation.core.reference import Reference
from delegation.notices.model import court_name, due_text
from delegation.outbox.intents import transition_intent
from delegation.outbox.service import fanout
from delegation.store.rows import EVENT, OUTBOX, Event
from delegation.store.sql import Inserts, is_postgres, run, table
from delegation.store.tables import DelegationRow, StatutoryClockRow

DUTY = table(StatutoryClockRow)
DELEGATION = table(DelegationRow)
BREACH_ACTION = "statutory_breach"
DUTY_LABEL: dict[str, str] = {Duty.START: "开始执行", Duty.REPORT: "函告执行情况"}


def breach_text(ref: Reference, m: RowMapping) -> str:
    """E.g. 法定期限届满：烟台市芝罘区人民法院收到委托函件后15日内（至2026年2月24日24时）未开始执行（…）。"""
    court = court_name(ref, m["court_code"])
    until = due_text(m["due_at"])
    if m["duty"] == Duty.START:
        what = f"收到委托函件后{m['days']}日内（至{until}）未开始执行"
        remedy = "委托法院可以请求其上级人民法院指令执行。"
    else:
        what = f"{m['days']}日内（至{until}）未执行完毕，也未将执行情况函告委托法院"
        remedy = "请受托法院及时函复执行情况。"
    return f"法定期限届满：{court}{what}（{m['source']}）。{remedy}"[:4000]


def _breach_event(ref: Reference, m: RowMapping, now: datetime) -> Event:
    return Event(
        delegation_id=m["delegation_id"],
        kind="clock",
        action=BREACH_ACTION,
        from_status=m["status"],
        to_status=m["status"],
        actor="system",
        actor_court=None,
        actor_role="system",
        at=now,
        comment=breach_text(ref, m),
        data={
            "duty": m["duty"],
            "seq": m["seq"],
            "court": m["court_code"],
            "due_at": m["due_at"].isoformat(),
            "source": m["source"],
        },
    )


def unrecorded_condition() -> Any:
    """Open duties whose breach is not recorded yet (ix_statutory_unrecorded_due)."""
    return and_(DUTY.c.is_open.is_(True), DUTY.c.breach_recorded_at.is_(None))


def breached_condition(now: datetime) -> Any:
    """Open duties past their period whose breach is not recorded yet (ix_statutory_unrecorded_due)."""
    return and_(DUTY.c.is_open.is_(True), DUTY.c.due_at <= now, DUTY.c.breach_recorded_at.is_(None))


def _breached_query(now: datetime, limit: int, postgres: bool) -> Any:
    stmt = (
        select(
            DUTY,
            DELEGATION.c.number,
            DELEGATION.c.case_number,
            DELEGATION.c.status,
            DELEGATION.c.requesting_court,
            DELEGATION.c.assisting_court,
        )
        .join(DELEGATION, DELEGATION.c.id == DUTY.c.delegation_id)
        .where(breached_condition(now))
        .order_by(DUTY.c.due_at)
        .limit(limit)
    )
    return stmt.with_for_update(of=DUTY, skip_locked=True) if postgres else stmt


async def record_breaches(session: AsyncSession, ref: Reference, now: datetime, batch_size: int = 500) -> int:
    """Record every statutory breach not recorded yet: one timeline event and one notification each, in
    batches of one transaction. Returns how many were recorded."""
    recorded = 0
    postgres = is_postgres(session)
    while True:
        rows = list((await run(session, _breached_query(now, batch_size, postgres))).mappings())
        if not rows:
            await session.rollback()
            return recorded
        claimed = await run(
            session,
            update(DUTY)
            .where(DUTY.c.id.in_([m["id"] for m in rows]), DUTY.c.breach_recorded_at.is_(None))
            .values(breach_recorded_at=now)
            .returning(DUTY.c.id),
        )
        won = {int(i) for (i,) in claimed}
        events: list[Event] = []
        intents = []
        for m in rows:
            if m["id"] not in won:
                continue
            event = _breach_event(ref, m, now)
            events.append(event)
            intents.append(
                transition_intent(
                    ref,
                    delegation_id=m["delegation_id"],
                    number=m["number"],
                    case_number=m["case_number"],
                    requesting_court=m["requesting_court"],
                    assisting_court=m["assisting_court"],
                    action=BREACH_ACTION,
                    from_status=m["status"],
                    to_status=m["status"],
                    actor="system",
                    actor_court=None,
                    at=now,
                    comment=event.comment,
                    data={},
                )
            )
        appended = Inserts()  # the timeline rows and the outbox rows in one statement on PostgreSQL
        appended.add(EVENT, [e.values() for e in events])
        appended.add(OUTBOX, [fanout(i, now).values() for i in intents])
        await appended.write(session)
        await session.commit()
        recorded += len(events)
        if len(rows) < batch_size:
            return recorded


async def recompute_due(session: AsyncSession, ref: Reference) -> int:
    """Move the due day of every open statutory clock to what the current calendar says (a newly loaded
    holiday schedule can move a last day off a holiday); returns how many moved."""
    rows = list(
        (
            await run(
                session,
                select(DUTY.c.id, DUTY.c.counted_from, DUTY.c.days, DUTY.c.due_at, DUTY.c.due_provisional).where(
                    DUTY.c.is_open.is_(True)
                ),
            )
        ).mappings()
    )
    moves: list[dict[str, Any]] = []
    for m in rows:
        due = clocks.statutory_due(m["counted_from"], m["days"], ref.calendar)
        if (due.at, due.provisional) != (m["due_at"], m["due_provisional"]):
            moves.append({"b_id": m["id"], "b_due": due.at, "b_prov": due.provisional})
    if moves:
        stmt = (
            update(DUTY)
            .where(DUTY.c.id == bindparam("b_id"))
            .values(due_at=bindparam("b_due", type_=DUTY.c.due_at.type), due_provisional=bindparam("b_prov"))
        )
        await (await session.connection()).execute(stmt, moves)
    await session.commit()
    return len(moves)
