"""`jiaodong documents verify` (the document store against the database) and `jiaodong export COURT`
(one court's matters with their documents, for an audit or a migration)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from api.state import store_of
from delegation.filing.export import export_court
from delegation.filing.integrity import verify_store
from delegation.store.db import make_engine, make_sessionmaker
from jiaodong.settings import get_settings

documents_app = typer.Typer(help="The document store.", no_args_is_help=True)


@documents_app.command("verify")
def verify() -> None:
    """Check every recorded document's file and digest; list files no document names. Exit 1 on a problem."""

    async def main() -> bool:
        settings = get_settings()
        engine = make_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                report = await verify_store(session, store_of(settings))
        finally:
            await engine.dispose()
        typer.echo(f"checked {report.checked} documents in the {store_of(settings).name} store")
        for document_id, key in report.missing:
            typer.echo(f"missing: document {document_id} ({key})")
        for document_id, key in report.altered:
            typer.echo(f"altered: document {document_id} ({key}): its SHA-256 differs from the recorded one")
        for key in report.unreferenced:
            typer.echo(f"unreferenced: {key}")
        typer.echo("ok" if report.ok else f"{len(report.missing)} missing, {len(report.altered)} altered")
        return report.ok

    if not asyncio.run(main()):
        raise typer.Exit(1)


def export(
    court: Annotated[str, typer.Argument(help="The court's code, e.g. 鲁0602")],
    out: Annotated[Path, typer.Option("--out", help="The zip to write")] = Path("export.zip"),
) -> None:
    """One court's matters (requested or assisted) with their documents, as a zip; logged per matter."""

    async def main() -> None:
        settings = get_settings()
        engine = make_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                summary = await export_court(session, store_of(settings), court, out, "cli", datetime.now(UTC))
        finally:
            await engine.dispose()
        typer.echo(f"{summary.matters} matters, {summary.documents} documents -> {summary.path}")

    asyncio.run(main())
