"""Statistics facts as pure functions: a matter's events, clocks and 督办 notices in, fact rows out.

Each fact is charged to one court on one day and carries additive measures, so any period, court, court pair,
matter type or city is a sum over the facts (and over the daily table that sums them). The definitions are
those a command center reads (issue 9):
- 签收及时率: sign-for answers (签收, 退回补正, 不予受理) given by the due time of the sign-for period as it
  stood when answered, of all answers given in the period.
- 退回率: matters returned for correction at least once, of the matters answered (counted on the day of the
  court's first answer).
- 按期办结率: completions within the execution period (extensions and stops included), of all completions.
- 平均办理工作日: working days from sign-for to completion, excluding the time the clock was stopped.
- 超期件数: matters whose period held by the court breached its due time, counted once per matter and court,
  in the period in which the first breach began.
- 超期工作日: the working days of delay that fall in the period, each charged to the court that held the ball
  (through the closing day; for a period still running, through the last day ended by now).
- 督办次数 / 平均签收用时: 督办 issued to the court; mean hours to acknowledge those acknowledged.
- 网络查控 (issue 17 item 6): of the completions, those the network's system user made (by network), the
  seconds from submission to 办结 of all completions and of the network's, and each hand-back of a matter to
  the clerks by the cause of its failed registry queries (on the day it was handed back, charged to the
  assisting court); the page reads them for the matter types a registry can do.
A running period is counted up to now: facts never lie in the future except an open period's coming breach,
which the reads leave out until its day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta

from delegation.core import clocks
from delegation.core.clocks import Calendar, local_day
from delegation.core.states import Stage
from delegation.reports import kpis

ANSWERS = ("sign_for", "return_for_correction", "decline")
RETURN = "return_for_correction"
COMPLETE = "complete"
SUPERVISE = "supervise"


@dataclass(frozen=True)
class Measures:
    """Additive counts; every figure on the statistics page is a ratio or a sum of these."""

    answers: int = 0
    answers_on_time: int = 0
    answered: int = 0
    returned: int = 0
    completions: int = 0
    completions_on_time: int = 0
    work_days: int = 0
    work_days_n: int = 0
    overdue: int = 0
    overdue_days: int = 0
    supervisions: int = 0
    acknowledged: int = 0
    ack_seconds: int = 0
    network_completions: int = 0
    result_seconds: int = 0
    network_seconds: int = 0
    fail_timeout: int = 0
    fail_error: int = 0
    fail_closed: int = 0
    fail_refused: int = 0
    fail_bad_signature: int = 0
    fail_not_answered: int = 0

    def __add__(self, other: Measures) -> Measures:
        return Measures(*(getattr(self, f) + getattr(other, f) for f in MEASURES))

    def __sub__(self, other: Measures) -> Measures:
        return Measures(*(getattr(self, f) - getattr(other, f) for f in MEASURES))

    def as_dict(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in MEASURES}

    @property
    def is_zero(self) -> bool:
        return not any(getattr(self, f) for f in MEASURES)


MEASURES: tuple[str, ...] = tuple(f.name for f in fields(Measures))
# A failed registry query's cause (its answer code) -> its measure; a code not listed counts as an error.
FAILURE_CAUSES: tuple[str, ...] = ("timeout", "error", "closed", "refused", "bad_signature", "not_answered")


@dataclass(frozen=True)
class Matter:
    id: int
    requesting: str
    assisting: str
    matter_type: str
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class Step:
    """A transition event: what was done, by which court, when, with which reason code, and whether the
    network's system user did it (网络查控)."""

    action: str
    court: str | None
    at: datetime
    reason_code: str | None = None
    by_network: bool = False


@dataclass(frozen=True)
class HandBack:
    """A round of network handling that gave the matter back to the clerks: when, and the answer codes of its
    failed registry queries (none: nothing failed outright, the answers needed a clerk or never came)."""

    at: datetime
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Supervision:
    to_court: str
    issued_at: datetime
    ack_seconds: int | None


