"""Administrator commands for reference data: courts (correct, add, retire) and policy versions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from courts.registry import CourtOverride, CourtOverrideError
from delegation.core.errors import ValidationFailed
from delegation.refdata.service import load_reference, store_court_override, store_policy
from jiaodong.cli.sessions import in_session

courts_app = typer.Typer(
    help="Correct, add or retire courts (kept as dated overrides over the shipped list).", no_args_is_help=True
)
policy_app = typer.Typer(help="Matter catalogue and SLA policy versions.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _store(override: CourtOverride, note: str) -> None:
    try:
        in_session(lambda s: store_court_override(s, override, "cli", datetime.now(UTC), note))
    except (CourtOverrideError, ValueError) as exc:
        raise _fail(f"无法保存 / not saved: {exc}") from None
    typer.echo(f"saved: {override.code} effective {override.effective_from}")


Effective = Annotated[str | None, typer.Option(help="First day the change applies, YYYY-MM-DD (default: today).")]


def _day(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"日期格式应为 YYYY-MM-DD / not a date: {text}") from None


@courts_app.command("correct")
def correct(
    code: Annotated[str, typer.Argument(help="The court's current code.")],
    new_code: Annotated[str | None, typer.Option(help="Corrected code; the old one stays resolvable.")] = None,
    name: Annotated[str | None, typer.Option()] = None,
    name_en: Annotated[str | None, typer.Option()] = None,
    division_code: Annotated[str | None, typer.Option()] = None,
    effective: Effective = None,
    note: str = "",
) -> None:
    """Correct a court's code, name or division code."""
    if new_code:
        override = CourtOverride(
            code=new_code,
            renamed_from=code,
            effective_from=_day(effective),
            name=name,
            name_en=name_en,
            division_code=division_code,
            code_verified=True,
        )
    else:
        override = CourtOverride(
            code=code, effective_from=_day(effective), name=name, name_en=name_en, division_code=division_code
        )
    _store(override, note)


@courts_app.command("add")
def add(
    code: str,
    name: str,
    city: str,
    level: Annotated[str, typer.Option(help="basic, intermediate, maritime or high")] = "basic",
    parent_code: Annotated[str | None, typer.Option()] = None,
    division_code: Annotated[str | None, typer.Option()] = None,
    name_en: str = "",
    effective: Effective = None,
    note: str = "",
) -> None:
    """Add a court (e.g. a development-zone court)."""
    _store(
        CourtOverride(
            code=code,
            effective_from=_day(effective),
            name=name,
            name_en=name_en or name,
            city=city,
            level=level,
            parent_code=parent_code,
            division_code=division_code,
            code_verified=False,
            active=True,
        ),
        note,
    )


@courts_app.command("retire")
def retire(code: str, effective: Effective = None, note: str = "") -> None:
    """Retire a court from a date; its old matters keep resolving it."""
    _store(CourtOverride(code=code, effective_from=_day(effective), active=False), note)


@courts_app.command("show")
def show(code: str) -> None:
    """Show a court as the registry resolves it today (shipped list plus overrides)."""
    ref = in_session(lambda s: load_reference(s, as_of=date.today()))  # noqa: DTZ011
    court = ref.registry.find(code)
    if court is None:
        raise _fail(f"未知法院代码 / unknown court code: {code}")
    typer.echo(f"{court.code}\t{court.name}\t{court.city}\t{court.level}\tactive={court.is_active_on(date.today())}")  # noqa: DTZ011


@policy_app.command("load")
def load_policy(file: Path) -> None:
    """Validate a policy version file and store it; it applies from its effective_from date."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"无法读取文件 / cannot read {file}: {exc}") from None
    try:
        policy = in_session(lambda s: store_policy(s, text, "cli", datetime.now(UTC)))
    except ValidationFailed as exc:
        raise _fail("\n".join(f"{e.field}: {e.message_zh} / {e.message_en}" for e in exc.errors)) from None
    typer.echo(f"stored policy version {policy.version}, effective {policy.effective_from}")
