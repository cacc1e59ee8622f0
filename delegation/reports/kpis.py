"""The measures a command center reads (规定 practice: 办结率, 退回率, 平均用时), defined once.

Pure: facts in, numbers out; no database, no clock (the report window's end comes in as an argument).
The monthly report (delegation.reports.model) and the statistics pages both take their definitions and
their arithmetic from here, so a number means the same thing wherever it is shown:

- ``KPIS`` / ``kpi(code)``: each measure's Chinese and English name and definition, shown next to the
  number (column notes of the workbook, its 说明 sheet, the pages).
- ``report_window(year, month, now)``: the month, cut at ``now`` for a month still running.
- ``return_rate``: matters returned at least once ÷ matters answered.
- ``handling_working_days``: sign-for to completion in working days, stopped time excluded.
- ``first_breaches`` / ``working_days_late_in``: 超期件数 per matter in the month its breach began, and the
  working days of delay that fall inside the window.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from delegation.core.clocks import SHANGHAI, local_day

__all__ = [
    "KPIS",
    "Breach",
    "Interval",
    "Kpi",
    "WorkingDays",
    "first_breaches",
    "handling_working_days",
    "kpi",
    "report_window",
    "return_rate",
    "working_days_late_in",
]


class WorkingDays(Protocol):
    def working_days_between(self, start: date, end: date) -> int: ...


@dataclass(frozen=True)
class Kpi:
    code: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "sign_on_time_rate",
        "签收及时率",
        "signed for on time",
        "本月作出签收、退回补正或不予受理的签收期间中，在该期间（不计暂停）届满前作出的比例。",
        "Of the sign-for periods answered in the month (signed, returned or declined), the share answered by "
        "the period's due time (stops not counted).",
    ),
    Kpi(
        "on_time_completion_rate",
        "按期办结率",
        "completed on time",
        "本月办结的事项中，在办理期限（含批准的延期和暂停）届满前办结的比例。",
        "Of the matters completed in the month, the share completed by the due time of their execution period "
        "(approved extensions and stops included).",
    ),
    Kpi(
        "return_rate",
        "退回率",
        "returned",
        "本月作出答复（签收、退回补正或不予受理）的事项中，本月被退回补正至少一次的事项所占比例；按事项计，"
        "一件事项退回后又签收，计为一件答复、一件退回。",
        "Matters returned for correction at least once in the month ÷ matters answered in the month (signed, "
        "returned or declined); counted per matter: a matter returned and later signed is one answer, one return.",
    ),
    Kpi(
        "mean_working_days",
        "平均办理工作日",
        "mean working days",
        "本月办结的事项，自签收之日至办结之日的工作日数的平均值；不计期限暂停期间和等待委托法院（补正、确认）的时间。",
        "For matters completed in the month, the mean working days from the day of sign-for to the day of "
        "completion, without the days the clock was stopped or the matter waited on the requesting court.",
    ),
    Kpi(
        "overdue",
        "超期件数",
        "overdue matters",
        "本月开始超期的事项数：按事项计，一件事项只在其首次超期开始的月份计一次，由超期时持有该事项的法院承担；"
        "尚未结束的月份只计至统计时。",
        "Matters whose breach began in the month: counted per matter, once, in the month its first breach began, "
        "charged to the court holding it then; a month still running is counted up to now.",
    ),
    Kpi(
        "overdue_days",
        "超期工作日",
        "working days overdue",
        "落在本月（尚未结束的月份计至统计时已过完的工作日）的超期工作日，由持有事项的法院承担。",
        "Working days of delay that fall in the month (for a running month: the working days ended by now), "
        "charged to the court holding the matter.",
    ),
    Kpi(
        "supervisions",
        "督办次数",
        "supervision notices",
        "本月向该法院发出的督办通知数（执行工作若干问题的规定 第74条）。",
        "督办 notices issued to the court in the month (执行工作若干问题的规定 第74条).",
    ),
    Kpi(
        "mean_ack_hours",
        "督办平均签收用时（小时）",
        "mean hours to acknowledge",
        "本月发出且已签收的督办，自发出至签收的平均小时数。",
        "For 督办 issued in the month and acknowledged, the mean hours from issue to acknowledgement.",
    ),
)
_BY_CODE = {k.code: k for k in KPIS}


def kpi(code: str) -> Kpi:
    return _BY_CODE[code]


def report_window(year: int, month: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[first day 00:00, next month's first day 00:00) in Asia/Shanghai, its end cut at ``now`` for a
    month still running (a report run mid-month charges nothing after now)."""
    start = datetime.combine(date(year, month, 1), time(0), tzinfo=SHANGHAI)
    end = datetime.combine(date(year + (month == 12), month % 12 + 1, 1), time(0), tzinfo=SHANGHAI)
    if now is not None and start <= now < end:
        end = now
    return start, end