@dataclass(frozen=True)
class Fact:
    """One fact of one matter: a kind (answer, answered, completion, overdue, supervision), the day it counts
    on, the court charged, and its measures."""

    kind: str
    day: date
    court: str
    measures: Measures


KINDS = ("answer", "answered", "completion", "overdue", "delay", "supervision", "handback")


def _answer_on_time(step: Step, court: str, held: Sequence[clocks.Clock], calendar: Calendar) -> bool:
    """Answered by the due time of the sign-for period as it stood then (stops before the answer only)."""
    for clock in held:
        if clock.stage is not Stage.SIGN_FOR or clock.court_code != court or clock.started_at > step.at:
            continue
        if clock.closed_at is not None and clock.closed_at < step.at:
            continue
        then = replace(clock, closed_at=None, stops=tuple(s for s in clock.stops if s.stopped_at < step.at))
        due = clocks.due(then, calendar)
        return due is None or step.at <= due.at
    return True


def facts_of(
    matter: Matter,
    steps: Iterable[Step],
    held: Sequence[clocks.Clock],
    supervisions: Iterable[Supervision],
    calendar: Calendar,
    now: datetime,
    hand_backs: Iterable[HandBack] = (),
) -> list[Fact]:
    """Every fact of one matter as of `now` (the transitions and the nightly reconciliation call this)."""
    ordered = sorted(steps, key=lambda s: s.at)
    found: list[Fact] = []
    first_answer: dict[str, tuple[date, bool]] = {}
    last_sign_for: dict[str, datetime] = {}
    for step in ordered:
        court = step.court or matter.assisting
        if step.action in ANSWERS:
            on_time = _answer_on_time(step, court, held, calendar)
            found.append(Fact("answer", local_day(step.at), court, Measures(answers=1, answers_on_time=int(on_time))))
            day, returned = first_answer.get(court, (local_day(step.at), False))
            first_answer[court] = (day, returned or step.action == RETURN)
            if step.action == "sign_for":
                last_sign_for[court] = step.at
        elif step.action == COMPLETE:
            execution = [
                c for c in held if c.stage is Stage.EXECUTION and c.court_code == court and c.closed_at == step.at
            ]
            on_time = not any(clocks.is_breached(c, step.at, calendar) for c in execution)
            signed = last_sign_for.get(court)
            days = Measures()
            if signed is not None:
                stopped = [
                    (stop.stopped_at, stop.resumed_at)
                    for c in held
                    if c.stage is Stage.EXECUTION and c.court_code == court
                    for stop in c.stops
                ]
                worked = kpis.handling_working_days(signed, step.at, stopped, calendar)
                days = Measures(work_days=worked, work_days_n=1)
            days += _result_time(matter, step)
            found.append(
                Fact(
                    "completion",
                    local_day(step.at),
                    court,
                    Measures(completions=1, completions_on_time=int(on_time)) + days,
                )
            )
    for court, (day, returned) in first_answer.items():
        found.append(Fact("answered", day, court, Measures(answered=1, returned=int(returned))))
    found.extend(_overdue(held, calendar, now))
    for s in supervisions:
        acknowledged = s.ack_seconds is not None
        found.append(
            Fact(
                "supervision",
                local_day(s.issued_at),
                s.to_court,
                Measures(supervisions=1, acknowledged=int(acknowledged), ack_seconds=s.ack_seconds or 0),
            )
        )
    for back in hand_backs:
        found.append(Fact("handback", local_day(back.at), matter.assisting, _failures(back.codes)))
    return found


def _result_time(matter: Matter, step: Step) -> Measures:
    """Seconds from submission to this 办结, and whether the network made it."""
    seconds = max(0, round((step.at - matter.submitted_at).total_seconds())) if matter.submitted_at else 0
    if step.by_network:
        return Measures(network_completions=1, result_seconds=seconds, network_seconds=seconds)
    return Measures(result_seconds=seconds)


