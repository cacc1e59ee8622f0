"""SQL helpers: Core statements on the session's connection, and the one place that picks a dialect.

Both databases accept INSERT .. ON CONFLICT (PostgreSQL and SQLite >= 3.24), but SQLAlchemy builds it from
the dialect's own `insert`; `insert_for` makes that choice once for every caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import orjson
from sqlalchemy import (
    ARRAY,
    Column,
    ColumnElement,
    Table,
    TextClause,
    and_,
    any_,
    bindparam,
    insert,
    literal_column,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def table(model: type[Any]) -> Table:
    """The Core table of a SQLModel table class."""
    return cast(Table, model.__table__)


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def is_postgres(session: AsyncSession) -> bool:
    return dialect(session) == "postgresql"


def one_of(session: AsyncSession, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(:values)`, the values as one array parameter (the
    same plan: PostgreSQL reads an IN list as = ANY of an array). SQLAlchemy renders an IN list's parameters
    one by one on every execution, each with its cast (~10 µs a value on asyncpg): a regional dashboard's
    60 courts in eight places were a few ms of every page; and the statement's text is then one whatever the
    number of values (one prepared statement)."""
    items = list(values)
    if is_postgres(session):
        return cast(ColumnElement[bool], column == any_(bindparam(None, items, type_=ARRAY(column.type))))
    return cast(ColumnElement[bool], column.in_(items))


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
    if isinstance(value, datetime):
        if value.tzinfo is None:  # as UTCDateTime refuses them
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS  # dates and times by _json_value, as before


