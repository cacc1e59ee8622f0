"""SQL of the statistics: load a matter's inputs, replace its facts (keeping the daily sums in step with
the difference), rebuild the daily sums, and the grouped reads and drill-down conditions of the pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    Table,
    and_,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    true,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core import clocks
from delegation.core.access import NETWORK_USERNAME
from delegation.statistics.model import (
    MEASURES,
    SUPERVISE,
    Fact,
    HandBack,
    Matter,
    Measures,
    Step,
    Supervision,
)
from delegation.store.rows import clock_of
from delegation.store.sql import (
    Inserts,
    Summing,
    cached_text,
    insert_for,
    insert_from_json,
    is_postgres,
    rows_json,
    run,
    table,
    with_all,
)
from delegation.store.tables import (
    ClockRow,
    ClockStopRow,
    DelegationRow,
    EventRow,
    JobRunRow,
    NetworkJobRow,
    NetworkQueryRow,
    NoticeRow,
    StatDailyRow,
    StatFactRow,
    StatPairMonthRow,
    StatTypeMonthRow,
)

FACT = table(StatFactRow)
DAILY = table(StatDailyRow)
PAIR_MONTH = table(StatPairMonthRow)
TYPE_MONTH = table(StatTypeMonthRow)
DELEGATION = table(DelegationRow)
EVENT = table(EventRow)
CLOCK = table(ClockRow)
STOP = table(ClockStopRow)
NOTICE = table(NoticeRow)
JOB = table(JobRunRow)
NETWORK_JOB = table(NetworkJobRow)
NETWORK_QUERY = table(NetworkQueryRow)
DIMENSIONS = ("court", "city", "requesting_court", "assisting_court", "matter_type")
BATCH = 2000


@dataclass(frozen=True)
class Inputs:
    matter: Matter
    steps: list[Step]
    clocks: list[clocks.Clock]
    supervisions: list[Supervision]
    hand_backs: list[HandBack]


MATTER_COLUMNS = ("id", "requesting_court", "assisting_court", "matter_type", "submitted_at")


async def load_inputs(session: AsyncSession, ids: Sequence[int]) -> dict[int, Inputs]:
    """The matters' transitions, clocks (with stops), 督办 notices and network hand-backs, in six queries."""
    if not ids:
        return {}
    matters = (
        await run(
            session,
            select(*(DELEGATION.c[name] for name in MATTER_COLUMNS)).where(DELEGATION.c.id.in_(ids)),
        )
    ).mappings()
    events = (
        await run(
            session,
            select(
                EVENT.c.delegation_id, EVENT.c.action, EVENT.c.actor_court, EVENT.c.at, EVENT.c.data, EVENT.c.actor
            ).where(EVENT.c.delegation_id.in_(ids), EVENT.c.kind == "transition"),
        )
    ).mappings()
    clock_rows = list((await run(session, select(CLOCK).where(CLOCK.c.delegation_id.in_(ids)))).mappings())
    stops: list[Any] = []
    if clock_rows:
        stops = list(
            (await run(session, select(STOP).where(STOP.c.clock_id.in_([m["id"] for m in clock_rows])))).mappings()
        )
    notices = (
        await run(
            session,
            select(NOTICE.c.delegation_id, NOTICE.c.to_court, NOTICE.c.issued_at, NOTICE.c.ack_seconds).where(
                NOTICE.c.delegation_id.in_(ids), NOTICE.c.kind == SUPERVISE
            ),
        )
    ).mappings()
    backs = (await run(session, _hand_backs(ids))).mappings()
    return _inputs(matters, events, clock_rows, stops, notices, backs)


def _hand_backs(ids: Sequence[int]) -> Select[Any]:
    """Each handed-back network round with the answer code of each of its failed queries (none: one row, no
    code)."""
    failed = and_(NETWORK_QUERY.c.job_id == NETWORK_JOB.c.id, NETWORK_QUERY.c.status == "failed")
    return (
        select(NETWORK_JOB.c.id, NETWORK_JOB.c.delegation_id, NETWORK_JOB.c.finished_at, NETWORK_QUERY.c.answer_code)
        .select_from(NETWORK_JOB.outerjoin(NETWORK_QUERY, failed))
        .where(
            NETWORK_JOB.c.delegation_id.in_(ids),
            NETWORK_JOB.c.status == "handed_back",
            NETWORK_JOB.c.finished_at.is_not(None),
        )
    )


