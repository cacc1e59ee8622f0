"""`jiaodong docs`: documents generated from code (the state machine from its transition table)."""

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