def rows_json(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows as one JSON array, the parameter of insert_from_json (dates and times in ISO 8601). orjson: the
    standard library's encoder took a tenth of a 10,000-rung sweep."""
    return orjson.dumps(list(rows), default=_json_value, option=_ORJSON).decode()


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


@dataclass(frozen=True)
class _Update:
    """One row's UPDATE written with the inserts: `values` where every column of `where` equals its value."""

    target: Table
    where: dict[str, Any]
    values: dict[str, Any]


class Inserts:
    """Rows to append in the caller's transaction, collected while an action is worked out and written by
    `write` in one round trip on PostgreSQL (one statement of data-modifying CTEs), one INSERT per table on
    SQLite. Plain appends only: no ids come back. At most one UPDATE of one row (`update`) may go first, as
    their condition: a compare-and-set that matches no row writes nothing, and `write` says so."""

    def __init__(self) -> None:
        self.parts: list[tuple[Table, list[dict[str, Any]]]] = []
        self.first: _Update | None = None

    def add(self, target: Table, rows: Iterable[Mapping[str, Any]]) -> None:
        found = [dict(r) for r in rows]
        if found:
            self.parts.append((target, found))

    def update(self, target: Table, where: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        """UPDATE target SET values WHERE (column = value for each of `where`), written before the rows."""
        assert self.first is None, "one update per write"
        self.first = _Update(target, dict(where), dict(values))

    async def write(self, session: AsyncSession) -> bool:
        """Write the update and the rows; False (and nothing written) when the update matched no row."""
        parts, self.parts = self.parts, []
        first, self.first = self.first, None
        if not is_postgres(session):
            if first is not None:
                condition = [first.target.c[name] == value for name, value in first.where.items()]
                matched = await run(session, update(first.target).where(*condition).values(**first.values))
                if matched.rowcount != 1:
                    return False
            for target, found in parts:
                await run(session, insert(target), found)
            return True
        if not parts and first is None:
            return True
        statements: list[str] = []
        params: dict[str, Any] = {}
        guard = ""
        if first is not None:
            statements.append(_update_sql(first.target, tuple(first.where), tuple(first.values)))
            params.update({f"w_{k}": v for k, v in first.where.items()})
            params.update({f"v_{k}": v for k, v in first.values.items()})
            guard = " WHERE EXISTS (SELECT 1 FROM w0)"
        for target, found in parts:
            name = f"rows{len(statements)}"
            columns = _with_defaults(target, found)
            statements.append(insert_from_json(target, columns, name) + guard)
            params[name] = rows_json(found)
        final = "SELECT count(*) FROM w0" if first is not None else "SELECT 1"
        result = await run(session, cached_text(with_all(statements, final), first), params)
        return first is None or result.scalar_one() == 1

    async def write_returning_id(self, session: AsyncSession, target: Table) -> int:
        """Write the rows (no update) and return the new id of the one row added for `target` (added first):
        one statement on PostgreSQL, the row's INSERT .. RETURNING id and the others' INSERTs on SQLite."""
        parts, self.parts = self.parts, []
        assert self.first is None and parts and parts[0][0] is target and len(parts[0][1]) == 1
        if not is_postgres(session):
            ident = (await run(session, insert(target).returning(target.c.id), parts[0][1])).scalar_one()
            for other, found in parts[1:]:
                await run(session, insert(other), found)
            return int(ident)
        statements: list[str] = []
        params: dict[str, Any] = {}
        for table_, found in parts:
            name = f"rows{len(statements)}"
            statements.append(insert_from_json(table_, _with_defaults(table_, found), name))
            params[name] = rows_json(found)
        statements[0] += " RETURNING id"
        return int((await run(session, cached_text(with_all(statements, "SELECT id FROM w0")), params)).scalar_one())


def _update_sql(target: Table, where: tuple[str, ...], values: tuple[str, ...]) -> str:
    sets = ", ".join(f"{name} = :v_{name}" for name in values)
    condition = " AND ".join(f"{name} = :w_{name}" for name in where)
    # Names from the table's metadata; values only ever in bound parameters.
    return f"UPDATE {target.name} SET {sets} WHERE {condition} RETURNING 1"  # noqa: S608


_TEXTS: dict[str, TextClause] = {}


def cached_text(sql: str, first: _Update | None = None) -> TextClause:
    """A text statement built once per SQL text: building one parses its parameters each time, and the same
    few texts (one per shape of an action's writes) come back on every request. The UPDATE's parameters are
    typed as their columns, so SQLAlchemy converts them as a Core UPDATE would."""
    found = _TEXTS.get(sql)
    if found is None:
        found = text(sql)
        if first is not None:
            columns = first.target.c
            binds = [bindparam(f"w_{n}", type_=columns[n].type) for n in first.where]
            binds += [bindparam(f"v_{n}", type_=columns[n].type) for n in first.values]
            found = found.bindparams(*binds)
        if len(_TEXTS) < 1024:  # a bound on what unexpected shapes could add
            _TEXTS[sql] = found
    return found


def _with_defaults(target: Table, found: list[dict[str, Any]]) -> list[str]:
    """The columns to insert; a column the rows leave out gets its scalar Python-side default, as a Core
    INSERT would give it (server defaults and autoincrement keys are left to the database)."""
    every = set(found[0]).intersection(*found[1:])
    some = set(found[0]).union(*found[1:])
    columns: list[str] = []
    for column in target.columns:
        name = column.name
        if name in every:
            columns.append(name)
            continue
        default = column.default
        if name not in some and default is None:
            continue
        if default is None or not default.is_scalar:
            raise ValueError(f"{target.name}.{name}: no value and no scalar default")
        for row in found:
            row.setdefault(name, default.arg)  # type: ignore[attr-defined]
        columns.append(name)
    return columns


async def insert_returning_ids(session: AsyncSession, target: Table, found: list[dict[str, Any]]) -> list[int]:
    """Insert rows and return their new ids in the rows' order. PostgreSQL: one statement from one JSON
    parameter, rows inserted in order (ORDER BY their position), so the ids the sequence hands out rise
    with it and sorting them gives the rows' order. SQLite: executemany with RETURNING in parameter order."""
    if not found:
        return []
    if not is_postgres(session):
        stmt = insert(target).returning(target.c.id, sort_by_parameter_order=True)
        return [int(i) for i in (await run(session, stmt, found)).scalars()]
    columns = _with_defaults(target, found)
    names = ", ".join(columns)
    sql = (
        f"INSERT INTO {target.name} ({names}) SELECT {names} "  # noqa: S608 (names from the table's metadata)
        f"FROM ROWS FROM (jsonb_populate_recordset(NULL::{target.name}, CAST(:rows AS jsonb))) "
        "WITH ORDINALITY AS r ORDER BY r.ordinality RETURNING id"
    )
    return sorted(int(i) for i in (await run(session, text(sql), {"rows": rows_json(found)})).scalars())


async def insert_ignoring_returning(
    session: AsyncSession, target: Table, unique: Sequence[Column[Any]], found: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """INSERT .. ON CONFLICT (unique) DO NOTHING RETURNING the unique columns of the rows inserted (the keys
    this transaction won). PostgreSQL: one statement from one JSON parameter; SQLite: executemany."""
    if not found:
        return []
    keys = [c.name for c in unique]
    if is_postgres(session):
        sql = insert_from_json(target, _with_defaults(target, found), "rows")
        sql += f" ON CONFLICT ({', '.join(keys)}) DO NOTHING RETURNING {', '.join(keys)}"
        return [tuple(r) for r in await run(session, text(sql), {"rows": rows_json(found)})]
    stmt = insert_ignoring(session, target, unique).returning(*unique)
    # executemany: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues") with a cached compilation.
    return [tuple(r) for r in await run(session, stmt, found)]


async def update_by_id(
    session: AsyncSession, target: Table, changes: Sequence[Mapping[str, Any]], only_where: Any = None
) -> None:
    """Set columns of many rows, each change naming its row's `id` (and the same columns). PostgreSQL: one
    UPDATE .. FROM the changes as one JSON parameter, typed as the table's columns; SQLite: executemany.
    `only_where`: a further condition on the target's rows (a Core expression)."""
    if not changes:
        return
    columns = [name for name in changes[0] if name != "id"]
    condition = [target.c.id == bindparam("b_id")] + ([only_where] if only_where is not None else [])
    if is_postgres(session):
        extra = [only_where] if only_where is not None else []
        matched = and_(target.c.id == literal_column("m.id"), *extra)
        sets = ", ".join(f"{name} = m.{name}" for name in columns)
        dialect = session.get_bind().dialect
        where = str(matched.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        sql = (
            f"UPDATE {target.name} SET {sets} "  # noqa: S608 (names from the table's metadata)
            f"FROM jsonb_populate_recordset(NULL::{target.name}, CAST(:changes AS jsonb)) AS m WHERE {where}"
        )
        await run(session, text(sql), {"changes": rows_json(changes)})
        return
    stmt = update(target).where(*condition).values({name: bindparam(f"b_{name}") for name in columns})
    await run(session, stmt, [{f"b_{k}": v for k, v in c.items()} for c in changes])