# PostgreSQL: the old facts deleted and every input read in one statement. Each ARRAY(...) comes back as a list
# of records with their columns' own types (asyncpg decodes composite types): whole rows of the narrow tables,
# only the columns needed of the wide ones (a notice's text, an event's comment are never read here).
_TAKE_INPUTS = text(
    """
    WITH old AS (DELETE FROM stat_fact WHERE delegation_id = ANY(:ids) RETURNING *)
    SELECT
        ARRAY(SELECT o::stat_fact FROM old o) AS old,
        ARRAY(
            SELECT ROW(d.id, d.requesting_court, d.assisting_court, d.matter_type, d.submitted_at)
            FROM delegation d WHERE d.id = ANY(:ids)
        ) AS matters,
        ARRAY(
            SELECT ROW(e.delegation_id, e.action, e.actor_court, e.at, e.data ->> 'reason_code', e.actor)
            FROM delegation_event e WHERE e.delegation_id = ANY(:ids) AND e.kind = 'transition'
        ) AS events,
        ARRAY(SELECT c FROM stage_clock c WHERE c.delegation_id = ANY(:ids)) AS clocks,
        ARRAY(
            SELECT s FROM clock_stop s JOIN stage_clock c ON c.id = s.clock_id WHERE c.delegation_id = ANY(:ids)
        ) AS stops,
        ARRAY(
            SELECT ROW(n.delegation_id, n.to_court, n.issued_at, n.ack_seconds)
            FROM notice n WHERE n.delegation_id = ANY(:ids) AND n.kind = :supervise
        ) AS notices,
        ARRAY(
            SELECT ROW(j.id, j.delegation_id, j.finished_at, q.answer_code)
            FROM network_job j LEFT JOIN network_query q ON q.job_id = j.id AND q.status = 'failed'
            WHERE j.delegation_id = ANY(:ids) AND j.status = 'handed_back' AND j.finished_at IS NOT NULL
        ) AS hand_backs
    """
)


async def take_inputs(session: AsyncSession, ids: Sequence[int]) -> tuple[dict[int, Inputs], list[dict[str, Any]]]:
    """PostgreSQL, one round trip: the matters' inputs (as load_inputs) and their old facts, deleted (the
    caller writes the new ones in the same transaction with replace_facts(old=...))."""
    found = (await run(session, _TAKE_INPUTS, {"ids": list(ids), "supervise": SUPERVISE})).one()
    old = [dict(r) for r in found.old]
    matters = [dict(zip(MATTER_COLUMNS, m, strict=True)) for m in found.matters]
    events = [
        {
            "delegation_id": e[0],
            "action": e[1],
            "actor_court": e[2],
            "at": e[3],
            "data": {"reason_code": e[4]},
            "actor": e[5],
        }
        for e in found.events
    ]
    notices = [
        dict(zip(("delegation_id", "to_court", "issued_at", "ack_seconds"), n, strict=True)) for n in found.notices
    ]
    backs = [dict(zip(("id", "delegation_id", "finished_at", "answer_code"), b, strict=True)) for b in found.hand_backs]
    return _inputs(matters, events, found.clocks, found.stops, notices, backs), old


