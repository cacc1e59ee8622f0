"""The SLA engine's use cases: the sweep that fires due rungs, and the recompute of open clocks after a
calendar or policy change. Time is a parameter; a flow (or a test) passes `now`.

Sweep, per batch of due clocks (one indexed query on next_rung_at, FOR UPDATE SKIP LOCKED on PostgreSQL so
overlapping sweeps take disjoint clocks), in ONE small transaction: claim every due (clock, rung) with
INSERT .. ON CONFLICT DO NOTHING RETURNING on the unique (clock_id, rung), write a notice + timeline event +
inbox rows + deliveries only for the rungs this transaction claimed, and move next_rung/next_rung_at on.
A crash anywhere rolls the whole batch back, rungs included, so a rerun fires them once, with their notices.
On PostgreSQL a sweep works `lanes` batches at once (settings.sla_sweep_lanes), each on its own connection:
SKIP LOCKED hands each lane clocks the others do not hold, and the database's work on one batch overlaps the
Python of the next (a sweep of 10,000 rungs is about as much of one as of the other).
A correction clock whose policy says "withdraw" is expired through service.perform as the system actor,
in its own transaction that also claims its overdue rung.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from datetime import time as dtime
from typing import Any, cast

from sqlalchemy import BindParameter, Integer, String, bindparam, func, literal_column, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.catalogue.policy import PolicyVersion
from delegation.core import clocks
from delegation.core.access import Actor
from delegation.core.clocks import RUNG_ORDER, SHANGHAI, Rung
from delegation.core.errors import Conflict, NotFound, TransitionNotAllowed, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import TERMINAL, Action, Stage
from delegation.handling.commands import Plain
from delegation.handling.service import perform
from delegation.notices import model as notices
from delegation.notices.model import KIND_OF_RUNG, STAGE_LABEL, NoticeDraft, Subject
from delegation.notices.service import prepare_supervision_drafts, store_notices
from delegation.sla import statutory
from delegation.statistics import service as statistics_service
from delegation.store import rungs
from delegation.store.context import Context
from delegation.store.db import make_sessionmaker
from delegation.store.rows import Event, clock_of, insert_events
from delegation.store.sql import (
    insert_ignoring_returning,
    is_postgres,
    pg_fetch,
    pg_statement,
    run,
    table,
    update_by_id,
)
from delegation.store.tables import ClockRow, ClockRungRow, ClockStopRow, DelegationRow, RecomputeRequestRow

CLOCK = table(ClockRow)
STOP = table(ClockStopRow)
RUNG = table(ClockRungRow)
DELEGATION = table(DelegationRow)
REQUEST = table(RecomputeRequestRow)

# 规定 第八条 is written for whole-case 委托执行; a 事项委托 opens no case (规定 第二条), so it applies by analogy.
EXPIRY_COMMENT = "补正期限届满未补正，参照《最高人民法院关于委托执行若干问题的规定》第八条，视为撤回委托"
_CHUNK = 1000  # rows per multi-row statement (well below both backends' parameter limits)


@dataclass
class SweepResult:
    working_moment: bool = True
    batches: int = 0
    clocks: int = 0
    rungs_fired: int = 0
    already_fired: int = 0  # claimed by an overlapping or earlier sweep
    notices: int = 0
    withdrawn: int = 0
    statutory_breaches: int = 0  # duties of 民诉法 第二百四十条 whose breach this sweep recorded
    supervision_drafts: int = 0  # 督办 prepared for the superior court to issue
    deferred: int = 0  # expiries that met a concurrent change; the next sweep retries them
    fired: dict[str, int] = field(default_factory=dict)
    query_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    """One due clock of a batch with what the sweep decided about it."""

    row: RowMapping
    clock: clocks.Clock
    policy: PolicyVersion
    rungs: tuple[Rung, ...]  # to claim in the batch transaction
    expire: bool  # a correction clock due to be withdrawn
    due: clocks.Due | None = None
    times: dict[Rung, datetime] = field(default_factory=dict)


def _policy(ref: Reference, version: str, now: datetime) -> PolicyVersion:
    try:
        return ref.policies.get(version)
    except NotFound:
        return ref.policies.in_force(now)


async def stops_and_fired(
    session: AsyncSession, ids: Sequence[int]
) -> tuple[dict[int, list[RowMapping]], dict[int, list[str]]]:
    stops: dict[int, list[RowMapping]] = defaultdict(list)
    fired: dict[int, list[str]] = defaultdict(list)
    if ids:
        for s in (await run(session, select(STOP).where(STOP.c.clock_id.in_(ids)))).mappings():
            stops[s["clock_id"]].append(s)
        for clock_id, rung in await run(session, select(RUNG.c.clock_id, RUNG.c.rung).where(RUNG.c.clock_id.in_(ids))):
            fired[clock_id].append(rung)
    return stops, fired


def due_clocks_query(now: datetime | BindParameter[Any], limit: int | BindParameter[Any], postgres: bool) -> Any:
    """The sweep's one indexed query: clocks whose next rung is due (ix_clock_next_rung_at)."""
    stmt = (
        select(
            CLOCK,
            DELEGATION.c.number,
            DELEGATION.c.case_number,
            DELEGATION.c.status,
            DELEGATION.c.version,
            DELEGATION.c.requesting_court,
            DELEGATION.c.assisting_court,
            DELEGATION.c.matter_type,
            DELEGATION.c.policy_version.label("delegation_policy_version"),
        )
        .join(DELEGATION, DELEGATION.c.id == CLOCK.c.delegation_id)
        .where(CLOCK.c.next_rung_at <= now)
        .order_by(CLOCK.c.next_rung_at)
        .limit(limit)
    )
    if postgres:
        # Each clock's stops (whole rows, decoded by asyncpg) and fired rungs come with it: no second and third
        # query per batch.
        stmt = stmt.add_columns(_STOPS, _FIRED).with_for_update(of=CLOCK, skip_locked=True)
    return stmt


