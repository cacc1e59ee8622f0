"""`jiaodong connectors ...` (registry connectors, docs/network.md) and `jiaodong registry-sim`."""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, UserRole
from delegation.core.errors import DomainError, ValidationFailed
from delegation.network import service as network
from delegation.network.model import BusinessHours, ConnectorConfig, RegistryKind
from delegation.refdata.service import load_reference
from delegation.store.context import Context
from delegation.store.tables import ConnectorRow
from jiaodong.cli.sessions import in_session

connectors_app = typer.Typer(help="网络查控: registry connectors of the courts and cities.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(connectors_app, name="connectors")
    app.command("registry-sim")(registry_sim)


def _admin() -> Actor:
    return Actor(f"cli:{getpass.getuser()}", None, frozenset({UserRole.ADMIN}), "命令行管理员")


def _line(c: ConnectorRow) -> str:
    hours = c.business_hours or {}
    days = "working days" if hours.get("working_days_only", True) else "every day"
    state = "active" if c.active else "off"
    return (
        f"{c.id}\t{c.scope}\t{c.registry_kind}\t{c.name}\t{','.join(c.matter_types)}\t{c.endpoint}\t"
        f"secret={c.secret_ref}\t{c.rate_per_minute}/min\t{c.max_in_flight} in flight\t"
        f"{hours.get('start', '08:30')}-{hours.get('end', '17:30')} {days}\t"
        f"{'auto-accept' if c.auto_accept else 'clerk click'}\t{state}"
    )


def _save(configs: list[ConnectorConfig]) -> list[ConnectorRow]:
    async def work(session: AsyncSession) -> list[ConnectorRow]:
        ctx = Context(session, await load_reference(session), _admin(), datetime.now(UTC))
        return [await network.save_connector(ctx, config) for config in configs]

    try:
        return in_session(work)
    except ValidationFailed as exc:
        for error in exc.errors:
            typer.echo(f"{error.field}: {error.message_zh} / {error.message_en}", err=True)
        raise typer.Exit(1) from None
    except DomainError as exc:
        typer.echo(f"{exc.title_zh} / {exc.detail_en}", err=True)
        raise typer.Exit(1) from None


def _config_error(exc: ValidationError) -> typer.Exit:
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "connector"
        typer.echo(f"{where}: {error['msg']}", err=True)
    return typer.Exit(1)


@connectors_app.command("list")
def list_connectors() -> None:
    """Every connector: scope, registry, matters, endpoint, where its secret is, limits, hours, state."""
    for row in in_session(network.list_connectors):
        typer.echo(_line(row))


@connectors_app.command("set")
def set_connector(
    scope: Annotated[str, typer.Argument(help="Court code (鲁0602) or a city's intermediate court (鲁06).")],
    registry: Annotated[RegistryKind, typer.Argument(help="Registry kind.")],
    name: Annotated[str, typer.Option(help="The registry's name, as clerks read it.")],
    endpoint: Annotated[str, typer.Option(help="Base URL of the registry's jiaodong-registry/1 interface.")],
    secret_ref: Annotated[
        str, typer.Option(help="Where the HMAC secret is: env:NAME or file:/path (never the secret).")
    ],
    matter: Annotated[list[str], typer.Option(help="A matter type it handles; repeat for several.")],
    rate_per_minute: Annotated[int, typer.Option(help="Requests per minute at most.")] = 60,
    max_in_flight: Annotated[int, typer.Option(help="Requests waiting for an answer at once, at most.")] = 4,
    answer_timeout: Annotated[int, typer.Option(help="Seconds to wait for all answers of a matter.")] = 600,
    hours: Annotated[str, typer.Option(help="Business hours HH:MM-HH:MM, Asia/Shanghai.")] = "08:30-17:30",
    every_day: Annotated[bool, typer.Option(help="Open on rest days and holidays too.")] = False,
    auto_accept: Annotated[bool, typer.Option(help="Sign for new matters of these types without a clerk.")] = False,
) -> None:
    """Create or replace the connector of (scope, registry)."""
    start, _, end = hours.partition("-")
    try:
        config = ConnectorConfig(
            scope=scope,
            registry=registry,
            name=name,
            matter_types=tuple(matter),
            endpoint=endpoint,
            secret_ref=secret_ref,
            rate_per_minute=rate_per_minute,
            max_in_flight=max_in_flight,
            answer_timeout_seconds=answer_timeout,
            business_hours=BusinessHours(start=start, end=end, working_days_only=not every_day),
            auto_accept=auto_accept,
        )
    except ValidationError as exc:
        raise _config_error(exc) from None
    [row] = _save([config])
    typer.echo(_line(row))


@connectors_app.command("load")
def load_connectors(path: Annotated[Path, typer.Argument(help="A JSON list of connectors (docs/network.md).")]) -> None:
    """Create or replace the connectors of a JSON file: configuration as data, reviewed like code."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        configs = [ConnectorConfig.model_validate(item) for item in raw]
    except ValidationError as exc:
        raise _config_error(exc) from None
    except (OSError, ValueError) as exc:
        typer.echo(f"{path}: {exc}", err=True)
        raise typer.Exit(1) from None
    for row in _save(configs):
        typer.echo(_line(row))


def _switch(connector_id: int, active: bool) -> None:
    async def work(session: AsyncSession) -> ConnectorRow:
        ctx = Context(session, await load_reference(session), _admin(), datetime.now(UTC))
        return await network.set_active(ctx, connector_id, active)

    try:
        typer.echo(_line(in_session(work)))
    except DomainError as exc:
        typer.echo(f"{exc.title_zh} / {exc.detail_en}", err=True)
        raise typer.Exit(1) from None


@connectors_app.command("disable")
def disable(
    connector_id: Annotated[int, typer.Argument(help="The connector's id (jiaodong connectors list).")],
) -> None:
    """Send nothing new to this registry (matters in flight finish)."""
    _switch(connector_id, False)


@connectors_app.command("enable")
def enable(connector_id: Annotated[int, typer.Argument(help="The connector's id.")]) -> None:
    _switch(connector_id, True)


def registry_sim(
    port: Annotated[int, typer.Option(help="Loopback port.")] = 8765,
    host: Annotated[str, typer.Option(help="Loopback address only.")] = "127.0.0.1",
) -> None:
    """The registries of the five cities, simulated (docs/network.md); the HMAC secret comes from
    JIAODONG_REGISTRY_SIM_SECRET (at least 16 characters)."""
    from jiaodong.demo.connectors import SECRET_ENV
    from jiaodong.registry_sim import serve

    secret = os.environ.get(SECRET_ENV, "")
    if len(secret) < 16:
        typer.echo(f"set {SECRET_ENV} to the connectors' shared secret (16+ characters)", err=True)
        raise typer.Exit(2)
    serve(host, port, secret)
