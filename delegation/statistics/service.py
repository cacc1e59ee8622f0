"""Statistics: facts kept current (a matter's transitions call `refresh`; the nightly flow calls
`reconcile`), and the read model of the 统计分析 page, its drill-downs and the wall screen."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core import clocks
from delegation.core.access import Actor, UserRole, command_center_covers
from delegation.core.clocks import local_day
from delegation.core.errors import FieldError, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.network.model import MATTER_ROUTES
from delegation.statistics import model
from delegation.statistics.model import Figure, Matter, Measures, NetworkFigures, Period
from delegation.store import statistics as store
from delegation.store.sql import Inserts, is_postgres
from delegation.store.statistics import DrillFilter

# ---------------------------------------------------------------- writing


async def refresh(session: AsyncSession, ref: Reference, ids: Sequence[int], now: datetime) -> int:
    """Recompute the facts of these matters in the caller's transaction (a transition, a 督办, a reconcile)."""
    await session.flush()  # the transition's clock changes may still be pending ORM objects
    old: list[dict[str, Any]] | None = None
    if is_postgres(session):
        inputs, old = await store.take_inputs(session, ids)  # one round trip, the old facts deleted
    else:
        inputs = await store.load_inputs(session, ids)
    facts = {
        i: (x.matter, model.facts_of(x.matter, x.steps, x.clocks, x.supervisions, ref.calendar, now, x.hand_backs))
        for i, x in inputs.items()
    }
    return await store.replace_facts(session, facts, ref.city_of, old)


def add_first_submission_facts(
    appended: Inserts, ref: Reference, matter: Matter, started: Sequence[clocks.Clock], now: datetime
) -> None:
    """A draft's first submission: its facts, worked out from the clocks the submission starts, added to the
    submission's own writes (one statement with the transition on PostgreSQL) instead of `refresh`'s read of
    the matter and write of its own. What refresh would compute: a draft has no facts to replace, no clocks,
    no 督办 and no hand-back, and none of its events (create, uploads, edits, the submission) is an answer or a
    completion, so its facts are those of the started clocks alone."""
    facts = model.facts_of(matter, (), started, (), ref.calendar, now)
    store.add_first_facts(appended, {matter.id: (matter, facts)}, ref.city_of)


@dataclass(frozen=True)
class Reconciled:
    matters: int
    facts: int
    daily_rows: int


async def reconcile(session: AsyncSession, ref: Reference, now: datetime, batch: int = store.BATCH) -> Reconciled:
    """Every submitted matter's facts recomputed (open breaches grow by the day), then the daily sums rebuilt
    from the facts: whatever a failed write or a calendar change left behind is put right. One transaction per
    batch, so the transitions are never held up for long."""
    matters = facts = 0
    last = 0
    while True:
        ids = await store.delegation_ids_after(session, last, batch)
        if not ids:
            break
        facts += await refresh(session, ref, ids, now)
        await session.commit()
        matters += len(ids)
        last = ids[-1]
    daily = await store.rebuild_daily(session)
    await session.commit()
    return Reconciled(matters, facts, daily)


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """Whose figures a user sees: None = every court (the regional coordinator)."""

    courts: tuple[str, ...] | None
    cities: tuple[str, ...]
    regional: bool
    own_court: str | None = None


def scope_of(ref: Reference, actor: Actor) -> Scope:
    """Regional coordinator: all; a command center: the courts of its city; court staff: their own court."""
    cities = tuple(ref.registry.cities())
    if UserRole.REGIONAL_COORDINATOR in actor.roles:
        return Scope(None, cities, True)
    if UserRole.COMMAND_CENTER in actor.roles and actor.court_code:
        courts = tuple(
            c.code
            for c in ref.registry.courts(include_retired=True)
            if command_center_covers(actor, c.code, ref.city_of)
        )
        return Scope(courts, tuple(dict.fromkeys(ref.city_of(c) or "" for c in courts[:1])), False)
    if actor.court_code and actor.roles & {UserRole.REQUESTING_OFFICER, UserRole.ASSISTING_CLERK}:
        return Scope((actor.court_code,), (ref.city_of(actor.court_code) or "",), False, actor.court_code)
    raise PermissionDenied("Statistics are for courts and command centers.", title_zh="无权查看统计分析")


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Line:
    key: tuple[str, ...]
    measures: Measures

    @property
    def figures(self) -> list[Figure]:
        return model.figures(self.measures)


@dataclass(frozen=True)
class Flow:
    source: str
    target: str
    matters: int


@dataclass
class Statistics:
    period: Period
    previous: Period
    scope: Scope
    courts: tuple[str, ...] | None  # the courts shown (scope, or a chosen court/city inside it)
    until: date  # facts counted up to this day (today for a running period)
    total: Measures
    previous_total: Measures
    by_court: list[Line]
    by_pair: list[Line]
    by_type: list[Line]
    by_city: list[Line]
    trend: list[tuple[Period, Measures]]
    flows: list[Flow] = field(default_factory=list)
    network: list[NetworkFigures] = field(default_factory=list)  # per court charged and registry kind
    network_measures: Measures = field(default_factory=Measures)  # the network lines' sum

    @property
    def network_total(self) -> NetworkFigures | None:
        return NetworkFigures.of("", "", self.network_measures) if self.network else None


def _end(period: Period, today: date) -> date:
    """Counted up to now: never past today (an open breach dated ahead is not a breach yet)."""
    return min(period.end, today + timedelta(days=1))


def _lines(rows: list[tuple[tuple[object, ...], Measures]]) -> list[Line]:
    return sorted((Line(tuple(str(k) for k in key), m) for key, m in rows), key=lambda line: line.key)