async def _due_clocks(session: AsyncSession, now: datetime, limit: int, postgres: bool) -> Sequence[Any]:
    """The batch's due clocks, each a mapping of the columns of due_clocks_query (asyncpg's records on
    PostgreSQL)."""
    if not postgres:
        return list((await run(session, due_clocks_query(now, limit, postgres))).mappings())
    statement, names = pg_statement(session, _DUE_CLOCKS_PG)
    values = {"due_now": now, "due_limit": limit}
    return await pg_fetch(session, statement, *(values[name] for name in names))


_STOPS: Any = literal_column("ARRAY(SELECT s FROM clock_stop s WHERE s.clock_id = stage_clock.id)").label("stops")
_FIRED: Any = literal_column("ARRAY(SELECT r.rung FROM clock_rung r WHERE r.clock_id = stage_clock.id)").label("fired")
# PostgreSQL: the query built once with its two parameters and run on asyncpg (sql.pg_fetch): its records are
# read as they come, without a result layer converting 500 rows of 28 columns per batch.
_DUE_CLOCKS_PG = due_clocks_query(
    bindparam("due_now", type_=CLOCK.c.next_rung_at.type), bindparam("due_limit", type_=Integer()), True
)


async def _claim_rungs(
    session: AsyncSession, claims: Sequence[tuple[int, Rung]], now: datetime
) -> set[tuple[int, str]]:
    """Insert the rungs; the unique (clock_id, rung) lets only the first transaction have each."""
    params = [{"clock_id": c, "rung": r.value, "fired_at": now} for c, r in claims]
    claimed = await insert_ignoring_returning(session, RUNG, [RUNG.c.clock_id, RUNG.c.rung], params)
    return {(int(c), str(r)) for c, r in claimed}


