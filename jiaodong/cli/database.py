"""`jiaodong db`: the schema, migrated by Alembic (the migrations are the data package `migrations`)."""

from __future__ import annotations

import typer

import migrations
from jiaodong.settings import get_settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


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
