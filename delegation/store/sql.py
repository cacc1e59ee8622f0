"""SQL helpers: Core statements on the session's connection, and the one place that picks a dialect.

Both databases accept INSERT .. ON CONFLICT (PostgreSQL and SQLite >= 3.24), but SQLAlchemy builds it from
the dialect's own `insert`; `insert_for` makes that choice once for every caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any, cast

import orjson
from sqlalchemy import (
    ARRAY,
    JSON,
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
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.tables.columns import UTCDateTime


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


def one_of_param(postgres: bool, column: Any, name: str) -> ColumnElement[bool]:
    """one_of in a statement built once (for the dialect `postgres` says): the values are bound when it runs,
    as the parameter `name` (a list)."""
    if postgres:
        return cast(ColumnElement[bool], column == any_(bindparam(name, type_=ARRAY(column.type))))
    return cast(ColumnElement[bool], column.in_(bindparam(name, expanding=True)))


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


# ---------------------------------------------------------------- PostgreSQL: hot statements on asyncpg itself
#
# A statement through SQLAlchemy costs about 0.1 ms of Python besides its round trip (compiled-cache lookup,
# parameter and result processing, two greenlet switches); asyncpg alone costs a fifth of that. The write path's
# few hot statements run on the asyncpg connection under the session's own connection, in its transaction:
# nothing changes for the session (it never sees these statements), errors come back as SQLAlchemy's.
#
# SQLAlchemy's asyncpg adapter opens a transaction lazily, with the first statement (one round trip for BEGIN).
# A statement run here before any other (`begin=False`) runs on its own (autocommit): right for a read that shares
# no snapshot with what follows (READ COMMITTED: each statement sees what was committed when it starts, in a
# transaction or not), such as the caller's token. `outside_transaction` keeps the session's statements that way
# for a unit of work that reads and then writes exactly one statement, where BEGIN and COMMIT add two round trips
# and nothing else; the connection goes back to the pool as it was (db.make_engine).


_ADAPTER = "jiaodong.adapter"


async def _adapter(session: AsyncSession) -> Any:
    """SQLAlchemy's asyncpg adapter (the DBAPI connection) of the session's connection. Kept in session.info for
    as long as the session's transaction (its SessionTransaction object: the same one holds the same connection)
    lasts: `session.connection()` costs ~17 µs, and a filing's requests ask a dozen times."""
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_ADAPTER)
    if kept is not None and transaction is not None and kept[0] is transaction and transaction.is_active:
        return kept[1]
    connection = await session.connection()
    adapter = connection.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
    session.info[_ADAPTER] = (session.sync_session.get_transaction(), adapter)
    return adapter


def _sa_error(adapter: Any, statement: str, args: Sequence[Any], error: Exception) -> Exception:
    """An asyncpg error as SQLAlchemy would have raised it (IntegrityError, OperationalError, ...), marked as a
    lost connection when the connection is closed, as SQLAlchemy's asyncpg dialect decides (`is_disconnect`):
    a database going away mid-statement (e.g. "cannot switch to state …") is then a 503, not a 500."""
    try:
        adapter._handle_exception(error)  # raises the dialect's DBAPI error for an asyncpg one
    except Exception as dbapi_error:
        if isinstance(dbapi_error, adapter.dbapi.Error):
            return cast(
                Exception,
                sa_exc.DBAPIError.instance(
                    statement,
                    list(args),
                    dbapi_error,
                    adapter.dbapi.Error,
                    connection_invalidated=_closed(adapter),
                ),
            )
        return dbapi_error
    return error


def _closed(adapter: Any) -> bool:
    try:
        return bool(adapter._connection.is_closed())
    except Exception:  # a connection too broken to say: treat it as lost
        return True


async def pg_fetch(session: AsyncSession, statement: str, *args: Any, begin: bool = True) -> list[Any]:
    """PostgreSQL: run `statement` ($1, $2, ... placeholders; JSON values as text) on asyncpg, in the session's
    transaction (opened first if `begin` and none is open yet), and return asyncpg's records."""
    adapter = await _adapter(session)
    async with adapter._execute_mutex:
        try:
            if begin and adapter._transaction is None and adapter.isolation_level != "autocommit":
                await adapter._start_transaction()
            return cast(list[Any], await adapter._connection.fetch(statement, *args))
        except Exception as error:
            raise _sa_error(adapter, statement, args, error) from error