def _subject(m: RowMapping, clock: clocks.Clock, due: clocks.Due | None) -> Subject:
    return Subject(
        delegation_id=m["delegation_id"],
        number=m["number"],
        case_number=m["case_number"],
        matter_type=m["matter_type"],
        policy_version=m["delegation_policy_version"],
        status=m["status"],
        requesting_court=m["requesting_court"],
        assisting_court=m["assisting_court"],
        clock_id=m["id"],
        stage=clock.stage,
        holder=clock.court_code,
        due=due,
    )


@dataclass
class _Memo:
    """What a batch has already worked out: clocks of one policy version share it, clocks started the same
    day share their due time and rung times."""

    policies: dict[str, PolicyVersion] = field(default_factory=dict)
    dues: dict[Any, clocks.Due | None] = field(default_factory=dict)
    times: dict[Any, dict[Rung, datetime]] = field(default_factory=dict)


_UNKNOWN: Any = object()


def _decide(m: RowMapping, clock: clocks.Clock, ref: Reference, now: datetime, memo: _Memo) -> _Due:
    policy = memo.policies.get(clock.policy_version)
    if policy is None:
        policy = memo.policies[clock.policy_version] = _policy(ref, clock.policy_version, now)
    if m["status"] in TERMINAL or not clock.is_open:
        return _Due(m, clock, policy, (), False)
    # Clocks alike but for their ids (a cohort started the same day) share their due time.
    period = (
        clock.budget_days,
        clock.unit,
        clock.started_at,
        clock.anchor_date,
        clock.extra_days,
        clock.extra_working_days,
        clock.latest_due,
        clock.stops,
    )
    current = memo.dues.get(period, _UNKNOWN)
    if current is _UNKNOWN:
        current = memo.dues[period] = clocks.due(clock, ref.calendar)
    times: dict[Rung, datetime] = {}
    if current is not None:
        # The rungs' times depend only on the due time and the policy's rungs: clocks due the same day share them.
        rung_policy = ref.rung_policy(policy)
        found = memo.times.get((current, rung_policy))
        if found is None:
            found = clocks.rung_times_for(clock, current, ref.calendar, rung_policy)
            memo.times[(current, rung_policy)] = found
        times = found
    due = tuple(r for r in RUNG_ORDER if r in times and r not in clock.fired and times[r] <= now)
    if _withdraws(clock, policy) and any(r is not Rung.DUE_SOON for r in due):
        # Expiry is the transition itself, not a 催办; the later rungs never apply to it.
        return _Due(m, clock, policy, tuple(r for r in due if r is Rung.DUE_SOON), True, current, times)
    return _Due(m, clock, policy, due, False, current, times)


def _withdraws(clock: clocks.Clock, policy: PolicyVersion) -> bool:
    return clock.stage is Stage.CORRECTION and policy.on_expiry("correction") == "withdraw"


async def _move_clocks(session: AsyncSession, moves: Sequence[dict[str, Any]]) -> None:
    """Each open clock's next rung and its time (rows of id, next_rung, next_rung_at)."""
    await update_by_id(session, CLOCK, moves, only_where=CLOCK.c.closed_at.is_(None))


def _issues_notice(ref: Reference, d: _Due, rung: Rung, now: datetime) -> bool:
    """A 督办 is a court's act in its own name: unless the policy auto-issues, the rung prepares a draft for the
    superior court's command center to issue instead of a notice."""
    if rung is not Rung.SUPERVISE:
        return True
    return _policy(ref, d.row["delegation_policy_version"], now).rungs.supervise_auto_issue


