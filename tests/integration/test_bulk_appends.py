"""sql.append_rows, the sweep's bulk writes (binary COPY on PostgreSQL, executemany on SQLite): every row lands
with the columns it leaves out at their defaults, JSON values as a Core INSERT would write them, and a naive
datetime is refused before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store import sql
from delegation.store.tables import OutboxRow

OUTBOX = sql.table(OutboxRow)
AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def _message(n: int, **more: object) -> dict[str, object]:
    return {
        "channel": "fanout",
        "topic": "notice",
        "notice_id": n,
        "payload": {"n": n, "at": "2026-03-10T10:00:00+08:00", "courts": ["鲁0705"], "ack": None},
        "next_attempt_at": AT,
        "created_at": AT,
        **more,
    }


async def _rows(session: AsyncSession) -> list[OutboxRow]:
    return list((await session.exec(select(OutboxRow).order_by(OutboxRow.notice_id))).scalars())  # type: ignore[call-overload]


async def test_appended_rows_get_the_defaults_of_the_columns_they_leave_out_and_their_json_as_written(
    session: AsyncSession,
) -> None:
    await sql.append_rows(session, [(OUTBOX, [_message(n) for n in range(1, 4)])])
    await session.commit()
    rows = await _rows(session)
    assert [r.notice_id for r in rows] == [1, 2, 3]
    assert {(r.status, r.attempts, r.target, r.subject) for r in rows} == {("pending", 0, "", "")}
    assert rows[0].payload == {"n": 1, "at": "2026-03-10T10:00:00+08:00", "courts": ["鲁0705"], "ack": None}
    assert rows[0].created_at == AT and rows[0].sent_at is None


async def test_rows_of_different_keys_each_get_the_defaults_they_lack(session: AsyncSession) -> None:
    given = [_message(1, subject="到期提醒", attempts=2), _message(2), _message(3, status="sent")]
    await sql.append_rows(session, [(OUTBOX, given)])
    await session.commit()
    rows = await _rows(session)
    assert [(r.subject, r.attempts, r.status) for r in rows] == [
        ("到期提醒", 2, "pending"),
        ("", 0, "pending"),
        ("", 0, "sent"),
    ]
    assert "status" not in given[0]  # the caller's rows are left as they were


async def test_a_naive_datetime_is_refused_and_nothing_is_appended(session: AsyncSession) -> None:
    naive = _message(2, next_attempt_at=datetime(2026, 3, 10, 10, 0))
    with pytest.raises(Exception, match="naive datetime"):
        await sql.append_rows(session, [(OUTBOX, [_message(1), naive])])
    await session.rollback()
    assert (await session.exec(select(func.count()).select_from(OutboxRow))).one() == (0,)  # type: ignore[call-overload]
