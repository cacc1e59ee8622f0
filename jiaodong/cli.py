"""The `jiaodong` command: database, demo data, calendar, docs, and the server."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated, TypeVar

import typer

import migrations
from jiaodong import admin_cli, calendar_cli, documents_cli, i18n_cli, ops_cli, sla_cli, users_cli
from jiaodong.cli_errors import run_guarded
from jiaodong.settings import get_settings

app = typer.Typer(
    help="胶东五市跨院委托执行协作平台 / Jiaodong cross-court delegation (add --debug to see tracebacks)",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
docs_app = typer.Typer(help="Generated documentation.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(docs_app, name="docs")
app.add_typer(calendar_cli.calendar_app, name="calendar")
app.add_typer(admin_cli.courts_app, name="court")
app.add_typer(admin_cli.policy_app, name="policy")
app.add_typer(sla_cli.sla_app, name="sla")
app.add_typer(i18n_cli.i18n_app, name="i18n")
app.add_typer(ops_cli.ops_app, name="ops")
app.add_typer(documents_cli.documents_app, name="documents")
app.command("export")(documents_cli.export)
users_cli.register(app)  # jiaodong user add, jiaodong token create|list|revoke

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
STATE_DOC = ROOT / "docs" / "state-machine.md"


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_factory()

    return asyncio.run(main())


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations.PATH))
    config.set_main_option("sqlalchemy.url", url or get_settings().resolved_database_url)
    return config


def upgrade_database(url: str | None = None) -> None:
    from alembic import command

    settings = get_settings()
    if url is None and settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (creates the SQLite file in the data folder when no DATABASE_URL is set)."""
    upgrade_database()
    typer.echo(f"database at head: {_redacted(get_settings().resolved_database_url)}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("seed-demo")
def seed_demo() -> None:
    """Load demo users for every city and role (idempotent) and print how to log in."""
    from jiaodong.demo import seed

    lines = run(lambda: seed(get_settings().resolved_database_url))
    for line in lines:
        typer.echo(line)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    flows: Annotated[bool, typer.Option(help="Also run Prefect (unless PREFECT_API_URL is set) and the flows.")] = True,
    insecure_dev: Annotated[
        bool, typer.Option(help="Allow the development secret key on PostgreSQL or a non-loopback address.")
    ] = False,
    register_deployments: Annotated[
        bool, typer.Option(help="With PREFECT_API_URL set: register and serve the deployments on that server.")
    ] = False,
) -> None:
    """Serve the web app and the API, with the Prefect server and the scheduled flows (jiaodong/serve.py)."""
    from jiaodong.serve import run as serve_everything

    serve_everything(host, port, flows=flows, insecure_dev=insecure_dev, register_deployments=register_deployments)


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


def _wire_calendar_to_database() -> None:
    """`jiaodong calendar` answers with the schedules stored in the database when one is reachable."""
    from jiaodong import reference_store

    calendar_cli.calendar_provider = reference_store.calendar_from_database_or_shipped
    calendar_cli.schedule_store = reference_store.store_schedule_sync


_wire_calendar_to_database()


def run_cli(argv: Sequence[str]) -> int:
    """The command line, guarded: an operator's mistake (no database, a bad argument, a server that does not
    answer) is one line saying what to do and exit code 2; `--debug` shows the traceback instead."""
    command = typer.main.get_command(app)

    def invoke(args: Sequence[str]) -> int | None:
        result = command.main(args=list(args), prog_name="jiaodong", standalone_mode=False)
        return result if isinstance(result, int) else None

    return run_guarded(invoke, argv, lambda line: typer.echo(line, err=True))


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(run_cli(sys.argv[1:]))
