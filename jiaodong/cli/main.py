"""The `jiaodong` command: database, demo data, calendar, docs, and the server."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, TypeVar

import typer

from jiaodong.cli import admin, calendar, documents, network, ops, sla, users
from jiaodong.cli.database import db_app
from jiaodong.cli.docs import docs_app, i18n_app
from jiaodong.cli.errors import run_guarded
from jiaodong.settings import get_settings

app = typer.Typer(
    help="胶东五市跨院委托执行协作平台 / Jiaodong cross-court delegation (add --debug to see tracebacks)",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(docs_app, name="docs")
app.add_typer(calendar.calendar_app, name="calendar")
app.add_typer(admin.courts_app, name="court")
app.add_typer(admin.policy_app, name="policy")
app.add_typer(sla.sla_app, name="sla")
app.add_typer(i18n_app, name="i18n")
app.add_typer(ops.ops_app, name="ops")
app.add_typer(documents.documents_app, name="documents")
app.command("export")(documents.export)
users.register(app)  # jiaodong user add, jiaodong token create|list|revoke
network.register(app)  # jiaodong connectors list|set|load|enable|disable, jiaodong registry-sim

T = TypeVar("T")


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_factory()

    return asyncio.run(main())


@app.command("seed-demo")
def seed_demo(
    url: Annotated[
        str, typer.Option(help="Where the service is served, for the examples printed (scripts/serve passes it).")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Load demo users for every city and role (idempotent) and print how to log in."""
    from jiaodong.demo.seeder import seed

    lines = run(lambda: seed(get_settings().resolved_database_url, base_url=url))
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
    registry_sim: Annotated[
        bool | None,
        typer.Option(help="Start the registry simulator and point the demo connectors at it (default: embedded only)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Web worker processes (uvicorn workers on one socket); the flows still run in one runner.",
        ),
    ] = 1,
) -> None:
    """Serve the web app and the API, with the Prefect server and the scheduled flows (jiaodong/serve.py)."""
    from jiaodong.serve import run as serve_everything

    serve_everything(
        host,
        port,
        flows=flows,
        insecure_dev=insecure_dev,
        register_deployments=register_deployments,
        registry_sim=registry_sim,
        workers=workers,
    )


def _wire_calendar_to_database() -> None:
    """`jiaodong calendar` answers with the schedules stored in the database when one is reachable."""
    from jiaodong.cli import calendar_store

    calendar.calendar_provider = calendar_store.calendar_from_database_or_shipped
    calendar.schedule_store = calendar_store.store_schedule_sync


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
