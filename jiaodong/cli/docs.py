"""Texts kept in step with the code: `jiaodong docs` (documents generated from code: the state machine from its
transition table) and `jiaodong i18n` (the pages' message catalogues, translations/<locale>/LC_MESSAGES/messages.po,
in step with the texts in templates/ and api/web/)."""

from __future__ import annotations

from pathlib import Path

import typer

docs_app = typer.Typer(help="Generated documentation.", no_args_is_help=True)

ROOT = Path(__file__).resolve().parents[2]
STATE_DOC = ROOT / "docs" / "state-machine.md"


@docs_app.command("states")
def docs_states() -> None:
    """Regenerate docs/state-machine.md from the transition table."""
    from delegation.core.states import render_markdown

    STATE_DOC.parent.mkdir(parents=True, exist_ok=True)
    STATE_DOC.write_text(render_markdown(), encoding="utf-8")
    typer.echo(f"wrote {STATE_DOC.relative_to(ROOT)}")


@docs_app.command("check")
def docs_check() -> None:
    """Fail when a generated document is out of date."""
    from delegation.core.states import render_markdown

    current = STATE_DOC.read_text(encoding="utf-8") if STATE_DOC.exists() else ""
    if current != render_markdown():
        typer.echo("docs/state-machine.md is out of date: run `jiaodong docs states`", err=True)
        raise typer.Exit(1)
    typer.echo("generated docs are current")


i18n_app = typer.Typer(help="Message catalogues of the web pages (Babel).", no_args_is_help=True)


@i18n_app.command("update")
def update() -> None:
    """Extract the texts (babel.cfg) and merge new ones into every catalogue; then translate the empty ones."""
    from api.web import i18n

    for locale, missing in i18n.update_catalogues().items():
        typer.echo(f"{locale}: {missing} untranslated ({i18n.catalogue_path(locale).relative_to(i18n.ROOT)})")


@i18n_app.command("check")
def check() -> None:
    """Fail when a text of the pages lacks a translation in a catalogue."""
    from api.web import i18n

    failed = False
    for locale in i18n.LOCALES:
        missing = i18n.untranslated(locale)
        for message in missing:
            typer.echo(f"{locale}: untranslated: {message}", err=True)
        failed = failed or bool(missing)
    if failed:
        raise typer.Exit(1)
    typer.echo("every text is translated in " + ", ".join(i18n.LOCALES))
