"""The monthly report (first working day of a month, for the month before): facts from the events, clocks
and notices, metrics from delegation.reports.model, an .xlsx saved through the caller and recorded in job_run."""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core import clocks
from delegation.core.clocks import local_day
from delegation.core.errors import FieldError, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Stage
from delegation.handling.rules import RETURN_REASONS
from delegation.reports import kpis
from delegation.reports import model as reports
from delegation.reports.digest import claim_job
from delegation.sla.service import stops_and_fired
from delegation.store.blobs import BlobStore
from delegation.store.rows import clock_of
from delegation.store.sql import run, table
from delegation.store.tables import ClockRow, DelegationRow, EventRow, JobRunRow, NoticeRow

CLOCK = table(ClockRow)
DELEGATION = table(DelegationRow)
EVENT = table(EventRow)
NOTICE = table(NoticeRow)
JOB = table(JobRunRow)
ANSWERS = ("sign_for", "return_for_correction", "decline")
JOB_NAME = "monthly_report"

Save = Callable[[str, bytes], Awaitable[str]]  # (file name, workbook) -> where it was kept
REPORTS_PREFIX = "reports/"  # reports sit in the document store beside documents/, under their own prefix


def report_key(filename: str, data: bytes) -> str:
    """The store key of a report: its name with the workbook's digest. Stored objects are immutable, so a report
    made again is a new object, and a link to an earlier one never changes under a reader."""
    stem, dot, suffix = filename.rpartition(".")
    return f"{REPORTS_PREFIX}{stem or suffix}-{hashlib.sha256(data).hexdigest()[:12]}{dot}{suffix if stem else ''}"


async def store_report(store: BlobStore, filename: str, data: bytes) -> str:
    """Keep a report's workbook in the document store (the local folder or S3); returns its key."""
    key = report_key(filename, data)
    await asyncio.to_thread(store.put, key, data)
    return key


@dataclass
class ReportResult:
    ran: bool
    reason: str = ""
    period: str = ""
    path: str | None = None
    summary: dict[str, object] = field(default_factory=dict)


def first_working_day(ref: Reference, year: int, month: int) -> date:
    first = date(year, month, 1)
    return first if ref.calendar.is_working_day(first) else ref.calendar.next_working_day(first)


