"""The daily digest (08:30 Asia/Shanghai, working days only): per court, what falls due today and what is
overdue; per command center, the overdue matters held by the courts of its city. Once per day (job_run)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import UserRole
from delegation.core.clocks import Due, due_day_of, end_of_day, local_day
from delegation.core.reference import Reference
from delegation.core.states import TERMINAL
from delegation.notices.model import STAGE_LABEL, court_name, day_text, days_overdue, due_text
from delegation.outbox import texts
from delegation.outbox.intents import digest_intent
from delegation.outbox.model import Audience, Intent, event_id_for_key
from delegation.outbox.service import load_directory, write_intents
from delegation.store.sql import insert_ignoring, run, table
from delegation.store.tables import ClockRow, DelegationRow, JobRunRow

CLOCK = table(ClockRow)
DELEGATION = table(DelegationRow)
JOB = table(JobRunRow)
MAX_LINES = 200  # per list in one digest; the count is always complete


@dataclass
class DigestResult:
    ran: bool
    reason: str = ""
    courts: int = 0
    centers: int = 0
    due_today: int = 0
    overdue: int = 0


async def claim_job(session: AsyncSession, job: str, period: str, now: datetime, **values: Any) -> bool:
    """Insert the (job, period) row in the caller's transaction; False when it exists (already done)."""
    stmt = (
        insert_ignoring(session, JOB, [JOB.c.job, JOB.c.period])
        .values(job=job, period=period, ran_at=now, path=values.get("path"), summary=values.get("summary", {}))
        .returning(JOB.c.id)
    )
    return (await run(session, stmt)).first() is not None


async def daily_digest(session: AsyncSession, ref: Reference, now: datetime) -> DigestResult:
    today = local_day(now)
    if not ref.calendar.is_working_day(today):
        return DigestResult(False, f"{today} is not a working day")
    if not await claim_job(session, "daily_digest", today.isoformat(), now):
        await session.rollback()
        return DigestResult(False, f"the digest of {today} was already sent")
    stmt = (
        select(
            CLOCK.c.id,
            CLOCK.c.stage,
            CLOCK.c.court_code,
            CLOCK.c.due_at,
            CLOCK.c.due_provisional,
            DELEGATION.c.number,
            DELEGATION.c.case_number,
            DELEGATION.c.status,
        )
        .join(DELEGATION, DELEGATION.c.id == CLOCK.c.delegation_id)
        .where(CLOCK.c.closed_at.is_(None), CLOCK.c.due_at < end_of_day(today) + timedelta(seconds=1))
        .order_by(CLOCK.c.due_at)
    )
    due_today: dict[str, list[dict[str, Any]]] = defaultdict(list)
    overdue: dict[str, list[dict[str, Any]]] = defaultdict(list)
    city_overdue: dict[str, list[dict[str, Any]]] = defaultdict(list)
    result = DigestResult(True)
    for m in (await run(session, stmt)).mappings():
        if m["status"] in TERMINAL:
            continue
        due_day = due_day_of(m["due_at"])
        item = {
            "number": m["number"],
            "case_number": m["case_number"],
            "stage_label": STAGE_LABEL.get(m["stage"], m["stage"]),
            "due_text": due_text(m["due_at"]),
            "court_name": court_name(ref, m["court_code"]),
            "court": m["court_code"],
        }
        if m["due_at"] > now:
            due_today[m["court_code"]].append(item)
            result.due_today += 1
        else:
            overdue_days = days_overdue(ref, Due(due_day, m["due_at"], bool(m["due_provisional"])), now)
            item["days_overdue"] = overdue_days
            overdue[m["court_code"]].append(item)
            city = ref.city_of(m["court_code"])
            if city is not None:
                city_overdue[city].append(item)
            result.overdue += 1
    intents: list[Intent] = []
    for court in sorted(set(due_today) | set(overdue)):
        intents.append(_court_digest(ref, court, due_today[court], overdue[court], now))
    for city in sorted(city_overdue):
        intents.append(_center_digest(ref, city, city_overdue[city], now))
    result.courts = len(set(due_today) | set(overdue))
    result.centers = len(city_overdue)
    directory = await load_directory(session, ref)
    keyed = [(i, event_id_for_key(f"digest-{today}-{i.courts[0] if i.courts else i.subject}")) for i in intents]
    await write_intents(session, directory, now, keyed)
    await session.commit()
    return result


def _court_digest(
    ref: Reference, court: str, due: list[dict[str, Any]], overdue: list[dict[str, Any]], now: datetime
) -> Intent:
    today = day_text(local_day(now))
    body = texts.render(
        "digest_court",
        court_name=court_name(ref, court),
        day_text=today,
        due_today=due[:MAX_LINES],
        overdue=overdue[:MAX_LINES],
    )
    return digest_intent(
        title=f"{today}期限提示：今日到期{len(due)}件，已超期{len(overdue)}件",
        body=body,
        at=now,
        audiences=(
            Audience(UserRole.ASSISTING_CLERK.value, court=court),
            Audience(UserRole.REQUESTING_OFFICER.value, court=court),
        ),
        courts=(court,),
        data={
            "court": court,
            "day": local_day(now).isoformat(),
            "due_today": [i["number"] for i in due],
            "overdue": [i["number"] for i in overdue],
        },
    )


def _center_digest(ref: Reference, city: str, overdue: list[dict[str, Any]], now: datetime) -> Intent:
    today = day_text(local_day(now))
    center = ref.registry.intermediate_of_city(city)
    body = texts.render("digest_center", city=city, day_text=today, overdue=overdue[:MAX_LINES])
    return digest_intent(
        title=f"{today}{city}超期清单：{len(overdue)}件",
        body=body,
        at=now,
        audiences=(Audience(UserRole.COMMAND_CENTER.value, city=city),),
        courts=(center.code,) if center else (),
        data={"city": city, "day": local_day(now).isoformat(), "overdue": [i["number"] for i in overdue]},
    )