async def _process_batch(
    session: AsyncSession,
    ref: Reference,
    now: datetime,
    rows: Sequence[RowMapping],
    result: SweepResult,
) -> list[_Due]:
    if is_postgres(session):  # stops and fired rungs read with the clocks
        stops = {m["id"]: m["stops"] for m in rows}
        fired = {m["id"]: m["fired"] for m in rows}
    else:
        stops, fired = await stops_and_fired(session, [m["id"] for m in rows])
    memo = _Memo()
    decided = [_decide(m, clock_of(m, stops[m["id"]], fired[m["id"]]), ref, now, memo) for m in rows]
    claims = [(d.row["id"], r.value, _issues_notice(ref, d, r, now)) for d in decided for r in d.rungs]
    won = await rungs.claim(session, claims, now)
    result.already_fired += len(claims) - len(won)
    drafts: list[NoticeDraft] = []
    notice_ids: list[int] = []  # PostgreSQL: drawn with the claims
    held: list[NoticeDraft] = []
    moves: list[dict[str, Any]] = []
    touched: set[int] = set()
    for d in decided:
        fired_now = d.clock.fired | frozenset(d.rungs)  # claimed by us or by someone before us: fired either way
        for rung in d.rungs:
            key = (d.row["id"], rung.value)
            if key not in won:
                continue
            result.fired[rung.value] = result.fired.get(rung.value, 0) + 1
            result.rungs_fired += 1
            draft = notices.draft(
                ref,
                KIND_OF_RUNG[rung],
                _subject(d.row, d.clock, d.due),
                now,
                rung=rung,
                issued_by="system",
                requires_ack=d.policy.rungs.supervise_requires_acknowledgement if rung is Rung.SUPERVISE else False,
                withdraw_on_expiry=_withdraws(d.clock, d.policy),
            )
            notice_id = won[key]
            if notice_id is not None:
                notice_ids.append(notice_id)
            (drafts if _issues_notice(ref, d, rung, now) else held).append(draft)
            # A breach began or a 督办 went out: the matter's statistics facts follow. A reminder comes before
            # the due time and changes none of them (no breach, no 督办): refreshing would write them as they are.
            if rung is not Rung.DUE_SOON:
                touched.add(d.row["delegation_id"])
        upcoming = None if d.row["status"] in TERMINAL else clocks.first_pending(d.times, fired_now)
        next_rung, next_at = (upcoming[0].value, upcoming[1]) if upcoming else (None, None)
        if (next_rung, next_at) != (d.row["next_rung"], d.row["next_rung_at"]):
            moves.append({"id": d.row["id"], "next_rung": next_rung, "next_rung_at": next_at})
    await store_notices(session, ref, drafts, ids=notice_ids if notice_ids else None)
    await prepare_supervision_drafts(session, ref, held)
    await _move_clocks(session, moves)
    if touched:
        await statistics_service.refresh(session, ref, sorted(touched), now)
    result.notices += len(drafts)
    result.supervision_drafts += len(held)
    return [d for d in decided if d.expire]


async def _expire(session: AsyncSession, ref: Reference, now: datetime, d: _Due, result: SweepResult) -> None:
    """Withdraw a delegation whose correction period ran out: the rung and the transition in one transaction."""
    clock_id, delegation_id = d.row["id"], d.row["delegation_id"]
    try:
        won = await _claim_rungs(session, [(clock_id, Rung.OVERDUE)], now)
        if not won:
            await session.rollback()
            result.already_fired += 1
            return
        system = Context(session, ref, Actor.system(), now)
        await perform(system, delegation_id, Action.EXPIRE_CORRECTION, d.row["version"], Plain(EXPIRY_COMMENT))
        result.withdrawn += 1
        result.fired[Rung.OVERDUE.value] = result.fired.get(Rung.OVERDUE.value, 0) + 1
        result.rungs_fired += 1
    except Conflict:
        await session.rollback()  # changed meanwhile (e.g. resubmitted): the next sweep looks again
        result.deferred += 1
    except TransitionNotAllowed:
        # Not in a state that can expire any more: keep the rung so the clock stops coming back.
        await session.rollback()
        await _claim_rungs(session, [(clock_id, Rung.OVERDUE)], now)
        await _move_clocks(session, [{"id": clock_id, "next_rung": None, "next_rung_at": None}])
        await session.commit()
    finally:
        session.expunge_all()


