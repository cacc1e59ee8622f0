"""The monthly report as pure functions: facts in, rows per court and per court pair out, and the .xlsx.

The measures and their definitions live in delegation.reports.kpis (one place for the report and the
statistics pages); the workbook shows each definition as the note of its column and on the 说明 sheet.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import fmean

from delegation.reports import kpis

__all__ = [
    "Answer",
    "Completion",
    "Delay",
    "Line",
    "MonthlyReport",
    "Supervision",
    "build",
    "month_bounds",
    "previous_month",
    "to_xlsx",
]


@dataclass(frozen=True)
class Answer:
    """A sign-for period answered: which matter, by whom, to whom, whether on time, and how
    (sign_for/return/decline)."""

    delegation_id: int
    court: str  # assisting court
    requesting: str
    on_time: bool
    kind: str  # sign_for | return_for_correction | decline | redirect
    reason_code: str | None = None


@dataclass(frozen=True)
class Completion:
    court: str
    requesting: str
    on_time: bool
    working_days: int | None  # kpis.handling_working_days: sign-for to completion, stopped time excluded


@dataclass(frozen=True)
class Delay:
    """A late period's charge to the court holding the ball: its working days late inside the month, and
    whether the matter counts in the month's 超期件数 (its first breach began in the month)."""

    court: str  # the court holding the ball
    requesting: str
    assisting: str
    working_days_late: int
    delegation_id: int = 0
    new_breach: bool = True


@dataclass(frozen=True)
class Supervision:
    court: str
    requesting: str
    assisting: str
    acknowledged_seconds: int | None


@dataclass
class Line:
    """One row of the report: a court, or a (requesting, assisting) pair."""

    key: tuple[str, ...]
    answers: int = 0
    answers_on_time: int = 0
    answered_matters: set[int] = field(default_factory=set)
    returned_matters: set[int] = field(default_factory=set)
    returns: int = 0
    completions: int = 0
    completions_on_time: int = 0
    working_days: list[int] = field(default_factory=list)
    overdue_matters: set[int] = field(default_factory=set)
    overdue_days: int = 0
    supervisions: int = 0
    ack_seconds: list[int] = field(default_factory=list)

    @property
    def sign_on_time_rate(self) -> float | None:
        return self.answers_on_time / self.answers if self.answers else None

    @property
    def on_time_completion_rate(self) -> float | None:
        return self.completions_on_time / self.completions if self.completions else None

    @property
    def return_rate(self) -> float | None:
        return kpis.return_rate(self.answered_matters, self.returned_matters)

    @property
    def matters_returned(self) -> int:
        return len(self.returned_matters)

    @property
    def overdue(self) -> int:
        return len(self.overdue_matters)

    @property
    def mean_working_days(self) -> float | None:
        return fmean(self.working_days) if self.working_days else None

    @property
    def mean_ack_hours(self) -> float | None:
        return fmean(self.ack_seconds) / 3600 if self.ack_seconds else None


@dataclass
class MonthlyReport:
    period: str  # YYYY-MM
    courts: list[Line]
    pairs: list[Line]
    return_reasons: dict[tuple[str, str], int]  # (court, reason code) -> count

    def summary(self) -> dict[str, object]:
        total = Line(("all",))
        for line in self.courts:
            _add(total, line)
        return {
            "period": self.period,
            "courts": len(self.courts),
            "pairs": len(self.pairs),
            "answers": total.answers,
            "completions": total.completions,
            "returns": total.returns,
            "overdue": sum(line.overdue for line in self.courts),
            "supervisions": total.supervisions,
        }


def _add(into: Line, other: Line) -> None:
    into.answers += other.answers
    into.answers_on_time += other.answers_on_time
    into.returns += other.returns
    into.completions += other.completions
    into.completions_on_time += other.completions_on_time
    into.working_days += other.working_days
    into.overdue_days += other.overdue_days
    into.supervisions += other.supervisions
    into.ack_seconds += other.ack_seconds