async def outside_transaction(session: AsyncSession) -> bool:
    """PostgreSQL: the session's statements from here on run each on its own (autocommit) when no transaction
    is open on the database yet, until the connection goes back to the pool; for a unit of work that reads and
    then writes with one statement (see above). False, and nothing changed: SQLite, or a transaction is open."""
    if not is_postgres(session):
        return False
    adapter = await _adapter(session)
    if adapter._transaction is not None:
        return False
    adapter.isolation_level = "autocommit"
    return True


async def transaction_from_here(session: AsyncSession) -> None:
    """Undo outside_transaction before the first write: the session's next statement opens a transaction
    (BEGIN), so what the unit of work writes from here on commits or rolls back as one. Nothing to do on
    SQLite, or when a transaction is open or was never left."""
    if not is_postgres(session):
        return
    adapter = await _adapter(session)
    if adapter._transaction is None and adapter.isolation_level == "autocommit":
        adapter.isolation_level = adapter._isolation_setting


_PG_TEXTS: dict[int, tuple[ClauseElement, str, tuple[str, ...]]] = {}


def pg_statement(session: AsyncSession, statement: ClauseElement) -> tuple[str, tuple[str, ...]]:
    """A Core statement compiled once for PostgreSQL: its SQL text for pg_fetch and its parameters' names in
    order (for statements built once, at import)."""
    found = _PG_TEXTS.get(id(statement))
    if found is None or found[0] is not statement:
        compiled = statement.compile(dialect=session.get_bind().dialect)
        names = tuple(getattr(compiled, "positiontup", None) or ())
        binds: dict[str, Any] = getattr(compiled, "binds", {})
        if any(binds[name].value is not None for name in names):
            # Literal values would be bound parameters the caller does not pass: write them as SQL instead.
            raise ValueError("pg_statement: only statements whose parameters are all given by the caller")
        found = (statement, str(compiled), names)
        _PG_TEXTS[id(statement)] = found
    return found[1], found[2]