def _inputs(
    matters: Iterable[Any],
    events: Iterable[Any],
    clock_rows: Iterable[Any],
    stops: Iterable[Any],
    notices: Iterable[Any],
    hand_backs: Iterable[Any],
) -> dict[int, Inputs]:
    """Inputs from rows (mappings or records) of delegation, delegation_event, stage_clock, clock_stop, notice,
    and network_job with its failed network_query (one row per failed query)."""
    found = {
        m["id"]: Matter(m["id"], m["requesting_court"], m["assisting_court"], m["matter_type"], m["submitted_at"])
        for m in matters
    }
    steps: dict[int, list[Step]] = defaultdict(list)
    for e in events:
        reason = (e["data"] or {}).get("reason_code")
        by_network = e["actor"] == NETWORK_USERNAME  # the network's system user (delegation.network)
        steps[e["delegation_id"]].append(Step(e["action"], e["actor_court"], e["at"], reason, by_network))
    stops_of: dict[int, list[Any]] = defaultdict(list)
    for s in stops:
        stops_of[s["clock_id"]].append(s)
    held: dict[int, list[clocks.Clock]] = defaultdict(list)
    for m in clock_rows:
        held[m["delegation_id"]].append(clock_of(m, stops_of[m["id"]], ()))  # the facts read no fired rungs
    notes: dict[int, list[Supervision]] = defaultdict(list)
    for n in notices:
        notes[n["delegation_id"]].append(Supervision(n["to_court"], n["issued_at"], n["ack_seconds"]))
    rounds: dict[int, tuple[int, Any, list[str]]] = {}
    for b in hand_backs:
        _, _, codes = rounds.setdefault(b["id"], (b["delegation_id"], b["finished_at"], []))
        if b["answer_code"] is not None:
            codes.append(b["answer_code"])
    backs: dict[int, list[HandBack]] = defaultdict(list)
    for _job, (delegation_id, finished_at, codes) in sorted(rounds.items()):
        backs[delegation_id].append(HandBack(finished_at, tuple(sorted(codes))))
    return {i: Inputs(m, steps[i], held[i], notes[i], backs[i]) for i, m in found.items()}


def _fact_values(matter: Matter, fact: Fact, city_of: Callable[[str], str | None]) -> dict[str, Any]:
    return {
        "delegation_id": matter.id,
        "kind": fact.kind,
        "day": fact.day,
        "court": fact.court,
        "city": city_of(fact.court) or "",
        "requesting_court": matter.requesting,
        "assisting_court": matter.assisting,
        "matter_type": matter.matter_type,
        **fact.measures.as_dict(),
    }


DAILY_KEY = ("day", "court")
PAIR_KEY = ("month", "court", "requesting_court", "assisting_court")
TYPE_KEY = ("month", "court", "matter_type")


def _sum_rows(
    rows: Iterable[dict[str, Any]], sign: int, key: tuple[str, ...], into: dict[tuple[Any, ...], tuple[str, Measures]]
) -> None:
    sums: dict[tuple[Any, ...], tuple[str, list[int]]] = {}
    for values in rows:
        k = tuple(values["day"].replace(day=1) if name == "month" else values[name] for name in key)
        found = sums.get(k)
        if found is None:
            found = sums[k] = (values["city"], [0] * len(MEASURES))
        totals = found[1]
        for i, m in enumerate(MEASURES):
            totals[i] += values[m]
    for k, (city, totals) in sums.items():
        measures = Measures(*totals)
        before_city, current = into.get(k, (city, Measures()))
        into[k] = (before_city, current + measures if sign > 0 else current - measures)


def _changes(key: tuple[str, ...], deltas: dict[tuple[Any, ...], tuple[str, Measures]]) -> list[dict[str, Any]]:
    """The non-zero differences as rows, in key order (concurrent transitions lock rows in the same order)."""
    return [
        {**dict(zip(key, k, strict=True)), "city": city, **d.as_dict()}
        for k, (city, d) in sorted(deltas.items(), key=lambda kv: tuple(str(x) for x in kv[0]))
        if not d.is_zero
    ]


async def _upsert(session: AsyncSession, target: Table, key: tuple[str, ...], changes: list[dict[str, Any]]) -> None:
    """Add the differences to the sums."""
    if not changes:
        return
    stmt = insert_for(session, target)
    upsert = stmt.on_conflict_do_update(
        index_elements=[target.c[k] for k in key],
        set_={m: target.c[m] + stmt.excluded[m] for m in MEASURES},
    )
    await run(session, upsert, changes)


FACT_COLUMNS = ("delegation_id", "kind", "day", "court", "city", "requesting_court", "assisting_court", "matter_type")


