"""Official holiday schedules (国务院办公厅 放假调休安排): the file format, parsing and validation.

One JSON file per year transcribes one State Council notice. The format and its rules are
documented in docs/calendar.md; in short:

- ``holidays``: every day off that the notice announces, block by block, *including* the
  Saturdays and Sundays inside a block (2026 春节 is 02-15..02-23: all nine dates).
- ``workdays``: the make-up workdays (调休上班), each a Saturday or a Sunday.
- Every date lies in ``year``, or in December of ``year - 1`` (a New Year block can start there).

A day is a working day under a schedule when it is listed in ``workdays``, or when it is a
Monday..Friday not listed in ``holidays``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "ScheduleError",
    "ScheduleProblem",
    "YearSchedule",
    "load_shipped_schedules",
    "parse_schedule",
]

_REQUIRED_KEYS = ("year", "source", "published", "holidays", "workdays")
_OPTIONAL_KEYS = ("note",)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Sanity bounds only; the calendar has its own, narrower supported range.
_MIN_YEAR, _MAX_YEAR = 1949, 2100


@dataclass(frozen=True)
class ScheduleProblem:
    """One thing wrong with a schedule, in Chinese (for administrators) and English."""

    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


class ScheduleError(ValueError):
    """A schedule file or object breaks the format; lists every problem found, not just the first."""

    def __init__(self, problems: Sequence[ScheduleProblem]) -> None:
        self.problems: tuple[ScheduleProblem, ...] = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def _weekend(d: date) -> bool:
    return d.weekday() >= 5


@dataclass(frozen=True)
class YearSchedule:
    """The confirmed holiday schedule of one year. Validated on construction; dates kept sorted."""

    year: int
    source: str
    published: date
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]
    note: str = ""

    def __post_init__(self) -> None:
        problems = _check(self)
        if problems:
            raise ScheduleError(problems)
        # Canonical order, so equal notices give equal objects and identical JSON.
        object.__setattr__(self, "holidays", tuple(sorted(self.holidays)))
        object.__setattr__(self, "workdays", tuple(sorted(self.workdays)))

    def listed_status(self, d: date) -> bool | None:
        """True if the notice makes ``d`` a workday, False if a day off, None if it says nothing."""
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return None

    def is_working_day(self, d: date) -> bool:
        """Working-day status of ``d`` under this schedule alone (weekday rule for unlisted days)."""
        listed = self.listed_status(d)
        return (not _weekend(d)) if listed is None else listed

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "year": self.year,
            "source": self.source,
            "published": self.published.isoformat(),
            "holidays": [d.isoformat() for d in self.holidays],
            "workdays": [d.isoformat() for d in self.workdays],
        }
        if self.note:
            doc["note"] = self.note
        return doc

    def to_json(self) -> str:
        """The canonical file text; ``parse_schedule(s.to_json()) == s``."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _check(s: YearSchedule) -> list[ScheduleProblem]:
    """Semantic rules of a schedule (the structure is checked by the parser)."""
    p: list[ScheduleProblem] = []
    if not (_MIN_YEAR <= s.year <= _MAX_YEAR):
        p.append(ScheduleProblem(f"年份 {s.year} 不合理", f"year {s.year} is out of bounds"))
        return p
    if not s.source.strip():
        p.append(ScheduleProblem("缺少文件来源（source）", "source must name the notice"))
    if s.published > date(s.year, 12, 31):
        p.append(
            ScheduleProblem(
                f"发布日期 {s.published} 晚于 {s.year} 年",
                f"published {s.published} is after the year {s.year}",
            )
        )
    earliest = date(s.year - 1, 12, 1)
    latest = date(s.year, 12, 31)
    for label_zh, label_en, days in (("放假日", "holiday", s.holidays), ("调休上班日", "workday", s.workdays)):
        seen: set[date] = set()
        for d in days:
            if d in seen:
                p.append(ScheduleProblem(f"{label_zh} {d} 重复", f"{label_en} {d} is listed twice"))
            seen.add(d)
            if not (earliest <= d <= latest):
                p.append(
                    ScheduleProblem(
                        f"{label_zh} {d} 不在 {s.year} 年（或上一年12月）内",
                        f"{label_en} {d} is not in {s.year} (or December of {s.year - 1})",
                    )
                )
    for d in sorted(set(s.holidays) & set(s.workdays)):
        p.append(ScheduleProblem(f"{d} 既是放假日又是上班日", f"{d} is both a holiday and a workday"))
    for d in sorted(set(s.workdays)):
        if not _weekend(d):
            p.append(
                ScheduleProblem(
                    f"调休上班日 {d} 不是周六或周日",
                    f"make-up workday {d} is not a Saturday or Sunday",
                )
            )
    if not s.holidays:
        p.append(ScheduleProblem("未列出任何放假日", "no holidays listed"))
    p.extend(_check_blocks(sorted(set(s.holidays)), set(s.workdays)))
    return p


