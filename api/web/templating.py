"""Jinja2 for the pages: one environment per locale (gettext installed), and the helpers templates use to
show codes, courts, dates and clocks in the reader's language.

Dates read the Chinese way by default (2026年3月2日); a due time (24:00 of the last day, stored as 00:00 of
the next) reads as its last day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache, lru_cache
from typing import Any

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

import templates
from api.web import labels
from api.web.i18n import HTML_LANG, LANGUAGE_NAMES, LOCALES, translations
from delegation.catalogue.policy import FieldSpec
from delegation.core.chinese import chinese_date
from delegation.core.clocks import (
    SHANGHAI,
    RunningClock,
    Unit,
    calendar_days_left,
    days_left,
    due_day_of,
    local_day,
    working_days_overdue,
)
from delegation.core.errors import FieldError
from delegation.core.reference import Reference
from delegation.filing import letters
from delegation.reading.delegations import ClockView

Day = date  # the types, for annotations in Helpers (whose methods are named date and datetime)
Moment = datetime
TEMPLATES_DIR = templates.PATH


@cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True),
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["html_lang"] = HTML_LANG[locale]
    env.globals["locale"] = locale
    # The language switch: (locale, its lang attribute, its name in itself) of each language.
    env.globals["languages"] = [(code, HTML_LANG[code], LANGUAGE_NAMES[code]) for code in LOCALES]
    return env


# Babel formats a date in ~100-200 µs (it reads the locale's patterns each time); a page shows a few dozen
# dates drawn from a few hundred distinct days, so each is formatted once per process.
@lru_cache(maxsize=4096)
def _long_date(day: date, locale: str) -> str:
    return format_date(day, format="long", locale=locale)


@lru_cache(maxsize=4096)
def _weekday(day: date, locale: str) -> str:
    return format_date(day, format="EEE", locale=locale)


@lru_cache(maxsize=4096)
def _hour_minute(hour: int, minute: int, locale: str) -> str:
    return format_time(time(hour, minute), format="HH:mm", locale=locale)


@dataclass(frozen=True)
class Badge:
    """A clock as a coloured label: tone is ok, soon, late, paused or none; the text says it in words."""

    tone: str
    text: str
    due: str = ""
    provisional: bool = False


class Helpers:
    """What templates call to show the domain's codes and values (as `h`)."""

    def __init__(self, locale: str, ref: Reference, now: Moment) -> None:
        self.locale = locale
        self.ref = ref
        self.now = now
        self._t = translations(locale)

    # -- text
    def _(self, message: str, **values: Any) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self._t.ngettext(singular, plural, n) % {"num": n, **values}

    def _label(self, table: Mapping[str, str], code: str | None) -> str:
        if code is None:
            return ""
        return self._(table[code]) if code in table else code

    def status(self, code: str | None) -> str:
        return self._label(labels.STATUS, code)

    def action(self, code: str | None) -> str:
        return self._label(labels.ACTION, code)

    def event(self, code: str | None) -> str:
        return self._label(labels.EVENT, code)

    def stage(self, code: str | None) -> str:
        return self._label(labels.STAGE, code)

    def role(self, code: str | None) -> str:
        return self._label(labels.ROLE, code)

    def acting_role(self, codes: str | None) -> str:
        return "、".join(self._label(labels.ACTING_ROLE, c) for c in (codes or "").split(",") if c and c != "none")

    def notice_kind(self, code: str | None) -> str:
        return self._label(labels.NOTICE_KIND, code)

    def inbox_topic(self, code: str | None) -> str:
        return self._label(labels.INBOX_TOPIC, code)

    def service_method(self, code: str | None) -> str:
        return self._label(labels.SERVICE_METHOD, code)

    def outcome(self, code: str | None) -> str:
        return self._label(labels.OUTCOME, code)

    def network_mode(self, code: str | None) -> str:
        return self._label(labels.NETWORK_MODE, code)

    def network_status(self, code: str | None) -> str:
        return self._label(labels.NETWORK_STATUS, code)

    def network_trigger(self, code: str | None) -> str:
        return self._label(labels.NETWORK_TRIGGER, code)

    def registry(self, code: str | None) -> str:
        return self._label(labels.REGISTRY, code)

    def answer_code(self, code: str | None) -> str:
        return self._label(labels.ANSWER_CODE, code)

    def query_status(self, code: str | None) -> str:
        return self._label(labels.QUERY_STATUS, code)

    def network_action(self, code: str | None) -> str:
        return self._label(labels.NETWORK_ACTION, code)

    def priority(self, code: str | None) -> str:
        return self._label(labels.PRIORITY, code)

    def reason(self, code: str | None) -> str:
        return self._label(labels.RETURN_REASON, code)

    def doc_kind(self, code: str | None) -> str:
        return self._label(labels.DOCUMENT_KIND, code)

    def mechanism(self, code: str | None) -> str:
        return self._label(labels.MECHANISM, code)

    # -- official documents (always Chinese)
    def doc_date(self, value: Day | Moment | None) -> str:
        """二〇二六年三月二日: court documents are dated in Chinese numerals."""
        if value is None:
            return ""
        day = value.astimezone(SHANGHAI).date() if isinstance(value, Moment) else value
        return chinese_date(day)

    def letter_title(self, mechanism: str) -> str:
        return letters.letter_title(mechanism)

    def answer_title(self, mechanism: str) -> str:
        return letters.answer_title(mechanism)

    def answer_lead(self, row: Any, results: Iterable[Any]) -> str:
        """The 回执 / 协助情况回复's first paragraph, true to the recorded per-asset outcomes."""
        return letters.answer_lead(
            row.mechanism,
            [r.outcome for r in results],
            requesting=self.court(row.requesting_court),
            matter=self.matter(row.policy_version, row.matter_type),
            case_number=row.case_number,
        )

    def onsite_opening(self, row: Any, applicants: str, debtors: str) -> str:
        day = self.parse_day(row.fields.get("scheduled_date") or "")
        return letters.onsite_opening(
            applicants=applicants,
            debtors=debtors,
            case_number=row.case_number,
            date_text=self.doc_date(day) if day else "",
            officers=row.fields.get("officer_count"),
            matter=self.matter(row.policy_version, row.matter_type),
        )

    def statutory_duties(self) -> str:
        return letters.STATUTORY_DUTIES

    def onsite_closing(self) -> str:
        return letters.ONSITE_CLOSING

    def progress_title(self) -> str:
        return letters.progress_title()

    def progress_lead(self, row: Any, received: Day | Moment | None, seq: int) -> str:
        """执行情况函复's first paragraph (民诉法 第二百四十条)."""
        return letters.progress_lead(
            matter=self.matter(row.policy_version, row.matter_type),
            case_number=row.case_number,
            received=self.doc_date(received) or "　　年　月　日",
            seq=seq,
        )

    def contact_line(
        self, officer: str, contact: str = "", phone: str = "", officer_phone: str = "", court: str = ""
    ) -> str:
        return letters.contact_line(officer, contact, phone, officer_phone, court)

    def parse_day(self, text: object) -> Day | None:
        try:
            return date.fromisoformat(str(text)[:10])
        except ValueError:
            return None

    def colon(self) -> str:
        """The colon between a label and what follows: full-width in Chinese (：), ": " in English."""
        return "：" if self.zh() else ": "

    def paren(self, text: object) -> str:
        """A remark in the brackets of the page's language, after what it remarks on: （…） in Chinese, " (…)"
        in English, whatever the remark's own language."""
        return f"（{text}）" if self.zh() else f" ({text})"

    def unit(self, code: str | None) -> str:
        return self._label(labels.UNIT, code)

    def days(self, n: int, unit: str | None = Unit.WORKING) -> str:
        """A number of days in its unit, one or many: 1 working day, 3 calendar days (3个自然日)."""
        if unit == Unit.CALENDAR:
            return self.ngettext("%(num)d calendar day", "%(num)d calendar days", n)
        return self.ngettext("%(num)d working day", "%(num)d working days", n)

    def elapsed(self, seconds: int) -> str:
        """A time taken in the reader's language: 1天2小时0分钟, or 1 d 2 h 0 min."""
        hours, rest = divmod(max(0, seconds), 3600)
        days, hours = divmod(hours, 24)
        parts = [
            self._("%(n)d d", n=days) if days else "",
            self._("%(n)d h", n=hours) if hours else "",
            self._("%(n)d min", n=rest // 60),
        ]
        return ("" if self.zh() else " ").join(p for p in parts if p)

    def stop_reason(self, code: str | None) -> str:
        return self._label(labels.STOP_REASON, code)

    def city(self, name: str | None) -> str:
        return self._label(labels.CITY, name)

    def join(self, items: Iterable[str]) -> str:
        return ("、" if self.zh() else ", ").join(items)

    def doc_kinds(self, codes: Iterable[str]) -> str:
        return self.join(self.doc_kind(c) for c in codes)

    def zh(self) -> bool:
        return self.locale.startswith("zh")

    def court(self, code: str | None) -> str:
        if not code:
            return ""
        court = self.ref.registry.find(code)
        if court is None:
            return code
        return court.name if self.zh() else court.name_en

    def court_short(self, code: str | None) -> str:
        """A court's short name for dense tables: 芝罘区法院, 烟台市中院 (the full name in English)."""
        if not code:
            return ""
        court = self.ref.registry.find(code)
        if court is None or not self.zh():
            return self.court(code)
        place = court.place_name
        if place is None:
            return court.name
        return f"{place}中院" if court.level.value == "intermediate" else f"{place}法院"

    def courts_short(self, codes: Iterable[str]) -> str:
        return self.join(self.court_short(c) for c in codes)

    def matter(self, version: str, code: str) -> str:
        try:
            matter = self.ref.policies.get(version).matter(code)
        except Exception:  # an unknown version or code still shows, as the code
            return code
        return matter.name_zh if self.zh() else matter.name_en

    def spec_label(self, spec: FieldSpec) -> str:
        return spec.label_zh if self.zh() else spec.label_en

    def spec_help(self, spec: FieldSpec) -> str:
        return (spec.help_zh if self.zh() else spec.help_en) or ""

    def choice(self, spec: FieldSpec, value: object) -> str:
        for c in spec.choices or ():
            if c.value == value:
                return c.label_zh if self.zh() else c.label_en
        return "" if value is None else str(value)

    def value(self, spec: FieldSpec, value: object) -> str:
        """A stored (possibly masked) value of a matter field, as people read it."""
        if value is None or value == "":
            return "—"
        if spec.kind == "choice":
            return self.choice(spec, value)
        if spec.kind == "date" and isinstance(value, str):
            try:
                return self.date(date.fromisoformat(value))
            except ValueError:
                return value
        if spec.kind == "amount":
            return self._("%(amount)s yuan", amount=value)
        return str(value)

    def error(self, problem: FieldError) -> str:
        return problem.message_zh if self.zh() else problem.message_en

    # -- dates
    def date(self, value: Day | Moment | str | None, weekday: bool = False) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            text_value = value
            try:
                value = date.fromisoformat(text_value[:10])
            except ValueError:
                return text_value
        day = local_day(value) if isinstance(value, datetime) else value
        text = _long_date(day, self.locale)
        if weekday:
            text += self._(" (%(weekday)s)", weekday=_weekday(day, self.locale))
        return text

    def datetime(self, value: Moment | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(SHANGHAI)
        return f"{self.date(local.date())} {_hour_minute(local.hour, local.minute, self.locale)}"

    def due_day(self, due_at: Moment | None) -> Day | None:
        if due_at is None:
            return None
        return due_day_of(due_at)

    def due(self, due_at: Moment | None) -> str:
        return self.date(self.due_day(due_at), weekday=True)

    def today(self) -> str:
        return self.date(local_day(self.now), weekday=True)

    def iso_day(self, value: Day | Moment | None) -> str:
        if value is None:
            return ""
        return (local_day(value) if isinstance(value, datetime) else value).isoformat()

    def size(self, n: int) -> str:
        if n >= 1024 * 1024:
            return f"{n / 1024 / 1024:.1f} MB"
        return f"{max(1, round(n / 1024))} KB"

    # -- clocks
    def _soon_days(self) -> int:
        return self.ref.policies.in_force(self.now).rungs.due_soon_days_before

    def _badge(
        self, *, paused: bool, due_at: Moment | None, left: int | None, provisional: bool, unit: str = Unit.WORKING
    ) -> Badge:
        """A clock's state in its own unit: `left` counts natural days for a natural-day period (自然日), else
        working days, and so does the count of days overdue."""
        if paused:
            return Badge("paused", self._("Paused"))
        if due_at is None or left is None:
            return Badge("none", "—")
        due = self.due(due_at)
        natural = unit == Unit.CALENDAR
        if self.now >= due_at:
            if natural:
                late = -calendar_days_left(due_day_of(due_at), self.now)
                text = self.ngettext("Overdue by %(num)d calendar day", "Overdue by %(num)d calendar days", late)
            else:
                late = working_days_overdue(due_day_of(due_at), self.now, self.ref.calendar)
                text = self.ngettext("Overdue by %(num)d working day", "Overdue by %(num)d working days", late)
            return Badge("late", text if late else self._("Overdue"), due, provisional)
        if left == 0:
            return Badge("soon", self._("Due today"), due, provisional)
        if natural:
            text = self.ngettext("%(num)d calendar day left", "%(num)d calendar days left", left)
            soon = days_left(due_day_of(due_at), self.now, self.ref.calendar) <= self._soon_days()
        else:
            text = self.ngettext("%(num)d working day left", "%(num)d working days left", left)
            soon = left <= self._soon_days()
        return Badge("soon" if soon else "ok", text, due, provisional)

    def badge(self, clock: RunningClock | None) -> Badge:
        if clock is None:
            return Badge("none", "—")
        return self._badge(
            paused=clock.paused,
            due_at=clock.due_at,
            left=clock.working_days_left if clock.days_left is None else clock.days_left,
            provisional=clock.provisional,
            unit=clock.unit,
        )

    def clock_badge(self, view: ClockView) -> Badge:
        if not view.clock.is_open:
            return Badge("none", self._("Closed"))
        return self._badge(
            paused=view.clock.is_paused,
            due_at=view.due.at if view.due else None,
            left=view.days_left,
            provisional=bool(view.due and view.due.provisional),
            unit=view.clock.unit,
        )

    def days_left_badge(self, due_at: Moment | None, left: int, unit: str = Unit.WORKING) -> Badge:
        return self._badge(paused=False, due_at=due_at, left=left, provisional=False, unit=unit)


def render_template(locale: str, name: str, context: Mapping[str, Any]) -> str:
    return environment(locale).get_template(name).render(**context)


DOCUMENT_LOCALE = "zh_CN"  # 委托函, 回执 and 督办通知 are official documents: Chinese whatever the UI language


def render_document(name: str, ref: Reference, now: Moment, **context: Any) -> str:
    """An official document (templates/print/), in Chinese with the Chinese helpers."""
    values = {"h": Helpers(DOCUMENT_LOCALE, ref, now), "today": local_day(now), **context}
    return render_template(DOCUMENT_LOCALE, name, values)