async def replace_facts(
    session: AsyncSession,
    facts: dict[int, tuple[Matter, list[Fact]]],
    city_of: Callable[[str], str | None],
    old: list[dict[str, Any]] | None = None,
) -> int:
    """Write these matters' facts in place of their old ones and add the difference to the daily and monthly
    sums (so the sums stay the sums of the facts without re-reading them). `old`: the old facts, already
    deleted by take_inputs; None: read and deleted here."""
    if not facts:
        return 0
    ids = sorted(facts)
    if old is None:
        old = [dict(row) for row in (await run(session, select(FACT).where(FACT.c.delegation_id.in_(ids)))).mappings()]
        await run(session, delete(FACT).where(FACT.c.delegation_id.in_(ids)))
    new_rows, sums = _fact_writes(facts, city_of, old)
    if is_postgres(session):
        await _write_pg(session, new_rows, sums)
        return len(new_rows)
    if new_rows:
        await run(session, insert(FACT), new_rows)
    for target, sum_key, changes in sums:
        await _upsert(session, target, sum_key, changes)
    return len(new_rows)


def add_first_facts(
    appended: Inserts, facts: dict[int, tuple[Matter, list[Fact]]], city_of: Callable[[str], str | None]
) -> None:
    """The facts of matters that have none yet (a draft's first submission), and their sums, added to the
    action's own writes (`appended`: one statement with the transition on PostgreSQL) instead of replace_facts'
    read of the old facts and its statement of its own."""
    new_rows, sums = _fact_writes(facts, city_of, [])
    appended.add(FACT, new_rows)
    for target, key, changes in sums:
        appended.add(target, changes, Summing(key, MEASURES))


_SUMS: tuple[tuple[Table, tuple[str, ...]], ...] = ((DAILY, DAILY_KEY), (PAIR_MONTH, PAIR_KEY), (TYPE_MONTH, TYPE_KEY))


def _fact_writes(
    facts: dict[int, tuple[Matter, list[Fact]]], city_of: Callable[[str], str | None], old: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[tuple[Table, tuple[str, ...], list[dict[str, Any]]]]]:
    """The new facts' rows, and per sum table the changes that move it from the old facts to the new."""
    new_rows = [_fact_values(matter, f, city_of) for matter, found in facts.values() for f in found]
    sums: list[tuple[Table, tuple[str, ...], list[dict[str, Any]]]] = []
    for target, key in _SUMS:
        deltas: dict[tuple[Any, ...], tuple[str, Measures]] = {}
        _sum_rows(old, -1, key, deltas)
        _sum_rows(new_rows, +1, key, deltas)
        sums.append((target, key, _changes(key, deltas)))
    return new_rows, sums


async def _write_pg(
    session: AsyncSession,
    new_rows: list[dict[str, Any]],
    sums: list[tuple[Table, tuple[str, ...], list[dict[str, Any]]]],
) -> None:
    """PostgreSQL: the new facts and the three sums' upserts in one statement (data-modifying CTEs, each
    reading its rows from one JSON parameter, so the statement's text depends only on which parts it has)."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    if new_rows:
        parts.append(insert_from_json(FACT, (*FACT_COLUMNS, *MEASURES), "facts"))
        params["facts"] = rows_json(new_rows)
    for i, (target, key, changes) in enumerate(sums):
        if changes:
            added = ", ".join(f"{m} = {target.name}.{m} + EXCLUDED.{m}" for m in MEASURES)
            parts.append(
                insert_from_json(target, (*key, "city", *MEASURES), f"sums{i}")
                + f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}"
            )
            params[f"sums{i}"] = rows_json(changes)
    if parts:
        await run(session, cached_text(with_all(parts)), params)


def _month_start(session: AsyncSession, column: Any) -> Any:
    """The first day of the column's month, as a date."""
    if is_postgres(session):
        return func.cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")


async def rebuild_daily(session: AsyncSession) -> int:
    """The daily sums and the monthly sums of pairs and types recomputed from the facts (the nightly
    reconciliation's last step)."""
    sums = [func.sum(FACT.c[m]).label(m) for m in MEASURES]
    month = _month_start(session, FACT.c.day)
    for target, key in ((DAILY, DAILY_KEY), (PAIR_MONTH, PAIR_KEY), (TYPE_MONTH, TYPE_KEY)):
        await run(session, delete(target))
        dims = [month if name == "month" else FACT.c[name] for name in key] + [FACT.c.city]
        query = select(*dims, *sums).group_by(*dims)
        await run(session, insert(target).from_select([*key, "city", *MEASURES], query))
    return int((await run(session, select(func.count()).select_from(DAILY))).scalar_one())


