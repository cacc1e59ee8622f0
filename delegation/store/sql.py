"""SQL helpers: Core statements on the session's connection, and the one place that picks a dialect.

Both databases accept INSERT .. ON CONFLICT (PostgreSQL and SQLite >= 3.24), but SQLAlchemy builds it from
the dialect's own `insert`; `insert_for` makes that choice once for every caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
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


# ---------------------------------------------------------------- PostgreSQL: several writes in one statement


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def rows_json(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows as one JSON array, the parameter of insert_from_json (dates and times in ISO 8601)."""
    return json.dumps(list(rows), default=_json_value, ensure_ascii=False)


def insert_from_json(target: Table, columns: Sequence[str], param: str) -> str:
    """PostgreSQL: `INSERT INTO target (columns)` of the rows in the JSON array bound as `:param`, each value
    converted to its column's type by jsonb_populate_recordset. Any number of rows, one statement text (so
    the prepared statement is reused); several of them go into one statement with `with_all`."""
    names = ", ".join(columns)
    # Names from the table's metadata; values only ever in the bound parameter.
    return (
        f"INSERT INTO {target.name} ({names}) SELECT {names} "  # noqa: S608
        f"FROM jsonb_populate_recordset(NULL::{target.name}, CAST(:{param} AS jsonb))"
    )


def with_all(statements: Sequence[str], final: str = "SELECT 1") -> str:
    """Data-modifying statements run as one (WITH w0 AS (...), w1 AS (...) final): one round trip."""
    ctes = ", ".join(f"w{i} AS ({s})" for i, s in enumerate(statements))
    return f"WITH {ctes} {final}"
