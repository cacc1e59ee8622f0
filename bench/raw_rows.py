"""The rows a submit writes besides the delegation, its clock, event and outbox row: the statutory clocks
(民诉法 第二百四十条) and the matter's statistics (its facts and their daily and monthly sums). The raw asyncpg
sides of bench/submit.py and bench/api.py copy them from a matter the service submitted and write the same
rows with hand-written SQL, so both sides of each ratio write the same rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import asyncpg

MEASURES = (
    "answers", "answers_on_time", "answered", "returned", "completions", "completions_on_time", "work_days",
    "work_days_n", "overdue", "overdue_days", "supervisions", "acknowledged", "ack_seconds",
)  # fmt: skip
SUMS = {
    "stat_daily": ("day", "court"),
    "stat_pair_month": ("month", "court", "requesting_court", "assisting_court"),
    "stat_type_month": ("month", "court", "matter_type"),
}


@dataclass(frozen=True)
class SubmitExtras:
    statutory: list[dict[str, Any]]
    facts: list[dict[str, Any]]
    sums: dict[str, list[dict[str, Any]]]  # table -> rows to add (key columns, city, measures)


async def extras_of(connection: asyncpg.Connection, ident: int) -> SubmitExtras:
    """What the service wrote for the submit of `ident` besides the four rows every bench writes."""
    statutory = [
        {k: v for k, v in dict(r).items() if k != "id"}
        for r in await connection.fetch("SELECT * FROM statutory_clock WHERE delegation_id=$1 ORDER BY id", ident)
    ]
    facts = [
        {k: v for k, v in dict(r).items() if k != "id"}
        for r in await connection.fetch("SELECT * FROM stat_fact WHERE delegation_id=$1 ORDER BY id", ident)
    ]
    sums: dict[str, list[dict[str, Any]]] = {}
    for table, key in SUMS.items():
        grouped: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(dict)
        for f in facts:
            k = tuple(f["day"].replace(day=1) if name == "month" else f[name] for name in key)
            row = grouped[k]
            if not row:
                row.update(dict(zip(key, k, strict=True)), city=f["city"], **dict.fromkeys(MEASURES, 0))
            for m in MEASURES:
                row[m] += f[m]
        sums[table] = list(grouped.values())
    return SubmitExtras(statutory, facts, sums)


def _insert(table: str, columns: list[str], suffix: str = "") -> str:
    placeholders = ", ".join(f"${i + 1}" for i in range(len(columns)))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}){suffix}"


async def write_extras(connection: asyncpg.Connection, extras: SubmitExtras, ident: int) -> None:
    """The same rows for delegation `ident`, one statement per table (executemany for several rows)."""
    for table, rows in (("statutory_clock", extras.statutory), ("stat_fact", extras.facts)):
        if rows:
            columns = list(rows[0])
            values = [[ident if c == "delegation_id" else r[c] for c in columns] for r in rows]
            await connection.executemany(_insert(table, columns), values)
    for table, key in SUMS.items():
        rows = extras.sums[table]
        if rows:
            columns = list(rows[0])
            added = ", ".join(f"{m} = {table}.{m} + EXCLUDED.{m}" for m in MEASURES)
            sql = _insert(table, columns, f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}")
            await connection.executemany(sql, [[r[c] for c in columns] for r in rows])
