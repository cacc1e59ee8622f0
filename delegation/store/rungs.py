"""The sweep's claim of due rungs: INSERT .. ON CONFLICT DO NOTHING on the unique (clock_id, rung) of
clock_rung, so only the first transaction has each rung; with, on PostgreSQL, the ids of the notices the
claimed rungs will issue, taken from notice's sequence in the same statement (the notices can then be
written by COPY, which returns no ids)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.sql import insert_ignoring_returning, is_postgres, run, table
from delegation.store.tables import ClockRungRow
from delegation.store.tables.columns import UTCDateTime

RUNG = table(ClockRungRow)

# The rungs as three arrays (unnest: one parameter each, whatever their number); the ids are drawn only for
# the claimed rungs that issue a notice, one nextval each (the sequence looked up once per statement, an
# InitPlan, not once per row: 1-2 ms of a batch of 500).
_CLAIM = text(
    """
    WITH wanted AS (
        SELECT * FROM unnest(CAST(:clock_ids AS integer[]), CAST(:rungs AS text[]), CAST(:notices AS boolean[]))
            AS w(clock_id, rung, notice)
    ),
    claimed AS (
        INSERT INTO clock_rung (clock_id, rung, fired_at)
        SELECT clock_id, rung, :fired_at FROM wanted
        ON CONFLICT (clock_id, rung) DO NOTHING
        RETURNING clock_id, rung
    )
    SELECT c.clock_id, c.rung,
        CASE WHEN w.notice THEN nextval((SELECT CAST(pg_get_serial_sequence('notice', 'id') AS regclass))) END
    FROM claimed c JOIN wanted w ON w.clock_id = c.clock_id AND w.rung = c.rung
    """
).bindparams(bindparam("fired_at", type_=UTCDateTime()))


async def claim(
    session: AsyncSession, claims: Sequence[tuple[int, str, bool]], now: datetime
) -> dict[tuple[int, str], int | None]:
    """Claim (clock_id, rung, issues a notice) in the caller's transaction; returns the rungs this transaction
    won, each with a new notice id where it issues one (PostgreSQL) or None (SQLite: the notices' INSERT gives
    them their ids). The ids rise in the order of the claims."""
    if not claims:
        return {}
    if not is_postgres(session):
        rows = [{"clock_id": c, "rung": r, "fired_at": now} for c, r, _ in claims]
        inserted = await insert_ignoring_returning(session, RUNG, [RUNG.c.clock_id, RUNG.c.rung], rows)
        return {(int(c), str(r)): None for c, r in inserted}
    params = {
        "clock_ids": [c for c, _, _ in claims],
        "rungs": [r for _, r, _ in claims],
        "notices": [n for _, _, n in claims],
        "fired_at": now,
    }
    found: list[tuple[int, str, int | None]] = [
        (int(c), str(r), None if i is None else int(i)) for c, r, i in await run(session, _CLAIM, params)
    ]
    # nextval hands the ids out in whatever order the rows are joined: deal them out again in the claims' order.
    ids = iter(sorted(i for _, _, i in found if i is not None))
    numbered = {(c, r): i is not None for c, r, i in found}
    return {(c, r): next(ids) if numbered[(c, r)] else None for c, r, _ in claims if (c, r) in numbered}