def month_bounds(year: int, month: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[first day 00:00, next month's first day 00:00) in Asia/Shanghai; cut at ``now`` while it runs."""
    return kpis.report_window(year, month, now)


def previous_month(day: date) -> tuple[int, int]:
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


def build(
    period: str,
    answers: Iterable[Answer],
    completions: Iterable[Completion],
    delays: Iterable[Delay],
    supervisions: Iterable[Supervision],
) -> MonthlyReport:
    courts: dict[tuple[str, ...], Line] = {}
    pairs: dict[tuple[str, ...], Line] = {}
    reasons: dict[tuple[str, str], int] = defaultdict(int)

    def lines(court: str, requesting: str, assisting: str) -> tuple[Line, Line]:
        c = courts.setdefault((court,), Line((court,)))
        p = pairs.setdefault((requesting, assisting), Line((requesting, assisting)))
        return c, p

    for a in answers:
        for line in lines(a.court, a.requesting, a.court):
            line.answers += 1
            line.answers_on_time += a.on_time
            line.answered_matters.add(a.delegation_id)
            if a.kind == "return_for_correction":
                line.returns += 1
                line.returned_matters.add(a.delegation_id)
        if a.kind == "return_for_correction":
            reasons[(a.court, a.reason_code or "other")] += 1
    for c in completions:
        for line in lines(c.court, c.requesting, c.court):
            line.completions += 1
            line.completions_on_time += c.on_time
            if c.working_days is not None:
                line.working_days.append(c.working_days)
    for d in delays:
        for line in lines(d.court, d.requesting, d.assisting):
            if d.new_breach:
                line.overdue_matters.add(d.delegation_id)
            line.overdue_days += d.working_days_late
    for s in supervisions:
        for line in lines(s.court, s.requesting, s.assisting):
            line.supervisions += 1
            if s.acknowledged_seconds is not None:
                line.ack_seconds.append(s.acknowledged_seconds)
    return MonthlyReport(
        period=period,
        courts=[courts[k] for k in sorted(courts)],
        pairs=[pairs[k] for k in sorted(pairs)],
        return_reasons=dict(sorted(reasons.items())),
    )


HEADERS = [
    "签收/退回（件）",
    "按时（件）",
    "签收及时率",
    "退回事项（件）",
    "退回率",
    "办结（件）",
    "按期办结（件）",
    "按期办结率",
    "平均办理工作日",
    "超期件数",
    "超期工作日",
    "督办次数",
    "督办平均签收用时（小时）",
]


def _values(line: Line) -> list[object]:
    def pct(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    def num(x: float | None) -> float | None:
        return None if x is None else round(x, 2)

    return [
        line.answers,
        line.answers_on_time,
        pct(line.sign_on_time_rate),
        line.matters_returned,
        pct(line.return_rate),
        line.completions,
        line.completions_on_time,
        pct(line.on_time_completion_rate),
        num(line.mean_working_days),
        line.overdue,
        line.overdue_days,
        line.supervisions,
        num(line.mean_ack_hours),
    ]


def to_xlsx(report: MonthlyReport, court_name: dict[str, str], reason_label: dict[str, str]) -> bytes:
    """The workbook: 按法院, 按法院对, 退回原因, 说明; rates as percentages."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    book = Workbook()
    by_court = book.active
    assert by_court is not None
    by_court.title = "按法院"
    by_court.append(["月份", "法院代码", "法院", *HEADERS])
    for line in report.courts:
        (code,) = line.key
        by_court.append([report.period, code, court_name.get(code, code), *_values(line)])
    by_pair = book.create_sheet("按法院对")
    by_pair.append(["月份", "委托法院", "受托法院", *HEADERS])
    for line in report.pairs:
        requesting, assisting = line.key
        by_pair.append(
            [
                report.period,
                court_name.get(requesting, requesting),
                court_name.get(assisting, assisting),
                *_values(line),
            ]
        )
    reasons = book.create_sheet("退回原因")
    reasons.append(["月份", "受托法院", "退回原因", "件数"])
    for (code, reason), n in report.return_reasons.items():
        reasons.append([report.period, court_name.get(code, code), reason_label.get(reason, reason), n])
    notes = book.create_sheet("说明")
    notes.append(["指标", "定义"])
    for measure in kpis.KPIS:
        notes.append([measure.name_zh, measure.definition_zh])
    notes.append(["统计期间", f"{report.period}（尚未结束的月份计至统计时）"])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 100
    described = {m.name_zh: m.definition_zh for m in kpis.KPIS}
    for sheet in (by_court, by_pair, reasons, notes):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            if isinstance(cell.value, str) and cell.value in described:
                cell.comment = Comment(described[cell.value], "说明")
        sheet.freeze_panes = "A2"
    for sheet in (by_court, by_pair):  # three leading columns, then HEADERS: rates at 6, 8 and 11
        for column in (6, 8, 11):
            for row in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                for cell in row:
                    cell.number_format = "0.00%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