def _failures(codes: Sequence[str]) -> Measures:
    """One per failed query by its cause; a hand-back with no failed query counts once as not answered."""
    counts = dict.fromkeys(FAILURE_CAUSES, 0)
    for code in codes or ("not_answered",):
        counts[code if code in counts else "error"] += 1
    return Measures(**{f"fail_{cause}": n for cause, n in counts.items()})


def failures_by_cause(m: Measures) -> dict[str, int]:
    """The hand-backs' failed queries by cause, the causes with any."""
    return {cause: getattr(m, f"fail_{cause}") for cause in FAILURE_CAUSES if getattr(m, f"fail_{cause}")}


@dataclass(frozen=True)
class NetworkFigures:
    """网络查控 of one court and registry kind (or a total) in a period: the 查控 matters completed, how many by
    network, the mean hours from submission to result (办结) each way, and hand-backs' failures by cause."""

    court: str
    registry: str
    completed: int
    by_network: int
    network_hours: float | None  # mean hours from submission to result, by network
    manual_hours: float | None  # the same, by hand
    failures: dict[str, int]  # failed queries of the hand-backs by cause (FAILURE_CAUSES)

    @property
    def network_share(self) -> float | None:
        return self.by_network / self.completed if self.completed else None

    @classmethod
    def of(cls, court: str, registry: str, m: Measures) -> NetworkFigures:
        by_hand = m.completions - m.network_completions
        return cls(
            court=court,
            registry=registry,
            completed=m.completions,
            by_network=m.network_completions,
            network_hours=_hours(m.network_seconds, m.network_completions),
            manual_hours=_hours(m.result_seconds - m.network_seconds, by_hand),
            failures=failures_by_cause(m),
        )


def _hours(seconds: int, n: int) -> float | None:
    return round(seconds / n / 3600, 2) if n else None


def _stopped_days(clock: clocks.Clock) -> set[date]:
    """The days a stop took out: (stop day, resume day], as kpis.working_days_late_in counts them."""
    days: set[date] = set()
    for stop in clock.stops:
        first = local_day(stop.stopped_at)
        last = local_day(stop.resumed_at) if stop.resumed_at else first + timedelta(days=3660)
        day = first + timedelta(days=1)
        while day <= last and len(days) < 4000:
            days.add(day)
            day += timedelta(days=1)
    return days