async def statistics(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    period: Period,
    *,
    court: str | None = None,
    city: str | None = None,
) -> Statistics:
    scope = scope_of(ref, actor)
    courts = courts_for(ref, scope, court, city)
    today = local_day(now)
    end = _end(period, today)
    before = model.previous(period)
    by_court = _lines(await store.grouped(session, period.start, end, courts, ("court",)))
    total = sum((line.measures for line in by_court), Measures())
    previous_total = sum(
        (m for _, m in await store.grouped(session, before.start, _end(before, today), courts, ())), Measures()
    )
    by_pair = _lines(await _detail(session, period, end, today, courts, ("requesting_court", "assisting_court")))
    # Per court and matter type once: the matter types' table, and the 网络查控 figures per court and registry.
    by_court_type = await _detail(session, period, end, today, courts, ("court", "matter_type"))
    types: dict[tuple[object, ...], Measures] = {}
    for (_court, matter_type), m in by_court_type:
        types[(matter_type,)] = types.get((matter_type,), Measures()) + m
    by_type = _lines(list(types.items()))
    network, network_measures = _network(by_court_type)
    by_city = (
        _lines(await store.grouped(session, period.start, end, None, ("city",))) if scope.regional and not court else []
    )
    months = model.last_months(today)
    monthly = {
        key[0]: m
        for key, m in await store.grouped(session, months[0].start, today + timedelta(days=1), courts, (), monthly=True)
    }
    trend = [(p, monthly.get(p.key, Measures())) for p in months]
    flows: dict[tuple[str, str], int] = defaultdict(int)
    for line in by_pair:
        source, target = (ref.city_of(c) or c for c in line.key)
        flows[(source, target)] += line.measures.answered
    return Statistics(
        period=period,
        previous=before,
        scope=scope,
        courts=courts,
        until=min(period.last_day, today),
        total=total,
        previous_total=previous_total,
        by_court=by_court,
        by_pair=by_pair,
        by_type=by_type,
        by_city=by_city,
        trend=trend,
        flows=[Flow(s, t, n) for (s, t), n in sorted(flows.items()) if n],
        network=network,
        network_measures=network_measures,
    )


def _network(by_court_type: list[tuple[tuple[object, ...], Measures]]) -> tuple[list[NetworkFigures], Measures]:
    """网络查控 per court charged and registry kind: the matter types a registry can do, summed by registry;
    the courts and registries with a completion or a hand-back."""
    sums: dict[tuple[str, str], Measures] = {}
    for (court, matter_type), m in by_court_type:
        route = MATTER_ROUTES.get(str(matter_type))
        if route is None:
            continue
        key = (str(court), route[0].value)
        sums[key] = sums.get(key, Measures()) + m
    kept = {k: m for k, m in sums.items() if m.completions or model.failures_by_cause(m)}
    total = sum(kept.values(), Measures())
    return [NetworkFigures.of(court, registry, m) for (court, registry), m in sorted(kept.items())], total


async def _detail(
    session: AsyncSession, period: Period, end: date, today: date, courts: tuple[str, ...] | None, by: tuple[str, ...]
) -> list[tuple[tuple[object, ...], Measures]]:
    """Court pairs and matter types from their monthly sums, whole months up to the running one; for the running
    month less the facts dated after today (an open period's coming breach is not one yet), which are few,
    where reading the running month's facts themselves cost a scan of every fact of the month. Custom ranges
    from the facts."""
    if period.kind == "range":
        return await store.grouped(session, period.start, end, courts, by, source="facts")
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    months_end = min(period.end, next_month)
    if period.start >= months_end:
        return []
    source = "pairs" if "requesting_court" in by else "types"
    merged = dict(await store.grouped(session, period.start, months_end, courts, by, source=source))
    if end < months_end:
        for key, ahead in await store.grouped(session, max(end, period.start), months_end, courts, by, source="facts"):
            merged[key] = merged.get(key, Measures()) - ahead
    return [(key, m) for key, m in merged.items() if not m.is_zero]


async def network_figures(
    session: AsyncSession, start: date, end: date, courts: tuple[str, ...] | None = None
) -> list[NetworkFigures]:
    """网络查控 per court charged and registry kind over the days [start, end), from the facts."""
    return _network(await store.grouped(session, start, end, courts, ("court", "matter_type"), source="facts"))[0]


def courts_for(ref: Reference, scope: Scope, court: str | None, city: str | None) -> tuple[str, ...] | None:
    """The courts of a chosen court or city, inside the user's scope (outside it: refused)."""
    if court:
        if scope.courts is not None and court not in scope.courts:
            raise PermissionDenied("That court is outside your statistics.", title_zh="该法院不在您的统计范围内")
        return (court,)
    if city:
        in_city = tuple(c.code for c in ref.registry.by_city(city, include_retired=True))
        if scope.courts is not None:
            in_city = tuple(c for c in in_city if c in scope.courts)
            if not in_city:
                raise PermissionDenied("That city is outside your statistics.", title_zh="该城市不在您的统计范围内")
        return in_city
    return scope.courts


def drill_filter(
    ref: Reference,
    actor: Actor,
    now: datetime,
    drill: str,
    period: Period,
    *,
    court: str | None = None,
    city: str | None = None,
    requesting: str | None = None,
    assisting: str | None = None,
    matter_type: str | None = None,
) -> DrillFilter:
    """The filter of the matters behind a figure (the same facts the figure sums)."""
    if drill not in model.DRILLS:
        raise ValidationFailed([FieldError("drill", "统计下钻类型无效", "unknown drill-down")])
    kind, positive, zero = model.DRILLS[drill]
    courts = courts_for(ref, scope_of(ref, actor), court, city)
    return DrillFilter(
        kind,
        positive,
        zero,
        courts,
        period.start,
        _end(period, local_day(now)),
        requesting or None,
        assisting or None,
        matter_type or None,
    )
