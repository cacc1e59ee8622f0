"""SQL helpers: Core statements on the session's connection, and the one place that picks a dialect.

Both databases accept INSERT .. ON CONFLICT (PostgreSQL and SQLite >= 3.24), but SQLAlchemy builds it from
the dialect's own `insert`; `insert_for` makes that choice once for every caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Column, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def table(model: type[Any]) -> Table:
    """The Core table of a SQLModel table class."""
    return cast(Table, model.__table__)


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def is_postgres(session: AsyncSession) -> bool:
    return dialect(session) == "postgresql"


async def run(session: AsyncSession, statement: Any, params: Any = None) -> Any:
    """A Core statement on the session's connection (its transaction); params as a list = executemany."""
    connection = await session.connection()
    if params is None:
        return await connection.execute(statement)
    return await connection.execute(statement, params)


def insert_for(session: AsyncSession, target: Table) -> postgresql.Insert | sqlite.Insert:
    """INSERT with ON CONFLICT support, in the session's dialect."""
    return postgresql.insert(target) if is_postgres(session) else sqlite.insert(target)


def insert_ignoring(
    session: AsyncSession, target: Table, unique: Sequence[Column[Any]]
) -> postgresql.Insert | sqlite.Insert:
    """INSERT .. ON CONFLICT (unique) DO NOTHING: the first writer of a key wins, later ones insert nothing."""
    return insert_for(session, target).on_conflict_do_nothing(index_elements=list(unique))


async def serialize_on(session: AsyncSession, key: str) -> None:
    """Serialise the current transaction with every other one that names `key`, until commit or rollback.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do, provided the transaction writes
    first: its one writer lock already makes writing transactions take turns.
    """
    if is_postgres(session):
        await run(session, text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))").bindparams(key=key))
