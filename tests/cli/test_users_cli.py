"""jiaodong user add and jiaodong token create|list|revoke against the run's databases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from delegation.accounts import auth as auth_service
from delegation.accounts import users as user_service
from delegation.accounts.auth import NotAuthenticated
from delegation.store.db import make_engine, make_sessionmaker
from jiaodong.cli.main import app
from jiaodong.settings import get_settings
from tests.api.actors import at, password_hash
from tests.databases import empty_all_tables


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    async def empty() -> None:
        engine = make_engine(database_url)
        try:
            await empty_all_tables(engine)
        finally:
            await engine.dispose()

    asyncio.run(empty())
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(user_service, "hash_password", lambda _password: password_hash())
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


async def _resolve(database_url: str, token: str) -> str:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            principal = await auth_service.resolve_token(session, token, at("2026-12-01"))
            return f"{principal.actor.username}@{principal.actor.court_code}"
    finally:
        await engine.dispose()


def test_an_administrator_adds_a_user_and_creates_lists_and_revokes_a_token(cli_database: str) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["user", "add", "li-clerk", "--court", "鲁0602", "--role", "assisting_clerk", "--password-stdin"],
        input="a long enough password\n",
    )
    assert added.exit_code == 0 and "created user li-clerk at 鲁0602" in added.output
    again = runner.invoke(
        app,
        ["user", "add", "li-clerk", "--court", "鲁0602", "--role", "assisting_clerk", "--password-stdin"],
        input="x" * 12,
    )
    assert again.exit_code == 0 and "already exists" in again.output
    bad = runner.invoke(
        app, ["user", "add", "x", "--court", "鲁9999", "--role", "pilot", "--password-stdin"], input="y\n"
    )
    assert bad.exit_code == 1
    system = runner.invoke(app, ["user", "add", "x", "--court", "鲁0602", "--role", "system", "--password-stdin"])
    assert system.exit_code == 1

    created = runner.invoke(app, ["token", "create", "li-clerk", "--name", "执行指挥平台"])
    assert created.exit_code == 0
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("jdt_") and asyncio.run(_resolve(cli_database, token)) == "li-clerk@鲁0602"
    listed = runner.invoke(app, ["token", "list"])
    assert "li-clerk" in listed.output and token not in listed.output and "active" in listed.output
    token_id = listed.output.split("\t", 1)[0].strip()
    assert runner.invoke(app, ["token", "revoke", token_id]).exit_code == 0
    with pytest.raises(NotAuthenticated):
        asyncio.run(_resolve(cli_database, token))
    assert runner.invoke(app, ["token", "revoke", "999999"]).exit_code == 1


async def _login(database_url: str, password: str) -> str:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            _secret, principal = await auth_service.login(session, "li-clerk", password, "127.0.0.1", at("2026-12-01"))
            return principal.actor.username
    finally:
        await engine.dispose()


def test_an_administrator_deactivates_reactivates_and_resets_a_users_password(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setattr(user_service, "hash_password", _cheap_hash)  # the real password, cheaply hashed
    runner.invoke(
        app,
        ["user", "add", "li-clerk", "--court", "鲁0602", "--role", "assisting_clerk", "--password-stdin"],
        input="a long enough password\n",
    )
    token = runner.invoke(app, ["token", "create", "li-clerk"]).stdout.strip().splitlines()[-1]
    assert asyncio.run(_login(cli_database, "a long enough password")) == "li-clerk"

    assert runner.invoke(app, ["user", "deactivate", "li-clerk"]).exit_code == 0
    with pytest.raises(NotAuthenticated):
        asyncio.run(_login(cli_database, "a long enough password"))
    with pytest.raises(NotAuthenticated):
        asyncio.run(_resolve(cli_database, token))

    assert runner.invoke(app, ["user", "activate", "li-clerk"]).exit_code == 0
    assert asyncio.run(_resolve(cli_database, token)) == "li-clerk@鲁0602"

    reset = runner.invoke(app, ["user", "reset-password", "li-clerk", "--password-stdin"], input="another password!\n")
    assert reset.exit_code == 0, reset.output
    with pytest.raises(NotAuthenticated):
        asyncio.run(_login(cli_database, "a long enough password"))
    assert asyncio.run(_login(cli_database, "another password!")) == "li-clerk"
    short = runner.invoke(app, ["user", "reset-password", "li-clerk", "--password-stdin"], input="short\n")
    assert short.exit_code == 1
    assert runner.invoke(app, ["user", "deactivate", "nobody"]).exit_code == 1


def _cheap_hash(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)


def test_no_user_may_take_the_networks_name(cli_database: str) -> None:
    refused = CliRunner().invoke(
        app,
        ["user", "add", "network-control", "--court", "鲁0602", "--role", "handler", "--password-stdin"],
        input="a long enough password\n",
    )
    assert refused.exit_code == 1 and "该用户名留给网络查控系统使用" in refused.output
