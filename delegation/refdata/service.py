"""Use cases for reference data: build it from shipped files plus the database, and let administrators
load a holiday schedule, a policy version or a court correction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from courts.calendar import WorkingCalendar
from courts.registry import CourtOverride, CourtRegistry
from courts.schedules import YearSchedule, load_shipped_schedules, parse_schedule
from delegation.catalogue.policy import PolicyBook, PolicyVersion, load_shipped_policies, parse_policy
from delegation.core.reference import Reference
from delegation.sla.service import policy_run_after, request_recompute
from delegation.store import repository
from delegation.store.tables import CalendarScheduleRow, CourtOverrideRow, PolicyDocumentRow

OVERRIDE_FIELDS = ("name", "name_en", "city", "level", "parent_code", "division_code", "code_verified", "active")


def _override(row: CourtOverrideRow) -> CourtOverride:
    changes: dict[str, Any] = {k: v for k, v in row.changes.items() if k in OVERRIDE_FIELDS}
    return CourtOverride(code=row.code, effective_from=row.effective_from, renamed_from=row.renamed_from, **changes)


async def load_reference(session: AsyncSession, as_of: date | None = None) -> Reference:
    overrides = [_override(r) for r in await repository.court_overrides(session)]
    schedules = [
        *load_shipped_schedules(),
        *(parse_schedule(r.document) for r in await repository.calendar_schedules(session)),
    ]
    policies = [
        *load_shipped_policies(),
        *(parse_policy(r.document) for r in await repository.policy_documents(session)),
    ]
    return Reference(
        registry=CourtRegistry.shipped().with_overrides(overrides, as_of=as_of),
        calendar=WorkingCalendar(schedules),
        policies=PolicyBook(policies),
    )


async def store_schedule(session: AsyncSession, schedule: YearSchedule, loaded_by: str, now: datetime) -> None:
    """Keep an official schedule; the newest one for a year wins when the reference data is next built."""
    session.add(
        CalendarScheduleRow(
            year=schedule.year,
            document=schedule.to_json(),
            source=schedule.source[:200],
            loaded_at=now,
            loaded_by=loaded_by,
        )
    )
    # Open clocks are recomputed with the new schedule by the recompute-deadlines flow (queued in this transaction).
    request_recompute(
        session,
        source="calendar",
        reason=f"载入{schedule.year}年官方放假安排{f'（{schedule.source}）' if schedule.source else ''}"[:500],
        requested_by=loaded_by,
        now=now,
    )
    await session.commit()


async def store_policy(session: AsyncSession, text: str, loaded_by: str, now: datetime) -> PolicyVersion:
    policy = parse_policy(text)  # rejects an invalid document before anything is written
    session.add(
        PolicyDocumentRow(
            version=policy.version,
            effective_from=policy.effective_from,
            document=text,
            loaded_at=now,
            loaded_by=loaded_by,
        )
    )
    # Running clocks adopt the new budgets from its first day on, through the recompute-deadlines flow.
    request_recompute(
        session,
        source="policy",
        reason=f"办理时限策略{policy.version}自{policy.effective_from.isoformat()}起施行",
        requested_by=loaded_by,
        now=now,
        run_after=policy_run_after(policy),
    )
    await session.commit()
    return policy


async def store_court_override(
    session: AsyncSession, override: CourtOverride, created_by: str, now: datetime, note: str = ""
) -> None:
    """Validate the change against the current registry, then keep it (history is never rewritten)."""
    current = [_override(r) for r in await repository.court_overrides(session)]
    CourtRegistry.shipped().with_overrides([*current, override])  # raises CourtOverrideError when invalid
    changes = {k: getattr(override, k) for k in OVERRIDE_FIELDS if getattr(override, k) is not None}
    session.add(
        CourtOverrideRow(
            code=override.code,
            renamed_from=override.renamed_from,
            changes=changes,
            effective_from=override.effective_from,
            created_at=now,
            created_by=created_by,
            note=note[:500],
        )
    )
    await session.commit()