async def sweep(
    session: AsyncSession, ref: Reference, now: datetime, batch_size: int = 500, lanes: int = 2
) -> SweepResult:
    """Fire every rung due at `now` and record the statutory breaches; nothing outside working hours (a due
    rung, or a breach's notification, waits for the next one). On PostgreSQL up to `lanes` batches are worked
    at once, each in its own transaction on its own connection (see _sweep_rungs)."""
    result = SweepResult()
    if not ref.calendar.is_working_moment(now):
        result.working_moment = False
        return result
    if not await _anything_due(session, now, result):
        return result
    await _sweep_rungs(session, ref, now, batch_size, result, lanes)
    result.statutory_breaches = await statutory.record_breaches(session, ref, now, batch_size)
    return result


# The first rung to come and the first unrecorded statutory due time: each the first entry of its index
# (ix_clock_next_rung_at, ix_statutory_unrecorded_due), compared with `now` here rather than in SQL. The statement
# has no parameter, so its one plan is the right one: with `next_rung_at <= :now` the prepared statement went
# over to PostgreSQL's generic plan after five runs, which expects a third of the clocks to match and scans
# stage_clock from the start (5 ms at 50,000 clocks, growing with the table) instead of reading one index entry.
_FIRST_DUE = select(
    select(func.min(CLOCK.c.next_rung_at)).scalar_subquery(),
    select(func.min(statutory.DUTY.c.due_at)).where(statutory.unrecorded_condition()).scalar_subquery(),
)


async def _anything_due(session: AsyncSession, now: datetime, result: SweepResult) -> bool:
    """One indexed query: is any rung due, or any statutory breach unrecorded? Most sweeps (every minute) find
    nothing and end here; otherwise the batches follow, each in its own transaction."""
    started = time.perf_counter()
    if is_postgres(session):
        # On its own, outside a transaction: one round trip, without a BEGIN before it and a ROLLBACK after.
        rung_at, breach_at = (await pg_fetch(session, pg_statement(session, _FIRST_DUE)[0], begin=False))[0]
    else:
        rung_at, breach_at = (await run(session, _FIRST_DUE)).one()
    result.query_ms.append((time.perf_counter() - started) * 1000)
    if (rung_at is not None and rung_at <= now) or (breach_at is not None and breach_at <= now):
        return True
    await session.rollback()
    return False


async def _sweep_rungs(
    session: AsyncSession, ref: Reference, now: datetime, batch_size: int, result: SweepResult, lanes: int
) -> None:
    """Work the due clocks batch by batch. On PostgreSQL the batches go to `lanes` concurrent workers, the
    caller's session and new ones on the same engine: FOR UPDATE SKIP LOCKED hands each worker clocks no other
    holds, and while one worker's statements run in the database the next batch is prepared in Python, so a
    large sweep uses both the database's core and the application's. SQLite has one writer: one lane."""
    seen: set[int] = set()
    if lanes <= 1 or not is_postgres(session):
        await _lane(session, ref, now, batch_size, result, seen)
        return
    sessions = make_sessionmaker(cast(AsyncEngine, session.bind))

    async def extra_lane() -> None:
        async with sessions() as own:
            await _lane(own, ref, now, batch_size, result, seen)

    try:
        async with asyncio.TaskGroup() as lanes_running:  # one lane failing stops the others (its batch rolls back)
            lanes_running.create_task(_lane(session, ref, now, batch_size, result, seen))
            for _ in range(lanes - 1):
                lanes_running.create_task(extra_lane())
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None  # what one lane ran into, as a sweep of one lane raises it


async def _lane(
    session: AsyncSession, ref: Reference, now: datetime, batch_size: int, result: SweepResult, seen: set[int]
) -> None:
    postgres = is_postgres(session)
    while True:
        started = time.perf_counter()
        rows = await _due_clocks(session, now, batch_size, postgres)
        result.query_ms.append((time.perf_counter() - started) * 1000)
        fresh = [m for m in rows if m["id"] not in seen]
        if not fresh:
            await session.rollback()
            return
        seen.update(m["id"] for m in fresh)
        expiring = await _process_batch(session, ref, now, fresh, result)
        await session.commit()
        session.expunge_all()
        result.batches += 1
        result.clocks += len(fresh)
        for d in expiring:
            await _expire(session, ref, now, d, result)
        if len(rows) < batch_size:
            return