def _overdue(held: Sequence[clocks.Clock], calendar: Calendar, now: datetime) -> list[Fact]:
    """超期件数: one fact per court whose periods of this matter breached (or, still running, will breach), on
    the day its first breach began. 超期工作日: one fact per working day of delay charged to the court holding
    the period, through the closing day, or for a running period through the last day ended by now
    (kpis.working_days_late_in, day by day, so any range of days sums them)."""
    breach: dict[str, date] = {}
    delay: dict[tuple[str, date], int] = {}
    yesterday = local_day(now) - timedelta(days=1)
    for clock in held:
        due = clocks.due(clock, calendar)
        if due is None:
            continue
        if not clocks.is_breached(clock, now, calendar) and not clock.is_open:
            continue
        court = clock.court_code
        began = local_day(due.at)  # the first day past the due day
        breach[court] = min(began, breach.get(court, began))
        last = local_day(clock.closed_at) if clock.closed_at is not None else yesterday
        stopped = _stopped_days(clock) if clock.stops else set()
        day = due.day + timedelta(days=1)
        while day <= last:
            if day not in stopped and calendar.working_days_between(day - timedelta(days=1), day) == 1:
                delay[(court, day)] = 1
            day += timedelta(days=1)
    facts = [Fact("overdue", day, court, Measures(overdue=1)) for court, day in breach.items()]
    facts += [Fact("delay", day, court, Measures(overdue_days=n)) for (court, day), n in sorted(delay.items())]
    return facts


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class Kpi:
    """A figure on the page: its label, definition, how it is computed, and the drill-downs behind it."""

    key: str
    label: str
    definition: str
    numerator: str  # a measure
    denominator: str | None  # a measure; None: a count or a sum
    drill: str | None  # the drill-down of the numerator's matters (DRILLS)
    drill_basis: str | None = None  # the drill-down of the denominator's matters
    percent: bool = True
    scale: float = 1.0  # e.g. seconds -> hours
    drill_miss: str | None = None  # the drill-down of the denominator's matters not in the numerator

    @property
    def whole(self) -> bool:
        """A count (超期件数, 超期工作日, 督办次数): a whole number, neither a ratio nor scaled."""
        return self.denominator is None and self.scale == 1.0


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "sign_rate",
        "签收及时率",
        "期间内受托法院作出的签收答复（签收、退回补正、不予受理）中，在签收期限内作出的比例。",
        "answers_on_time",
        "answers",
        "sign_on_time",
        "sign_answers",
        drill_miss="sign_late",
    ),
    Kpi(
        "return_rate",
        "退回率",
        "期间内首次答复的事项中，至少被退回补正一次的事项所占比例（按事项计）。",
        "returned",
        "answered",
        "returned",
        "answered",
    ),
    Kpi(
        "on_time_rate",
        "按期办结率",
        "期间内办结的事项中，在执行期限内（含延期、中止）办结的比例。",
        "completions_on_time",
        "completions",
        "completed_on_time",
        "completed",
        drill_miss="completed_late",
    ),
    Kpi(
        "mean_days",
        "平均办理工作日",
        "期间内办结的事项，自签收至办结的工作日数的平均值，不含期限中止的时间。",
        "work_days",
        "work_days_n",
        None,
        "completed",
        percent=False,
    ),
    Kpi(
        "overdue",
        "超期件数",
        "期间内开始超期的事项件数，按事项和持有案件的法院各计一次。",
        "overdue",
        None,
        "overdue",
        percent=False,
    ),
    Kpi(
        "overdue_days",
        "超期工作日",
        "期间内的超期工作日（逐日计入当时持有案件的法院；已结束的期限计至结束之日，未结束的计至昨日）。",
        "overdue_days",
        None,
        "delayed",
        percent=False,
    ),
    Kpi(
        "supervisions",
        "督办次数",
        "期间内向该法院发出的督办通知件数。",
        "supervisions",
        None,
        "supervised",
        percent=False,
    ),
    Kpi(
        "ack_hours",
        "督办平均签收用时（小时）",
        "已签收的督办通知从发出到签收的平均小时数。",
        "ack_seconds",
        "acknowledged",
        None,
        "supervised",
        percent=False,
        scale=1 / 3600,
    ),
)
KPI_BY_KEY = {k.key: k for k in KPIS}

# Drill-downs: the facts behind a figure, as (kind, measure that must be > 0 or None, measure that must be 0)
DRILLS: dict[str, tuple[str, str | None, str | None]] = {
    "sign_answers": ("answer", None, None),
    "sign_on_time": ("answer", "answers_on_time", None),
    "sign_late": ("answer", None, "answers_on_time"),
    "answered": ("answered", None, None),
    "returned": ("answered", "returned", None),
    "completed": ("completion", None, None),
    "completed_on_time": ("completion", "completions_on_time", None),
    "completed_late": ("completion", None, "completions_on_time"),
    "overdue": ("overdue", None, None),
    "delayed": ("delay", None, None),
    "supervised": ("supervision", None, None),
}
DRILL_LABEL = {
    "sign_answers": "签收答复",
    "sign_on_time": "按时签收答复",
    "sign_late": "超时签收答复",
    "answered": "已答复事项",
    "returned": "被退回补正的事项",
    "completed": "办结事项",
    "completed_on_time": "按期办结事项",
    "completed_late": "超期办结事项",
    "overdue": "超期事项",
    "delayed": "有超期工作日的事项",
    "supervised": "被督办事项",
}