def _check_blocks(holidays: list[date], workdays: set[date]) -> list[ScheduleProblem]:
    """Holidays must read as the notice's blocks: weekend days inside a block are listed,
    and no block consists of weekend days only (both are signs of a transcription slip)."""
    p: list[ScheduleProblem] = []
    one = timedelta(days=1)
    blocks: list[list[date]] = []
    for d in holidays:
        if blocks and blocks[-1][-1] + one == d:
            blocks[-1].append(d)
        else:
            blocks.append([d])
    for block in blocks:
        if all(_weekend(d) for d in block):
            p.append(
                ScheduleProblem(
                    f"放假日 {block[0]}..{block[-1]} 全是周末，不构成假期",
                    f"holidays {block[0]}..{block[-1]} are weekend days only",
                )
            )
    for before, after in itertools.pairwise(blocks):
        gap = [before[-1] + one * i for i in range(1, (after[0] - before[-1]).days)]
        if gap and all(_weekend(d) and d not in workdays for d in gap):
            p.append(
                ScheduleProblem(
                    f"假期中的周末 {gap[0]}..{gap[-1]} 也须列入 holidays",
                    f"weekend days {gap[0]}..{gap[-1]} inside a holiday block must be listed",
                )
            )
    return p


def _parse_date(value: object, where: str, problems: list[ScheduleProblem]) -> date | None:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(
        ScheduleProblem(
            f"{where}：{value!r} 不是 YYYY-MM-DD 格式的日期",
            f"{where}: {value!r} is not a YYYY-MM-DD date",
        )
    )
    return None


def _parse_dates(value: object, key: str, problems: list[ScheduleProblem]) -> list[date]:
    if not isinstance(value, list):
        problems.append(ScheduleProblem(f"{key} 必须是日期列表", f"{key} must be a list of dates"))
        return []
    out: list[date] = []
    for i, item in enumerate(value):
        d = _parse_date(item, f"{key}[{i}]", problems)
        if d is not None:
            out.append(d)
    return out


def parse_schedule(text: str) -> YearSchedule:
    """Parse and strictly validate one schedule file (JSON text). Raises ScheduleError."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ScheduleError([ScheduleProblem(f"不是有效的 JSON：{e}", f"not valid JSON: {e}")]) from None
    if not isinstance(doc, dict):
        raise ScheduleError([ScheduleProblem("顶层必须是 JSON 对象", "the top level must be a JSON object")])
    problems: list[ScheduleProblem] = []
    for key in _REQUIRED_KEYS:
        if key not in doc:
            problems.append(ScheduleProblem(f"缺少字段 {key}", f"missing field {key!r}"))
    for key in doc:
        if key not in _REQUIRED_KEYS and key not in _OPTIONAL_KEYS:
            problems.append(ScheduleProblem(f"未知字段 {key}", f"unknown field {key!r}"))
    year = doc.get("year")
    if "year" in doc and (not isinstance(year, int) or isinstance(year, bool)):
        problems.append(ScheduleProblem("year 必须是整数", "year must be an integer"))
    source = doc.get("source", "")
    if not isinstance(source, str):
        problems.append(ScheduleProblem("source 必须是文本", "source must be a string"))
    note = doc.get("note", "")
    if not isinstance(note, str):
        problems.append(ScheduleProblem("note 必须是文本", "note must be a string"))
    published = _parse_date(doc["published"], "published", problems) if "published" in doc else None
    holidays = _parse_dates(doc.get("holidays", []), "holidays", problems)
    workdays = _parse_dates(doc.get("workdays", []), "workdays", problems)
    if problems:
        raise ScheduleError(problems)
    assert isinstance(year, int) and published is not None and isinstance(source, str)
    assert isinstance(note, str)
    return YearSchedule(
        year=year,
        source=source.strip(),
        published=published,
        holidays=tuple(holidays),
        workdays=tuple(workdays),
        note=note.strip(),
    )


@cache
def _shipped() -> tuple[YearSchedule, ...]:
    out: list[YearSchedule] = []
    folder = resources.files("courts").joinpath("data", "schedules")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        schedule = parse_schedule(entry.read_text(encoding="utf-8"))
        if entry.name != f"{schedule.year}.json":
            raise ScheduleError(
                [
                    ScheduleProblem(
                        f"文件 {entry.name} 的年份是 {schedule.year}",
                        f"file {entry.name} holds the year {schedule.year}",
                    )
                ]
            )
        out.append(schedule)
    return tuple(sorted(out, key=lambda s: s.year))


def load_shipped_schedules() -> list[YearSchedule]:
    """The schedules shipped in courts/data/schedules, one per year, sorted by year."""
    return list(_shipped())