def _pg_value(value: Any) -> Any:
    """A parameter as asyncpg takes it here: JSON values as their text (datetimes aware, as UTCDateTime asks)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("naive datetime given to the database; use an aware UTC datetime")
    if isinstance(value, dict | list):
        return orjson.dumps(value, default=_json_value, option=_ORJSON).decode()
    return value


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
    return _insert_json_sql(target, columns, f":{param}")


def _insert_json_sql(target: Table, columns: Sequence[str], placeholder: str) -> str:
    names = ", ".join(columns)
    # Names from the table's metadata; values only ever in the bound parameter.
    return (
        f"INSERT INTO {target.name} ({names}) SELECT {names} "  # noqa: S608
        f"FROM jsonb_populate_recordset(NULL::{target.name}, CAST({placeholder} AS jsonb))"
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


@dataclass(frozen=True)
class Summing:
    """Rows added to running sums: a row whose `key` columns match an existing row adds its `measures` to it
    (INSERT .. ON CONFLICT (key) DO UPDATE SET m = m + EXCLUDED.m) instead of being appended."""

    key: tuple[str, ...]
    measures: tuple[str, ...]


class Inserts:
    """Rows to append in the caller's transaction, collected while an action is worked out and written by
    `write` in one round trip on PostgreSQL (one statement of data-modifying CTEs), one INSERT per table on
    SQLite. Plain appends (or additions to running sums, `Summing`) only: no ids come back. At most one UPDATE
    of one row (`update`) may go first, as their condition: a compare-and-set that matches no row writes
    nothing, and `write` says so."""

    def __init__(self) -> None:
        self.parts: list[tuple[Table, list[dict[str, Any]], Summing | None]] = []
        self.first: _Update | None = None

    def add(self, target: Table, rows: Iterable[Mapping[str, Any]], summing: Summing | None = None) -> None:
        found = [dict(r) for r in rows]
        if found:
            self.parts.append((target, found, summing))

    def rows_of(self, target: Table) -> list[dict[str, Any]]:
        """The rows collected so far for `target` (what the action is about to write there)."""
        return [row for table_, found, _summing in self.parts if table_ is target for row in found]

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
            for target, found, summing in parts:
                await run(session, insert(target) if summing is None else _summing_sqlite(target, summing), found)
            return True
        if not parts and first is None:
            return True
        statements: list[str] = []
        args: list[Any] = []
        guard = ""
        if first is not None:
            args += [_pg_value(v) for v in first.where.values()]
            args += [_pg_value(v) for v in first.values.values()]
            statements.append(_update_sql_pg(first.target, tuple(first.where), tuple(first.values)))
            guard = " WHERE EXISTS (SELECT 1 FROM w0)"
        for target, found, summing in parts:
            columns = _with_defaults(target, found)
            args.append(rows_json(found))
            statements.append(
                _insert_json_sql(target, columns, f"${len(args)}") + guard + _summing_sql_pg(target, summing)
            )
        final = "SELECT count(*) FROM w0" if first is not None else "SELECT 1"
        result = await pg_fetch(session, with_all(statements, final), *args)
        return first is None or result[0][0] == 1

    async def write_returning_id(self, session: AsyncSession, target: Table) -> int:
        """Write the rows (no update) and return the new id of the one row added for `target` (added first):
        one statement on PostgreSQL, the row's INSERT .. RETURNING id and the others' INSERTs on SQLite."""
        parts, self.parts = self.parts, []
        assert self.first is None and parts and parts[0][0] is target and len(parts[0][1]) == 1
        assert all(summing is None for _t, _f, summing in parts), "plain appends only"
        if not is_postgres(session):
            ident = (await run(session, insert(target).returning(target.c.id), parts[0][1])).scalar_one()
            for other, found, _summing in parts[1:]:
                await run(session, insert(other), found)
            return int(ident)
        statements: list[str] = []
        args: list[Any] = []
        for table_, found, _summing in parts:
            args.append(rows_json(found))
            statements.append(_insert_json_sql(table_, _with_defaults(table_, found), f"${len(args)}"))
        statements[0] += " RETURNING id"
        return int((await pg_fetch(session, with_all(statements, "SELECT id FROM w0"), *args))[0][0])


def _summing_sql_pg(target: Table, summing: Summing | None) -> str:
    if summing is None:
        return ""
    added = ", ".join(f"{m} = {target.name}.{m} + EXCLUDED.{m}" for m in summing.measures)
    return f" ON CONFLICT ({', '.join(summing.key)}) DO UPDATE SET {added}"


def _summing_sqlite(target: Table, summing: Summing) -> Any:
    stmt = sqlite.insert(target)
    return stmt.on_conflict_do_update(
        index_elements=[target.c[k] for k in summing.key],
        set_={m: target.c[m] + stmt.excluded[m] for m in summing.measures},
    )


def _update_sql_pg(target: Table, where: tuple[str, ...], values: tuple[str, ...]) -> str:
    """UPDATE target SET values WHERE where, returning a row per row changed: positional parameters, the
    `where` values first, then the `values`."""
    condition = " AND ".join(f"{name} = ${i + 1}" for i, name in enumerate(where))
    sets = ", ".join(f"{name} = ${len(where) + i + 1}" for i, name in enumerate(values))
    return f"UPDATE {target.name} SET {sets} WHERE {condition} RETURNING 1"  # noqa: S608


_TEXTS: dict[str, TextClause] = {}


def cached_text(sql: str) -> TextClause:
    """A text statement built once per SQL text: building one parses its parameters each time, and the same
    few texts (one per shape of a write) come back on every request."""
    found = _TEXTS.get(sql)
    if found is None:
        found = text(sql)
        if len(_TEXTS) < 1024:  # a bound on what unexpected shapes could add
            _TEXTS[sql] = found
    return found


_SHAPES: dict[tuple[str, tuple[str, ...]], tuple[list[str], tuple[tuple[str, Any], ...]]] = {}


def _with_defaults(target: Table, found: list[dict[str, Any]]) -> list[str]:
    """The columns to insert; a column the rows leave out gets its scalar Python-side default, as a Core
    INSERT would give it (server defaults and autoincrement keys are left to the database). Rows that all have
    the same keys (nearly always: one code path built them) are answered from the columns and defaults found
    for that shape before."""
    keys = tuple(found[0])
    if all(len(row) == len(keys) and row.keys() == found[0].keys() for row in found[1:]):
        shape = _SHAPES.get((target.name, keys))
        if shape is None:
            shape = _shape(target, found[0])
            if len(_SHAPES) < 1024:  # a bound on what unexpected shapes could add
                _SHAPES[(target.name, keys)] = shape
        columns, defaults = shape
        for name, value in defaults:
            for row in found:
                row[name] = value
        return list(columns)
    return _columns_and_defaults(target, found)


def _shape(target: Table, row: dict[str, Any]) -> tuple[list[str], tuple[tuple[str, Any], ...]]:
    """The columns to insert for rows with `row`'s keys, and the defaults such rows lack."""
    probe = dict(row)
    columns = _columns_and_defaults(target, [probe])
    return columns, tuple((name, probe[name]) for name in columns if name not in row)