# ---------------------------------------------------------------- recompute


@dataclass
class RecomputeResult:
    clocks: int = 0
    changed: int = 0
    moved: int = 0  # due time (or its provisional mark) changed; one timeline event each
    adopted_policy: int = 0
    statutory_moved: int = 0  # statutory clocks whose due day moved with the calendar
    requests: list[int] = field(default_factory=list)


def _adopt(clock: clocks.Clock, matter_type: str, policy: PolicyVersion) -> clocks.Clock:
    if clock.policy_version == policy.version:
        return clock
    try:
        budget = policy.budget(matter_type, clock.stage.value)
    except ValidationFailed:
        return clock  # the new version has no such stage for this matter: keep the old budget
    return replace(clock, budget_days=budget.days, unit=clocks.Unit(budget.unit), policy_version=policy.version)


def _text(at: datetime | None, provisional: bool) -> str:
    if at is None:
        return "暂停计时"
    return notices.due_text(at) + ("（暂定）" if provisional else "")


async def recompute_deadlines(
    session: AsyncSession,
    ref: Reference,
    now: datetime,
    *,
    reason: str,
    source: str = "manual",
    adopt_policy: bool = False,
    batch_size: int = 1000,
) -> RecomputeResult:
    """Recompute due time and next rung of every open clock with the current calendar (and, after a policy
    change, the budget of the version in force); one kind="clock" event per moved due time, old -> new."""
    result = RecomputeResult()
    in_force = ref.policies.in_force(now)
    last_id = 0
    while True:
        stmt = (
            select(CLOCK, DELEGATION.c.status, DELEGATION.c.matter_type)
            .join(DELEGATION, DELEGATION.c.id == CLOCK.c.delegation_id)
            .where(CLOCK.c.closed_at.is_(None), CLOCK.c.id > last_id)
            .order_by(CLOCK.c.id)
            .limit(batch_size)
        )
        rows = list((await run(session, stmt)).mappings())
        if not rows:
            await session.rollback()
            result.statutory_moved = await statutory.recompute_due(session, ref)
            return result
        stops, fired = await stops_and_fired(session, [m["id"] for m in rows])
        updates: list[dict[str, Any]] = []
        events: list[Event] = []
        for m in rows:
            old = clock_of(m, stops[m["id"]], fired[m["id"]])
            new = _adopt(old, m["matter_type"], in_force) if adopt_policy else old
            policy = _policy(ref, new.policy_version, now)
            derived = clocks.derive(new, ref.calendar, ref.rung_policy(policy), settled=m["status"] in TERMINAL)
            due_at, provisional = derived.due_at, derived.provisional
            next_rung = derived.next_rung.value if derived.next_rung else None
            next_at = derived.next_rung_at
            before = (m["due_at"], m["due_provisional"], m["next_rung"], m["next_rung_at"], m["budget_days"])
            after = (due_at, provisional, next_rung, next_at, new.budget_days)
            if before == after and new.policy_version == old.policy_version:
                continue
            result.changed += 1
            result.adopted_policy += new.policy_version != old.policy_version
            updates.append(
                {
                    "b_id": m["id"],
                    "b_due": due_at,
                    "b_prov": provisional,
                    "b_rung": next_rung,
                    "b_at": next_at,
                    "b_budget": new.budget_days,
                    "b_unit": new.unit.value,
                    "b_version": new.policy_version,
                }
            )
            if (m["due_at"], m["due_provisional"]) != (due_at, provisional):
                result.moved += 1
                stage = STAGE_LABEL.get(new.stage, new.stage)
                events.append(
                    Event(
                        delegation_id=m["delegation_id"],
                        kind="clock",
                        action="recompute_due",
                        from_status=m["status"],
                        to_status=m["status"],
                        actor="system",
                        actor_court=None,
                        actor_role="system",
                        at=now,
                        comment=(
                            f"{stage}期限由{_text(m['due_at'], m['due_provisional'])}"
                            f"调整为{_text(due_at, provisional)}：{reason}"
                        )[:4000],
                        data={
                            "clock_id": m["id"],
                            "stage": new.stage.value,
                            "court": new.court_code,
                            "old_due_at": m["due_at"].isoformat() if m["due_at"] else None,
                            "new_due_at": due_at.isoformat() if due_at else None,
                            "old_provisional": bool(m["due_provisional"]),
                            "new_provisional": provisional,
                            "old_budget_days": m["budget_days"],
                            "new_budget_days": new.budget_days,
                            "old_policy_version": old.policy_version,
                            "new_policy_version": new.policy_version,
                            "source": source,
                            "reason": reason,
                        },
                    )
                )
        if updates:
            stmt_update = (
                update(CLOCK)
                .where(CLOCK.c.id == bindparam("b_id"), CLOCK.c.closed_at.is_(None))
                .values(
                    due_at=bindparam("b_due", type_=CLOCK.c.due_at.type),
                    due_provisional=bindparam("b_prov"),
                    next_rung=bindparam("b_rung", type_=String()),
                    next_rung_at=bindparam("b_at", type_=CLOCK.c.next_rung_at.type),
                    budget_days=bindparam("b_budget", type_=Integer()),
                    unit=bindparam("b_unit", type_=String()),
                    policy_version=bindparam("b_version", type_=String()),
                )
            )
            conn = await session.connection()
            await conn.execute(stmt_update, updates)
        await insert_events(session, events)
        await session.commit()
        result.clocks += len(rows)
        last_id = rows[-1]["id"]