def return_rate(answered: Collection[object], returned: Collection[object]) -> float | None:
    """Matters returned at least once ÷ matters answered (both sets of matter ids); None without answers."""
    answered_set = set(answered)
    if not answered_set:
        return None
    return len(set(returned) & answered_set) / len(answered_set)


Interval = tuple[datetime, datetime | None]


def handling_working_days(
    signed_at: datetime, completed_at: datetime, stopped: Iterable[Interval], calendar: WorkingDays
) -> int:
    """Working days in (sign-for day, completion day], less the working days inside ``stopped`` intervals
    (clock stops, time waiting on the requesting court; an open interval lasts to completion).

    A stop from Thursday to the next Monday takes out Friday and Monday: the days in (stop day, resume day].
    """
    first, last = local_day(signed_at), local_day(completed_at)
    total = calendar.working_days_between(first, last)
    for start_day, end_day in _merged(stopped, first, last):
        total -= calendar.working_days_between(start_day, end_day)
    return max(0, total)


def _merged(intervals: Iterable[Interval], first: date, last: date) -> list[tuple[date, date]]:
    spans = sorted((max(first, local_day(a)), min(last, local_day(b) if b is not None else last)) for a, b in intervals)
    out: list[tuple[date, date]] = []
    for a, b in spans:
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


@dataclass(frozen=True)
class Breach:
    """A period that went past its due time: whose matter, which court held it, when the breach began
    (the end of the due day), when the period closed (None while open) and its stops (the days the
    matter waited on the other side are not charged as delay)."""

    delegation_id: int
    court: str
    requesting: str
    assisting: str
    began_at: datetime
    due_day: date
    closed_at: datetime | None
    stopped: tuple[Interval, ...] = ()


def first_breaches(breaches: Iterable[Breach], start: datetime, end: datetime) -> list[Breach]:
    """超期件数: per (matter, court) its first breach, kept when that breach began in [start, end)."""
    first: dict[tuple[int, str], Breach] = {}
    for b in breaches:
        key = (b.delegation_id, b.court)
        if key not in first or b.began_at < first[key].began_at:
            first[key] = b
    return sorted((b for b in first.values() if start <= b.began_at < end), key=lambda b: (b.court, b.delegation_id))


def working_days_late_in(breach: Breach, start: datetime, end: datetime, calendar: WorkingDays) -> int:
    """The working days of delay inside [start, end): days after the due day, through the closing day for a
    period closed in the window, else through the last day ended by ``end`` (today, still running, is not
    counted), less the days the period was stopped."""
    if breach.closed_at is not None and breach.closed_at < end:
        last = local_day(breach.closed_at)
    else:
        last = local_day(end) - timedelta(days=1)
    first = max(breach.due_day, local_day(start) - timedelta(days=1))
    if last <= first:
        return 0
    late = calendar.working_days_between(first, last)
    for a, b in _merged(breach.stopped, first, last):
        late -= calendar.working_days_between(a, b)
    return max(0, late)