def _columns_and_defaults(target: Table, found: list[dict[str, Any]]) -> list[str]:
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


# ---------------------------------------------------------------- bulk appends: COPY on PostgreSQL


def _copy_value(column: Column[Any]) -> Any:
    """How one column's Python value goes into a binary COPY as a Core INSERT would bind it (None: as is)."""
    if isinstance(column.type, JSON):
        return lambda v: None if v is None else orjson.dumps(v, default=_json_value, option=_ORJSON).decode()
    if isinstance(column.type, UTCDateTime):

        def aware(v: Any) -> Any:
            if v is not None and v.tzinfo is None:  # as UTCDateTime refuses them
                raise ValueError("naive datetime given to the database; use an aware UTC datetime")
            return v

        return aware
    return None


_COPY_VALUES: dict[tuple[str, tuple[str, ...]], list[Any]] = {}


def _records(values: Sequence[Mapping[str, Any]], columns: tuple[str, ...], converters: list[Any]) -> list[Any]:
    """The rows as tuples in the columns' order (itemgetter: no Python loop per value), converted where needed."""
    take = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    changed = [(i, f) for i, f in enumerate(converters) if f is not None]
    if not changed:
        return [take(row) for row in values]
    records = []
    for row in values:
        record = list(take(row))
        for i, f in changed:
            record[i] = f(record[i])
        records.append(record)
    return records


async def append_rows(session: AsyncSession, parts: Sequence[tuple[Table, Sequence[Mapping[str, Any]]]]) -> None:
    """Append many rows to each table, in the caller's transaction; no ids come back (give them in the rows
    when they are needed). PostgreSQL: one binary COPY per table (asyncpg), the fastest way in for hundreds
    of rows; SQLite: one executemany INSERT per table. A column the rows leave out gets its scalar default."""
    found = [(target, [dict(r) for r in rows]) for target, rows in parts if rows]
    if not is_postgres(session):
        for target, values in found:
            _columns_and_defaults(target, values)  # rows of different keys: each gets the defaults it lacks
            await run(session, insert(target), values)
        return
    adapter = await _adapter(session)
    async with adapter._execute_mutex:
        if adapter._transaction is None and adapter.isolation_level != "autocommit":
            await adapter._start_transaction()  # as pg_fetch: COPY outside it would commit on its own
        for target, values in found:
            columns = tuple(_with_defaults(target, values))
            converters = _COPY_VALUES.get((target.name, columns))
            if converters is None:
                converters = _COPY_VALUES[(target.name, columns)] = [_copy_value(target.c[name]) for name in columns]
            records = _records(values, columns, converters)
            try:
                await adapter._connection.copy_records_to_table(target.name, records=records, columns=list(columns))
            except Exception as error:
                raise _sa_error(adapter, f"COPY {target.name}", [], error) from error
