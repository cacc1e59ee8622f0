"""The monthly reports as the statistics page lists them: by month, when and by whom generated, made again
for a closed month by a command center."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, UserRole
from delegation.core.clocks import local_day
from delegation.core.errors import FieldError, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.reports import service as report_service
from delegation.reports.service import JOB_NAME as REPORT_JOB
from delegation.reports.service import Save
from delegation.store import statistics as store


async def monthly_reports(session: AsyncSession) -> list[store.ReportRun]:
    """The monthly reports made so far, newest month first (generated when, by which run or user)."""
    return await store.report_runs(session, REPORT_JOB)


async def monthly_report_path(session: AsyncSession, month: str) -> str | None:
    found = [r for r in await store.report_runs(session, REPORT_JOB) if r.period == month]
    return found[0].path if found else None


async def regenerate_report(
    session: AsyncSession, ref: Reference, actor: Actor, now: datetime, month: str, save: Save
) -> None:
    """A command center or the coordinator makes a closed month's report again (a running month: refused)."""
    if not actor.roles & {UserRole.COMMAND_CENTER, UserRole.REGIONAL_COORDINATOR}:
        raise PermissionDenied(
            "Only a command center regenerates reports.", title_zh="只有执行指挥中心可以重新生成月报"
        )
    year, mon = report_service.parse_period(month)
    today = local_day(now)
    if (year, mon) >= (today.year, today.month):
        raise ValidationFailed([FieldError("month", "只能重新生成已结束月份的月报", "only a closed month")])
    await report_service.monthly_report(session, ref, now, save, month=month, generated_by=actor.username)
