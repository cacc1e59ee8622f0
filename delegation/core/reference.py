"""Reference data a use case needs: courts, the working-day calendar and the policy versions.

Built from the shipped data plus what administrators stored in the database; pure and immutable,
so one instance is shared by every request until an administrator changes something.
"""

from __future__ import annotations

from dataclasses import dataclass

from courts.calendar import WorkingCalendar
from courts.registry import CourtRegistry
from delegation.catalogue.policy import PolicyBook, PolicyVersion
from delegation.core.clocks import RungPolicy


@dataclass(frozen=True)
class Reference:
    registry: CourtRegistry
    calendar: WorkingCalendar
    policies: PolicyBook

    def city_of(self, court_code: str) -> str | None:
        court = self.registry.find(court_code)
        return court.city if court else None

    def rung_policy(self, policy: PolicyVersion) -> RungPolicy:
        rungs = policy.rungs
        return RungPolicy(
            due_soon_days_before=rungs.due_soon_days_before,
            supervise_days_after=rungs.supervise_days_after,
            escalate_days_after=rungs.escalate_days_after,
        )