def parse_period(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
        date(year, month, 1)
    except ValueError:
        raise ValidationFailed([FieldError("month", "月份格式应为YYYY-MM", "month must be YYYY-MM")]) from None
    return year, month


async def _answers(session: AsyncSession, ref: Reference, start: datetime, end: datetime) -> list[reports.Answer]:
    events = list(
        (
            await run(
                session,
                select(
                    EVENT.c.delegation_id,
                    EVENT.c.action,
                    EVENT.c.actor_court,
                    EVENT.c.at,
                    EVENT.c.data,
                    DELEGATION.c.requesting_court,
                )
                .join(DELEGATION, DELEGATION.c.id == EVENT.c.delegation_id)
                .where(
                    EVENT.c.kind == "transition", EVENT.c.action.in_(ANSWERS), EVENT.c.at >= start, EVENT.c.at < end
                ),
            )
        ).mappings()
    )
    ids = sorted({e["delegation_id"] for e in events})
    by_delegation: dict[int, list[RowMapping]] = defaultdict(list)
    stops: dict[int, list[RowMapping]] = {}
    if ids:
        rows = list(
            (
                await run(
                    session,
                    select(CLOCK).where(CLOCK.c.delegation_id.in_(ids), CLOCK.c.stage == Stage.SIGN_FOR.value),
                )
            ).mappings()
        )
        for m in rows:
            by_delegation[m["delegation_id"]].append(m)
        stops, _ = await stops_and_fired(session, [m["id"] for m in rows])
    ref_answers: list[reports.Answer] = []
    for e in events:
        court = e["actor_court"] or ""
        on_time = True
        for m in by_delegation.get(e["delegation_id"], []):
            if m["court_code"] != court or m["started_at"] > e["at"] or (m["closed_at"] and m["closed_at"] < e["at"]):
                continue
            clock = clock_of(m, [s for s in stops.get(m["id"], []) if s["stopped_at"] < e["at"]], [])
            due_then = clocks.due(replace(clock, closed_at=None), ref.calendar)
            on_time = due_then is None or e["at"] <= due_then.at
            break
        data = e["data"] or {}
        ref_answers.append(
            reports.Answer(
                e["delegation_id"], court, e["requesting_court"], on_time, e["action"], data.get("reason_code")
            )
        )
    return ref_answers


async def _completions(
    session: AsyncSession, ref: Reference, start: datetime, end: datetime
) -> list[reports.Completion]:
    events = list(
        (
            await run(
                session,
                select(
                    EVENT.c.delegation_id,
                    EVENT.c.actor_court,
                    EVENT.c.at,
                    DELEGATION.c.requesting_court,
                )
                .join(DELEGATION, DELEGATION.c.id == EVENT.c.delegation_id)
                .where(
                    EVENT.c.kind == "transition", EVENT.c.action == "complete", EVENT.c.at >= start, EVENT.c.at < end
                ),
            )
        ).mappings()
    )
    ids = sorted({e["delegation_id"] for e in events})
    closed: dict[tuple[int, datetime], RowMapping] = {}
    stops: dict[int, list[RowMapping]] = {}
    signed: dict[int, list[datetime]] = defaultdict(list)
    # Time not on the assisting court: its clocks' stops, and the requester's own periods (confirmation
    # before a rework, correction) that fall between sign-for and completion.
    waiting: dict[int, list[kpis.Interval]] = defaultdict(list)
    if ids:
        rows = list((await run(session, select(CLOCK).where(CLOCK.c.delegation_id.in_(ids)))).mappings())
        closed = {
            (m["delegation_id"], m["closed_at"]): m
            for m in rows
            if m["stage"] == Stage.EXECUTION.value and m["closed_at"] is not None
        }
        stops, _ = await stops_and_fired(session, [m["id"] for m in rows])
        for m in rows:
            if m["stage"] in (Stage.CONFIRMATION.value, Stage.CORRECTION.value):
                waiting[m["delegation_id"]].append((m["started_at"], m["closed_at"]))
            else:
                waiting[m["delegation_id"]] += [(s["stopped_at"], s["resumed_at"]) for s in stops.get(m["id"], [])]
        for delegation_id, at in await run(
            session,
            select(EVENT.c.delegation_id, EVENT.c.at).where(
                EVENT.c.delegation_id.in_(ids), EVENT.c.kind == "transition", EVENT.c.action == "sign_for"
            ),
        ):
            signed[delegation_id].append(at)
    found: list[reports.Completion] = []
    for e in events:
        m = closed.get((e["delegation_id"], e["at"]))
        on_time = True
        if m is not None:
            on_time = not clocks.is_breached(clock_of(m, stops.get(m["id"], []), []), e["at"], ref.calendar)
        sign_for = max((at for at in signed.get(e["delegation_id"], []) if at <= e["at"]), default=None)
        days = (
            kpis.handling_working_days(sign_for, e["at"], waiting.get(e["delegation_id"], []), ref.calendar)
            if sign_for is not None
            else None
        )
        found.append(reports.Completion(e["actor_court"] or "", e["requesting_court"], on_time, days))
    return found


async def _delays(session: AsyncSession, ref: Reference, start: datetime, end: datetime) -> list[reports.Delay]:
    """Every period past due by ``end`` (keyset batches): its working days late inside the window, and
    whether its matter counts in the window's 超期件数 (the first breach of that matter and court)."""
    breaches: list[kpis.Breach] = []
    last_id = 0
    while True:
        rows = list(
            (
                await run(
                    session,
                    select(CLOCK, DELEGATION.c.requesting_court, DELEGATION.c.assisting_court)
                    .join(DELEGATION, DELEGATION.c.id == CLOCK.c.delegation_id)
                    .where(
                        CLOCK.c.due_at < end,
                        CLOCK.c.started_at < end,
                        (CLOCK.c.closed_at.is_(None)) | (CLOCK.c.closed_at >= CLOCK.c.due_at),
                        CLOCK.c.id > last_id,
                    )
                    .order_by(CLOCK.c.id)
                    .limit(5000),
                )
            ).mappings()
        )
        if not rows:
            break
        stops, _ = await stops_and_fired(session, [m["id"] for m in rows])
        for m in rows:
            clock = clock_of(m, stops.get(m["id"], []), [])
            if clock.closed_at is not None and clock.closed_at >= end:
                clock = replace(clock, closed_at=None, stops=tuple(s for s in clock.stops if s.stopped_at < end))
            due = clocks.due(clock, ref.calendar)
            if due is None or not clocks.is_breached(clock, end, ref.calendar):
                continue
            breaches.append(
                kpis.Breach(
                    m["delegation_id"],
                    m["court_code"],
                    m["requesting_court"],
                    m["assisting_court"],
                    due.at,
                    due.day,
                    clock.closed_at,
                    tuple((stop.stopped_at, stop.resumed_at) for stop in clock.stops),
                )
            )
        last_id = rows[-1]["id"]
    counted = {(b.delegation_id, b.court, b.began_at) for b in kpis.first_breaches(breaches, start, end)}
    found: list[reports.Delay] = []
    for b in breaches:
        late = kpis.working_days_late_in(b, start, end, ref.calendar)
        new = (b.delegation_id, b.court, b.began_at) in counted
        if late or new:
            found.append(reports.Delay(b.court, b.requesting, b.assisting, late, b.delegation_id, new))
    return found


async def _supervisions(session: AsyncSession, start: datetime, end: datetime) -> list[reports.Supervision]:
    rows = (
        await run(
            session,
            select(NOTICE.c.to_court, NOTICE.c.ack_seconds, DELEGATION.c.requesting_court, DELEGATION.c.assisting_court)
            .join(DELEGATION, DELEGATION.c.id == NOTICE.c.delegation_id)
            .where(NOTICE.c.kind == "supervise", NOTICE.c.issued_at >= start, NOTICE.c.issued_at < end),
        )
    ).mappings()
    return [
        reports.Supervision(m["to_court"], m["requesting_court"], m["assisting_court"], m["ack_seconds"]) for m in rows
    ]


async def build_report(
    session: AsyncSession, ref: Reference, year: int, month: int, now: datetime | None = None
) -> reports.MonthlyReport:
    """The month's figures; for a month still running at ``now``, counted up to ``now``."""
    start, end = reports.month_bounds(year, month, now)
    report = reports.build(
        f"{year:04d}-{month:02d}",
        await _answers(session, ref, start, end),
        await _completions(session, ref, start, end),
        await _delays(session, ref, start, end),
        await _supervisions(session, start, end),
    )
    await session.rollback()
    return report


async def monthly_report(
    session: AsyncSession,
    ref: Reference,
    now: datetime,
    save: Save,
    month: str | None = None,
    generated_by: str | None = None,
) -> ReportResult:
    """On the first working day of a month, the report of the month before (or of `month`, on demand)."""
    today = local_day(now)
    if month is None:
        if today != first_working_day(ref, today.year, today.month):
            return ReportResult(False, f"{today} is not the first working day of its month")
        year, mon = reports.previous_month(today)
    else:
        year, mon = parse_period(month)
    period = f"{year:04d}-{mon:02d}"
    existing = (await run(session, select(JOB.c.path).where(JOB.c.job == JOB_NAME, JOB.c.period == period))).first()
    await session.rollback()
    if existing is not None and month is None:
        return ReportResult(False, f"the report of {period} was already made", period, existing[0])
    report = await build_report(session, ref, year, mon, now)
    names = {c.code: c.name for c in ref.registry.courts(include_retired=True)}
    data = reports.to_xlsx(report, names, RETURN_REASONS)
    path = await save(f"monthly-report-{period}.xlsx", data)
    summary = report.summary()
    try:
        if not await claim_job(session, JOB_NAME, period, now, path=path, summary=summary):
            await run(
                session,
                JOB.update()
                .where(JOB.c.job == JOB_NAME, JOB.c.period == period)
                .values(ran_at=now, path=path, summary=summary),
            )
        await run(  # who made it: the flow run, or the user who made it again
            session,
            JOB.update().where(JOB.c.job == JOB_NAME, JOB.c.period == period).values(generated_by=generated_by),
        )
        await session.commit()
    except IntegrityError:
        await session.rollback()
    return ReportResult(True, "", period, path, summary)