@dataclass(frozen=True)
class Figure:
    """A KPI's value with its count basis (e.g. 37/40)."""

    kpi: Kpi
    numerator: int
    denominator: int | None

    @property
    def value(self) -> float | None:
        if self.kpi.denominator is None:
            return self.numerator * self.kpi.scale
        if not self.denominator:
            return None
        return self.numerator / self.denominator * self.kpi.scale

    @property
    def scaled_numerator(self) -> float | int:
        """The numerator in the figure's unit (督办平均签收用时: the hours to acknowledge, summed), so that it
        divided by the denominator is the figure, as the page computes it."""
        return self.numerator if self.kpi.scale == 1.0 else round(self.numerator * self.kpi.scale, 4)

    @property
    def basis(self) -> str:
        """The count basis as shown next to the figure: 37/40 for rates, the sample size for means."""
        if self.kpi.denominator is None:
            return ""
        if self.kpi.percent:
            return f"{self.numerator}/{self.denominator}"
        return f"n={self.denominator}"

    @property
    def missed(self) -> int:
        """Of the denominator, those not in the numerator (late answers, late completions)."""
        return (self.denominator or 0) - self.numerator if self.kpi.drill_miss else 0

    @property
    def text(self) -> str:
        value = self.value
        if value is None:
            return "—"
        if self.kpi.percent:
            return f"{value * 100:.1f}%"
        if self.kpi.denominator is None:
            return str(round(value))
        return f"{value:.1f}"


def figures(m: Measures) -> list[Figure]:
    return [Figure(k, getattr(m, k.numerator), getattr(m, k.denominator) if k.denominator else None) for k in KPIS]


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """Days [start, end) and how to name it; `kind` month | quarter | year | range."""

    kind: str
    start: date
    end: date
    label: str

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}..{(self.end - timedelta(days=1)).isoformat()}"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def _month_start(year: int, month: int) -> date:
    while month < 1:
        year, month = year - 1, month + 12
    while month > 12:
        year, month = year + 1, month - 12
    return date(year, month, 1)


def month(year: int, mon: int) -> Period:
    start = _month_start(year, mon)
    return Period("month", start, _month_start(start.year, start.month + 1), f"{start.year}年{start.month}月")


def quarter(year: int, q: int) -> Period:
    start = _month_start(year, 3 * (q - 1) + 1)
    return Period("quarter", start, _month_start(start.year, start.month + 3), f"{year}年第{q}季度")


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year + 1, 1, 1), f"{year}年")


def day_range(first: date, last: date) -> Period:
    return Period("range", first, last + timedelta(days=1), f"{first.isoformat()} 至 {last.isoformat()}")


class PeriodError(ValueError):
    """A period refused: the input it is about (period, first or last) and what is wrong, in both languages."""

    def __init__(
        self,
        text: str,
        field: str = "period",
        message_zh: str = "统计期间无效",
        message_en: str = "The period is not valid.",
    ) -> None:
        super().__init__(text)
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en


def parse_period(text: str, today: date) -> Period:
    """2026-11 (month), 2026-Q4 (quarter), 2026 (year), 2026-11-02..2026-11-20 (range); empty: this month.
    PeriodError says what is wrong with any other text."""
    text = text.strip()
    try:
        if not text:
            return month(today.year, today.month)
        if ".." in text:
            first, last = (date.fromisoformat(p.strip()) for p in text.split("..", 1))
            if last < first:
                raise PeriodError(text, "period", "起始日不能晚于结束日", "The first day is after the last day.")
            return _bounded(day_range(first, last), text, "period")
        if "-Q" in text.upper():
            y, q = text.upper().split("-Q")
            if not 1 <= int(q) <= 4:
                raise ValueError(text)
            return _bounded(quarter(int(y), int(q)), text, "period")
        if "-" in text:
            y, m = text.split("-")
            if not 1 <= int(m) <= 12:
                raise ValueError(text)
            return _bounded(month(int(y), int(m)), text, "period")
        return _bounded(year_period(int(text)), text, "period")
    except PeriodError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        raise PeriodError(
            text,
            "period",
            f"统计期间“{text}”无效：应为月份（如2026-11）、季度（如2026-Q4）或年份（如2026）",
            f"“{text}” is not a period: a month (2026-11), a quarter (2026-Q4) or a year (2026).",
        ) from exc


