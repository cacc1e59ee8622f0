"""Pure building blocks: the court registry and the working-day calendar (no I/O, no clock)."""

from courts.calendar import (
    SHANGHAI,
    CalendarRangeError,
    Deadline,
    WorkingCalendar,
    WorkingHours,
    YearStatus,
)
from courts.registry import CITIES, Court, CourtLevel, CourtOverride, CourtOverrideError, CourtRegistry, UnknownCourt
from courts.schedules import ScheduleError, ScheduleProblem, YearSchedule, load_shipped_schedules, parse_schedule

__all__ = [
    "CITIES",
    "SHANGHAI",
    "CalendarRangeError",
    "Court",
    "CourtLevel",
    "CourtOverride",
    "CourtOverrideError",
    "CourtRegistry",
    "Deadline",
    "ScheduleError",
    "ScheduleProblem",
    "UnknownCourt",
    "WorkingCalendar",
    "WorkingHours",
    "YearSchedule",
    "YearStatus",
    "load_shipped_schedules",
    "parse_schedule",
]