async def delegation_ids_after(session: AsyncSession, after: int, limit: int = BATCH) -> list[int]:
    stmt = select(DELEGATION.c.id).where(DELEGATION.c.id > after, DELEGATION.c.submitted_at.is_not(None))
    return [int(i) for i in (await run(session, stmt.order_by(DELEGATION.c.id).limit(limit))).scalars()]


# ---------------------------------------------------------------- reads


def _month(session: AsyncSession, column: Any) -> Any:
    if is_postgres(session):
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return func.strftime("%Y-%m", column)


def scope_condition(table: Table, courts: Iterable[str] | None) -> ColumnElement[bool]:
    if courts is None:
        return true()
    return table.c.court.in_(sorted(set(courts)))


async def grouped(
    session: AsyncSession,
    start: date,
    end: date,
    courts: Iterable[str] | None,
    by: Sequence[str],
    *,
    source: str = "daily",
    monthly: bool = False,
) -> list[tuple[tuple[Any, ...], Measures]]:
    """Sums over [start, end) for the courts charged (None: all), grouped by `by` columns (and by month first
    when `monthly`), read from the daily sums (courts and cities), the monthly sums of court pairs or matter
    types (whole months: `start` and `end` are first days of months) or the facts (any other range)."""
    target, column = {
        "daily": (DAILY, "day"),
        "pairs": (PAIR_MONTH, "month"),
        "types": (TYPE_MONTH, "month"),
        "facts": (FACT, "day"),
    }[source]
    keys: list[Any] = [target.c[b] for b in by]
    if monthly:
        keys.insert(0, _month(session, target.c[column]).label("month"))
    sums = [func.coalesce(func.sum(target.c[m]), 0).label(m) for m in MEASURES]
    stmt: Select[Any] = select(*keys, *sums).where(
        target.c[column] >= start, target.c[column] < end, scope_condition(target, courts)
    )
    if keys:
        stmt = stmt.group_by(*keys)
    found: list[tuple[tuple[Any, ...], Measures]] = []
    for row in (await run(session, stmt)).all():
        n = len(keys)
        found.append((tuple(row[:n]), Measures(*map(int, row[n:]))))  # coalesced: never NULL
    return found


@dataclass(frozen=True)
class DrillFilter:
    """The facts behind a figure: a drill (model.DRILLS), the courts charged, days [start, end), and
    optionally a court pair or a matter type."""

    kind: str
    positive: str | None
    zero: str | None
    courts: tuple[str, ...] | None
    start: date
    end: date
    requesting: str | None = None
    assisting: str | None = None
    matter_type: str | None = None


def drill_ids(f: DrillFilter) -> Select[Any]:
    """The ids of the matters behind a figure, as a subquery for a list's WHERE id IN (...)."""
    conditions: list[ColumnElement[bool]] = [
        FACT.c.kind == f.kind,
        FACT.c.day >= f.start,
        FACT.c.day < f.end,
        scope_condition(FACT, f.courts),
    ]
    if f.positive:
        conditions.append(FACT.c[f.positive] > 0)
    if f.zero:
        conditions.append(FACT.c[f.zero] == 0)
    if f.requesting:
        conditions.append(FACT.c.requesting_court == f.requesting)
    if f.assisting:
        conditions.append(FACT.c.assisting_court == f.assisting)
    if f.matter_type:
        conditions.append(FACT.c.matter_type == f.matter_type)
    return select(FACT.c.delegation_id).where(and_(*conditions))


@dataclass(frozen=True)
class ReportRun:
    period: str
    ran_at: datetime
    path: str | None
    generated_by: str | None
    summary: dict[str, Any]


async def report_runs(session: AsyncSession, job: str) -> list[ReportRun]:
    stmt = select(JOB.c.period, JOB.c.ran_at, JOB.c.path, JOB.c.generated_by, JOB.c.summary).where(JOB.c.job == job)
    rows = (await run(session, stmt.order_by(JOB.c.period.desc()))).all()
    return [ReportRun(r[0], r[1], r[2], r[3], r[4] or {}) for r in rows]
