"""Statistics: facts kept current (a matter's transitions call `refresh`; the nightly flow calls
`reconcile`), and the read model of the 统计分析 page, its drill-downs and the wall screen."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, UserRole, command_center_covers
from delegation.core.clocks import local_day
from delegation.core.errors import FieldError, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.statistics import model
from delegation.statistics.model import Figure, Measures, Period
from delegation.store import statistics as store
from delegation.store.sql import is_postgres
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
        i: (x.matter, model.facts_of(x.matter, x.steps, x.clocks, x.supervisions, ref.calendar, now))
        for i, x in inputs.items()
    }
    return await store.replace_facts(session, facts, ref.city_of, old)


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
    by_type = _lines(await _detail(session, period, end, today, courts, ("matter_type",)))
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
    )


async def _detail(
    session: AsyncSession, period: Period, end: date, today: date, courts: tuple[str, ...] | None, by: tuple[str, ...]
) -> list[tuple[tuple[object, ...], Measures]]:
    """Court pairs and matter types: whole past months from the monthly sums, the running month and custom
    ranges from the facts themselves (so nothing dated after today counts)."""
    parts: list[tuple[tuple[object, ...], Measures]] = []
    this_month = today.replace(day=1)
    if period.kind == "range":
        parts += await store.grouped(session, period.start, end, courts, by, source="facts")
    else:
        closed_end = min(end, this_month)
        if period.start < closed_end:
            source = "pairs" if "requesting_court" in by else "types"
            parts += await store.grouped(session, period.start, closed_end, courts, by, source=source)
        if end > max(period.start, this_month):
            parts += await store.grouped(session, max(period.start, this_month), end, courts, by, source="facts")
    merged: dict[tuple[object, ...], Measures] = {}
    for key, m in parts:
        merged[key] = merged.get(key, Measures()) + m
    return list(merged.items())


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