def _start_of(day: Any) -> datetime:
    return datetime.combine(day, dtime(0), tzinfo=SHANGHAI)


def request_recompute(
    session: AsyncSession,
    *,
    source: str,
    reason: str,
    requested_by: str,
    now: datetime,
    run_after: datetime | None = None,
) -> None:
    """Queue a recompute in the caller's transaction (written with the schedule or policy it is about)."""
    session.add(
        RecomputeRequestRow(
            source=source,
            reason=reason[:500],
            requested_by=requested_by,
            requested_at=now,
            run_after=max(now, run_after) if run_after else now,
        )
    )


def policy_run_after(policy: PolicyVersion) -> datetime:
    """A policy version is applied to running clocks from the start of its first day."""
    return _start_of(policy.effective_from)


async def run_pending_recomputes(session: AsyncSession, ref: Reference, now: datetime) -> RecomputeResult | None:
    """Claim the due recompute requests and recompute once for all of them; None when none is due."""
    pending = (REQUEST.c.done_at.is_(None)) & (REQUEST.c.run_after <= now)
    claimed = list(
        (
            await run(
                session,
                update(REQUEST)
                .where(pending)
                .values(done_at=now)
                .returning(REQUEST.c.id, REQUEST.c.source, REQUEST.c.reason),
            )
        ).all()
    )
    await session.commit()
    if not claimed:
        return None
    ids = [int(i) for i, _, _ in claimed]
    try:
        result = await recompute_deadlines(
            session,
            ref,
            now,
            reason="；".join(dict.fromkeys(r for _, _, r in claimed)),
            source=",".join(sorted({s for _, s, _ in claimed})),
            adopt_policy=any(s == "policy" for _, s, _ in claimed),
        )
    except BaseException:
        await session.rollback()
        await run(session, update(REQUEST).where(REQUEST.c.id.in_(ids)).values(done_at=None))
        await session.commit()
        raise
    result.requests = ids
    summary = {
        "clocks": result.clocks,
        "changed": result.changed,
        "moved": result.moved,
        "adopted_policy": result.adopted_policy,
    }
    await run(session, update(REQUEST).where(REQUEST.c.id.in_(ids)).values(result=summary))
    await session.commit()
    return result