EARLIEST = date(2000, 1, 1)  # periods before it are refused (the period before the first must exist too)
LONGEST_RANGE_DAYS = 3660


def _bounded(period: Period, text: str, field: str) -> Period:
    """A period from 2000 on (the period before it must exist too), a range of at most ten years."""
    if period.start < EARLIEST:
        raise PeriodError(
            text, field, "统计期间须在2000年1月1日以后", "The period must begin on 1 January 2000 or later."
        )
    if period.kind == "range" and (period.last_day - period.start).days > LONGEST_RANGE_DAYS:
        raise PeriodError(text, field, "日期范围不能超过10年", "A range spans ten years at most.")
    return period


def chosen_period(period: str, first: str, last: str, today: date) -> Period:
    """The period a reader asked for: a range of days (first and last) or a month, quarter or year (period);
    empty: this month. Refused (PeriodError, about the input at fault): a range back to front, and a period
    that has not begun by `today`: it has no facts yet, so its zeros would read as measured. A period that has
    begun and not ended is counted up to today, as its heading says."""
    if first or last:
        typed = f"{first}..{last}"
        start, end = _day(first, "first", "起始日"), _day(last, "last", "结束日")
        if end < start:
            raise PeriodError(typed, "first", "起始日不能晚于结束日", "The first day is after the last day.")
        if start > today:
            raise PeriodError(
                typed,
                "first",
                f"起始日晚于今天（{today.isoformat()}），尚无可统计的数据",
                f"The first day is after today ({today.isoformat()}): nothing to count yet.",
            )
        if (end - start).days > LONGEST_RANGE_DAYS:  # before day_range: the day after 9999-12-31 does not exist
            raise PeriodError(typed, "last", "日期范围不能超过10年", "A range spans ten years at most.")
        return _bounded(day_range(start, end), typed, "first")
    chosen = parse_period(period, today)
    if chosen.start > today:
        raise PeriodError(
            period,
            "period",
            f"{chosen.label}尚未开始（今天是{today.isoformat()}），尚无可统计的数据",
            f"{chosen.key} has not begun (today is {today.isoformat()}): nothing to count yet.",
        )
    return chosen


def _day(text: str, field: str, name_zh: str) -> date:
    """A day of a range as typed (YYYY-MM-DD); refused: missing, malformed or not in the calendar."""
    name_en = "first" if field == "first" else "last"
    if not text:
        raise PeriodError(
            text, field, f"请填写{name_zh}（或清空两个日期）", f"Give the {name_en} day too (or neither)."
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(
            text,
            field,
            f"{name_zh}“{text}”不是有效日期（应为存在的日期，如2026-11-01）",
            f"The {name_en} day “{text}” is not a date (a day that exists, such as 2026-11-01).",
        ) from None


def previous(period: Period) -> Period:
    """The period before: the month, quarter or year before, or a range of as many days just before."""
    if period.kind == "month":
        return month(period.start.year, period.start.month - 1)
    if period.kind == "quarter":
        start = _month_start(period.start.year, period.start.month - 3)
        return quarter(start.year, (start.month - 1) // 3 + 1)
    if period.kind == "year":
        return year_period(period.start.year - 1)
    length = period.end - period.start
    return day_range(period.start - length, period.start - timedelta(days=1))


def last_months(today: date, n: int = 12) -> list[Period]:
    """The n months up to and including today's, oldest first."""
    return [month(today.year, today.month - i) for i in range(n - 1, -1, -1)]
