"""`jiaodong ops`: operating the Prefect side in production (automations that alert the operators)."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

ops_app = typer.Typer(help="Operations: Prefect automations for the operators.", no_args_is_help=True)


@ops_app.command("apply-automations")
def apply_automations(
    webhook_url: Annotated[
        str | None,
        typer.Option(help="The operators' channel (an incoming webhook); default: $JIAODONG_OPS_WEBHOOK_URL"),
    ] = None,
) -> None:
    """Create or replace the operators' automations (flows/automations.py) on PREFECT_API_URL."""
    from prefect.settings import PREFECT_API_URL

    from flows.automations import apply

    url = webhook_url or os.environ.get("JIAODONG_OPS_WEBHOOK_URL")
    if not url:
        typer.echo("没有运维通知地址：请用 --webhook-url 或 JIAODONG_OPS_WEBHOOK_URL 指定", err=True)
        raise typer.Exit(2)
    if not PREFECT_API_URL.value():
        typer.echo("PREFECT_API_URL 未设置：请指向生产环境的 Prefect 服务器 (PREFECT_API_URL is not set)", err=True)
        raise typer.Exit(2)
    for name in asyncio.run(apply(url)):
        typer.echo(f"applied: {name}")
