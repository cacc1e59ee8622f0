"""`jiaodong calendar ...`: working-day questions and loading official holiday schedules.

The calendar and the schedule store are module-level hooks so that the main CLI can wire them to the
database (loaded schedules live there); by default the CLI answers from the shipped schedules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from courts.calendar import SHANGHAI, CalendarRangeError, WorkingCalendar
from courts.schedules import ScheduleError, YearSchedule, parse_schedule

# Replaceable hooks (see module docstring).
calendar_provider: Callable[[], WorkingCalendar] = WorkingCalendar.shipped
schedule_store: Callable[[YearSchedule], None] | None = None

calendar_app = typer.Typer(
    name="calendar",
    help="Working days of the courts: deadlines, day status, official holiday schedules.",
    no_args_is_help=True,
    add_completion=False,
)


def _parse_date(value: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD (日期格式应为 YYYY-MM-DD)") from None


DateArg = Annotated[date, typer.Argument(parser=_parse_date, metavar="DATE", help="YYYY-MM-DD")]


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@calendar_app.command("due")
def due(
    trigger: DateArg,
    n: Annotated[
        int,
        typer.Argument(
            metavar="N",
            help="Working days (or plain days with --days); counting starts the day after DATE. "
            "Use -- before a negative N.",
        ),
    ],
    days: Annotated[
        bool,
        typer.Option(
            "--days",
            help='N plain days ("十五日内"): the last day is DATE + N, moved past rest days and holidays '
            "(民诉法 第八十五条; make-up workdays are not rest days). N must be at least 1.",
        ),
    ] = False,
) -> None:
    """Print the last day of the period, followed by ' provisional' if not yet confirmed."""
    calendar = calendar_provider()
    try:
        if days:
            if n < 1:
                _fail(f"a period of days needs N >= 1, got {n} (以日计算的期间至少为1日)", 2)
            deadline = calendar.calendar_period_end(trigger, n)
        else:
            deadline = calendar.add_working_days(trigger, n)
    except CalendarRangeError as e:
        _fail(str(e), 2)
    typer.echo(deadline.date.isoformat() + (" provisional" if deadline.provisional else ""))


@calendar_app.command("is-working-day")
def is_working_day(day: DateArg) -> None:
    """Print yes or no."""
    try:
        working = calendar_provider().is_working_day(day)
    except CalendarRangeError as e:
        _fail(str(e), 2)
    typer.echo("yes" if working else "no")


@calendar_app.command("status")
def status() -> None:
    """List the years with a confirmed official schedule; all other years are provisional."""
    calendar = calendar_provider()
    years = calendar.supported_years
    today = datetime.now(SHANGHAI).date()  # the CLI is an edge; only picks which years to show
    shown = sorted({*calendar.confirmed_years(), *(y for y in (today.year, today.year + 1) if y in years)})
    for year in shown:
        schedule = calendar.schedule(year)
        if schedule is None:
            typer.echo(f"{year}  provisional  no official schedule loaded")
        else:
            typer.echo(f"{year}  confirmed    {schedule.source}, published {schedule.published.isoformat()}")
    typer.echo(
        f"Other years in {years.start}-{years.stop - 1} are provisional: weekends and the statutory holidays "
        "computed by the holidays package; deadlines touching them are marked provisional."
    )


def _status_changes(old: WorkingCalendar, new: WorkingCalendar, year: int) -> list[str]:
    lines: list[str] = []
    day = max(date(year - 1, 12, 1), new.first_day)
    while day.year <= year:
        before, after = old.is_working_day(day), new.is_working_day(day)
        if before != after:
            label = "working day -> day off" if before else "day off -> working day"
            lines.append(f"  {day.isoformat()} {day.strftime('%a')}: {label}")
        day += timedelta(days=1)
    return lines


@calendar_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Schedule JSON file")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and show the effect only.")] = False,
) -> None:
    """Validate an official schedule file and store it (it then replaces any schedule of its year)."""
    try:
        schedule = parse_schedule(file.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        _fail(f"{file} is not UTF-8 text (文件不是 UTF-8 编码)", 1)
    except ScheduleError as e:
        typer.echo(f"Error: invalid schedule file {file} (日程文件有误):", err=True)
        for problem in e.problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(1) from None
    current = calendar_provider()
    try:
        updated = current.with_schedule(schedule)
    except CalendarRangeError as e:
        _fail(str(e), 1)
    typer.echo(
        f"{schedule.year}: {len(schedule.holidays)} holidays, {len(schedule.workdays)} make-up workdays "
        f"({schedule.source}, published {schedule.published.isoformat()})"
    )
    changes = _status_changes(current, updated, schedule.year)
    if changes:
        typer.echo(f"Working-day status changes against the current calendar ({len(changes)}):")
        for line in changes:
            typer.echo(line)
    else:
        typer.echo("No working-day status changes against the current calendar.")
    if dry_run:
        typer.echo("Dry run: nothing stored.")
        return
    if schedule_store is None:
        _fail("no schedule store is configured; nothing was stored (未配置日程存储，未保存)", 1)
    schedule_store(schedule)
    typer.echo(f"Stored the {schedule.year} schedule; deadlines touching {schedule.year} must be recomputed.")
