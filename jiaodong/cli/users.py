"""`jiaodong user add` and `jiaodong token create|list|revoke`: accounts and API tokens for real deployments."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts import auth as auth_service
from delegation.accounts.users import reset_password, set_active, upsert_user
from delegation.core.access import UserRole
from delegation.core.errors import DomainError, ValidationFailed
from delegation.refdata.service import load_reference
from jiaodong.cli.sessions import in_session

user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer API tokens for other systems (scoped to the user's court).", no_args_is_help=True)

T = TypeVar("T")
ROLE_NAMES = ", ".join(r.value for r in UserRole if r is not UserRole.SYSTEM)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")


def _run(work: Callable[..., Awaitable[T]]) -> T:
    """Run `work(session, ref, now)` against the configured database; domain errors exit with status 1."""

    async def with_reference(session: AsyncSession) -> T:
        return await work(session, await load_reference(session), datetime.now(UTC))

    try:
        return in_session(with_reference)
    except ValidationFailed as exc:
        for error in exc.errors:
            typer.echo(f"{error.field}: {error.message_zh} / {error.message_en}", err=True)
        raise typer.Exit(1) from None
    except DomainError as exc:
        typer.echo(f"{exc.title_zh} / {exc.detail_en}", err=True)
        raise typer.Exit(1) from None


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name: letters, digits, - _ .")],
    court: Annotated[str, typer.Option("--court", help="The user's court code, e.g. 鲁0202.")],
    role: Annotated[list[str], typer.Option("--role", help=f"Repeat for several roles: {ROLE_NAMES}.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name (default: the username).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Create a user (an existing username is left as it is)."""
    if UserRole.SYSTEM.value in role:
        typer.echo("the system role belongs to the deadline engine and cannot be given to a user", err=True)
        raise typer.Exit(1)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work(session, ref, now):  # type: ignore[no-untyped-def]
        return await upsert_user(
            session,
            ref,
            now,
            username=username,
            display_name=name or username,
            court_code=court,
            roles=role,
            password=password,
        )

    user, created = _run(work)
    if created:
        typer.echo(f"created user {user.username} at {user.court_code} with roles {', '.join(user.roles)}")
    else:
        typer.echo(f"user {user.username} already exists; left unchanged")


@user_app.command("deactivate")
def user_deactivate(username: Annotated[str, typer.Argument(help="The login name.")]) -> None:
    """Deactivate a user: logins, sessions and the user's API tokens stop working at once."""
    user = _run(lambda session, _ref, now: set_active(session, username, False, now))
    typer.echo(f"user {user.username} deactivated; open sessions ended")


@user_app.command("activate")
def user_activate(username: Annotated[str, typer.Argument(help="The login name.")]) -> None:
    """Reactivate a deactivated user."""
    user = _run(lambda session, _ref, now: set_active(session, username, True, now))
    typer.echo(f"user {user.username} active")


@user_app.command("reset-password")
def user_reset_password(
    username: Annotated[str, typer.Argument(help="The login name.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Set a new password (at least 10 characters); the user's open sessions end."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    user = _run(lambda session, _ref, now: reset_password(session, username, password, now))
    typer.echo(f"password of {user.username} reset; open sessions ended")


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. the calling system.")] = "api",
    days: Annotated[int | None, typer.Option("--days", min=1, max=3650, help="Expire after N days.")] = None,
) -> None:
    """Create a token; it is printed once (stdout) and only its hash is stored."""

    async def work(session, ref, now):  # type: ignore[no-untyped-def]
        expires = now + timedelta(days=days) if days else None
        return await auth_service.create_token(
            session, ref, now, username=username, name=name, created_by="cli", expires_at=expires
        )

    token, row = _run(work)
    expiry = row.expires_at.isoformat() if row.expires_at else "never"
    typer.echo(f"token {row.id} for {username} at {row.court_code}, expires {expiry}; store it now:", err=True)
    typer.echo(token)


@token_app.command("list")
def token_list(
    username: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
) -> None:
    """Tokens (never their secret): id, prefix, user, court, name, created, expiry, revoked."""

    async def work(session, _ref, _now):  # type: ignore[no-untyped-def]
        return await auth_service.list_tokens(session, username)

    for row, owner in _run(work):
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        expiry = f"{row.expires_at:%Y-%m-%d}" if row.expires_at else "-"
        typer.echo(
            f"{row.id}\t{row.prefix}…\t{owner}\t{row.court_code}\t{row.name}\t{row.created_at:%Y-%m-%d}\t{expiry}\t{state}"
        )


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The id shown by `jiaodong token list`.")]) -> None:
    """Revoke a token at once; requests with it get 401 from then on."""

    async def work(session, _ref, now):  # type: ignore[no-untyped-def]
        return await auth_service.revoke_token(session, token_id, now)

    row = _run(work)
    typer.echo(f"token {row.id} ({row.prefix}…) revoked")
