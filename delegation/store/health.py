"""What readiness asks the database: is it reachable, which migration it is at, the outbox's backlog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from delegation.store.availability import is_unavailable
from delegation.store.tables import OutboxRow


@dataclass(frozen=True)
class Backlog:
    pending: int
    oldest_pending_at: datetime | None
    failed: int


async def schema_revision(connection: AsyncConnection) -> str | None:
    """The Alembic revision the database is at (None: never migrated)."""
    try:
        row = (await connection.execute(text("SELECT version_num FROM alembic_version"))).first()
    except DBAPIError as error:  # no alembic_version table: never migrated
        if is_unavailable(error):
            raise
        await connection.rollback()
        return None
    return str(row[0]) if row else None


async def outbox_backlog(connection: AsyncConnection) -> Backlog:
    pending, oldest = (
        await connection.execute(
            select(func.count(), func.min(col(OutboxRow.created_at))).where(
                col(OutboxRow.status).in_(("pending", "sending"))
            )
        )
    ).one()
    failed = (await connection.execute(select(func.count()).where(col(OutboxRow.status) == "failed"))).scalar_one()
    return Backlog(int(pending), oldest, int(failed))
