"""The write path's round trips on PostgreSQL (issue 14): the caller's token is read outside any transaction; a
create, an upload and a draft's submission (reads, then one statement) open none; any other action opens exactly
one; the connection goes back to the pool
as it came; statements run on asyncpg itself fail with SQLAlchemy's errors. SQLite: nothing of this applies."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from delegation.store import sql
from delegation.store.availability import is_unavailable
from tests.api.actors import Api
from tests.api.support import act, draft_body, ok, upload
from tests.support import ALL_DOCUMENTS

# Only the PostgreSQL half of the `database_url` parameter is collected (tests/conftest.py).
pytestmark = pytest.mark.postgres_only


async def _count_begins(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every transaction opened on PostgreSQL from now on (SQLAlchemy's asyncpg adapter sends BEGIN here)."""
    async with api.app.state.runtime.engine.connect() as connection:
        adapter = type((await connection.get_raw_connection()).dbapi_connection)
    opened: list[Any] = []
    start = adapter._start_transaction

    async def counted(self: Any) -> None:
        if self.isolation_level != "autocommit":
            opened.append(self)
        await start(self)

    monkeypatch.setattr(adapter, "_start_transaction", counted)
    return opened


async def test_a_create_an_upload_and_a_submission_open_no_transaction_and_another_action_one(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    begins = await _count_begins(api, monkeypatch)
    async with api.client("shinan-officer") as officer:
        created = ok(
            await officer.post("/api/v1/delegations", json=draft_body(), headers={"Idempotency-Key": "k1"}), 201
        )
        assert created["number"] == f"JD{api.clock.now.year}-{created['id']:07d}" and created["version"] == 1
        again = await officer.post("/api/v1/delegations", json=draft_body(), headers={"Idempotency-Key": "k1"})
        assert again.status_code == 200 and again.json()["id"] == created["id"]
        assert begins == []
        for kind in ALL_DOCUMENTS:
            await upload(officer, created["id"], kind)
        assert begins == []
        submitted = ok(await act(officer, created["id"], "submit", created["version"]))
        assert begins == [] and submitted["status"] == "submitted"
    async with api.client("zhifu-clerk") as clerk:
        signed = ok(await act(clerk, created["id"], "sign-for", submitted["version"]))
        assert len(begins) == 1 and signed["status"] == "accepted"
        timeline = ok(await clerk.get(f"/api/v1/delegations/{created['id']}/timeline"))
    assert [e["action"] for e in timeline["items"]].count("upload_document") == len(ALL_DOCUMENTS)
    # Every pooled connection is back in the engine's isolation level: the next unit of work is a transaction.
    engine = api.app.state.runtime.engine
    async with engine.connect() as connection:
        adapter = (await connection.get_raw_connection()).dbapi_connection
        assert adapter.isolation_level == adapter._isolation_setting
        await connection.execute(text("SELECT 1"))
        assert adapter._transaction is not None


async def test_statements_on_asyncpg_fail_as_sqlalchemys_and_roll_back_with_the_session(api: Api) -> None:
    async with api.sessions() as session:
        await sql.pg_fetch(session, "CREATE TEMPORARY TABLE t_unique (k int PRIMARY KEY)")
        await sql.pg_fetch(session, "INSERT INTO t_unique VALUES (1)")
        with pytest.raises(IntegrityError):
            await sql.pg_fetch(session, "INSERT INTO t_unique VALUES (1)")
        await session.rollback()  # the temporary table goes with the transaction it was made in
        connection = await session.connection()
        assert (await connection.execute(text("SELECT to_regclass('pg_temp.t_unique') IS NULL"))).scalar_one()


async def test_a_connection_lost_mid_statement_on_asyncpg_is_the_database_unavailable_not_a_bug(api: Api) -> None:
    async with api.sessions() as session:
        (pid,) = (await sql.pg_fetch(session, "SELECT pg_backend_pid()"))[0]
        async with api.sessions() as other:
            await sql.pg_fetch(other, "SELECT pg_terminate_backend($1)", pid)
            await other.rollback()
        with pytest.raises(DBAPIError) as raised:
            await sql.pg_fetch(session, "SELECT 1")
        assert raised.value.connection_invalidated
        assert is_unavailable(raised.value)  # the edge answers 503 with Retry-After (api/guard.py)
        await session.invalidate()
