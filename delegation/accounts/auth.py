"""Use cases of authentication: login with throttling, sessions, and bearer API tokens.

Secrets (session ids, API tokens) are random, shown once, and stored only as their SHA-256; a stolen
database does not give working credentials. Failed logins are counted in the database, per account and
per address, so the limit holds across any number of workers.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, func, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts.passwords import hash_password, verify_password
from delegation.accounts.token_cache import TokenCache
from delegation.core.access import Actor, UserRole
from delegation.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from delegation.core.reference import Reference
from delegation.store import repository, sql
from delegation.store.tables import ApiTokenRow, LoginAttemptRow, UserRow, UserSessionRow

TOKEN_PREFIX = "jdt_"  # noqa: S105  (a recognisable prefix, not a secret)
SESSION_TTL = timedelta(hours=12)


class NotAuthenticated(DomainError):
    """No valid credentials: wrong password, unknown, expired or revoked session or token."""

    code = "not_authenticated"
    title_zh = "请先登录（用户名、密码或令牌无效）"


class TooManyAttempts(DomainError):
    """Too many failed logins for this account or from this address; try again after `retry_after` s."""

    code = "too_many_attempts"
    title_zh = "登录失败次数过多，请稍后再试"


@dataclass(frozen=True)
class LoginThrottle:
    """How failed logins slow down guessing without letting anyone lock anyone out.

    Per account: after `per_account` failures since its last success (within `account_window`), each further
    attempt waits `delay_base` * 2^(failures - per_account) after the latest failure, at most `max_delay`:
    a delay, never a lock; the account's owner on a device that logged in before (a signed device cookie)
    is not delayed at all. Per address: only failures on names that belong to no account count, and only
    `per_address` of them within `window`, so one proxy's users are not locked out by a typo or an attacker
    guessing real accounts.
    """

    per_account: int = 5
    per_address: int = 50
    window: timedelta = timedelta(minutes=15)
    delay_base: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)
    account_window: timedelta = timedelta(hours=24)

    def account_delay(self, failures: int) -> timedelta:
        """How long after the latest failure the next attempt on the account may be made."""
        if failures < self.per_account:
            return timedelta(0)
        steps = min(failures - self.per_account, 20)  # 2^20 * base is far beyond any sane max_delay
        return min(self.max_delay, self.delay_base * (1 << steps))


@dataclass(frozen=True)
class Principal:
    """Who is calling, and how: via a session cookie (needs CSRF tokens on changes) or a bearer token."""

    actor: Actor
    user_id: int
    via: str  # "session" | "token"
    credential_id: int
    csrf_token: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# The deadline engine's role is never granted through a login or a token.
_GRANTABLE = frozenset(r.value for r in UserRole if r is not UserRole.SYSTEM)


def _actor(user: UserRow, court_code: str) -> Actor:
    roles = frozenset(UserRole(r) for r in user.roles if r in _GRANTABLE)
    return Actor(user.username, court_code, roles, user.display_name)


_DUMMY_HASH: list[str] = []


def _burn_password_check(password: str) -> None:
    """Spend the time a real check takes, so response times do not tell which usernames exist."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    verify_password(_DUMMY_HASH[0], password)


# ---------------------------------------------------------------- login


UNKNOWN_NAME_PREFIX = "?"  # attempts on names of no account are recorded as "?name"


def _wait_seconds(until: datetime, now: datetime) -> int | None:
    left = (until - now).total_seconds()
    return max(1, math.ceil(left)) if left > 0 else None


async def _account_wait(
    session: AsyncSession, key: str, before_id: int, now: datetime, throttle: LoginThrottle
) -> int | None:
    """Seconds the account's next attempt must still wait, judged from the attempts recorded before ours."""
    since = now - throttle.account_window
    earlier = (LoginAttemptRow.username == key, col(LoginAttemptRow.id) < before_id, LoginAttemptRow.at > since)
    last_success = (
        await session.exec(select(func.max(LoginAttemptRow.id)).where(*earlier, col(LoginAttemptRow.succeeded)))
    ).one()
    failures, latest = (
        await session.exec(
            select(func.count(), func.max(LoginAttemptRow.at)).where(
                *earlier, col(LoginAttemptRow.succeeded).is_(False), col(LoginAttemptRow.id) > (last_success or 0)
            )
        )
    ).one()
    delay = throttle.account_delay(int(failures))
    return _wait_seconds(latest + delay, now) if latest is not None and delay else None


async def _address_wait(
    session: AsyncSession, address: str, before_id: int, now: datetime, throttle: LoginThrottle
) -> int | None:
    """Seconds until this address may try made-up names again (only those count per address)."""
    count, oldest = (
        await session.exec(
            select(func.count(), func.min(LoginAttemptRow.at)).where(
                LoginAttemptRow.address == address,
                col(LoginAttemptRow.username).startswith(UNKNOWN_NAME_PREFIX),
                col(LoginAttemptRow.succeeded).is_(False),
                col(LoginAttemptRow.id) < before_id,
                LoginAttemptRow.at > now - throttle.window,
            )
        )
    ).one()
    if count >= throttle.per_address and oldest is not None:
        return _wait_seconds(oldest + throttle.window, now)
    return None


async def _record_attempt(
    session: AsyncSession,
    key: str,
    address: str,
    now: datetime,
    throttle: LoginThrottle,
    *,
    known_account: bool,
    trusted_device: bool,
) -> LoginAttemptRow:
    """Record the attempt (as failed until the password proves right) and judge it against the attempts
    before it, in one transaction serialised per account or address: parallel requests cannot all read
    the same count and pass the limit together. A throttled attempt is not recorded (it checked nothing)."""
    await session.commit()  # end any read transaction: the lock must cover the insert and the count
    await sql.serialize_on(session, f"login:{key}" if known_account else f"login-address:{address}")
    row = LoginAttemptRow(username=key, address=address, at=now, succeeded=False)
    session.add(row)
    await session.flush()
    assert row.id is not None
    if not known_account:
        wait = await _address_wait(session, address, row.id, now, throttle)
    elif trusted_device:
        wait = None
    else:
        wait = await _account_wait(session, key, row.id, now, throttle)
    if wait is not None:
        await session.rollback()
        raise TooManyAttempts(
            f"Too many failed logins for this account or address; try again in {wait} seconds.", retry_after=wait
        )
    await session.commit()
    return row


async def login(
    session: AsyncSession,
    username: str,
    password: str,
    address: str,
    now: datetime,
    throttle: LoginThrottle | None = None,
    *,
    trusted_device: bool = False,
) -> tuple[str, Principal]:
    """Check the password and open a session. Returns (session secret for the cookie, principal).

    `trusted_device`: the caller showed a device cookie this account's successful login set earlier.
    Unknown names, inactive accounts and wrong passwords cost the same argon2 verification and get the
    same answer.
    """
    throttle = throttle or LoginThrottle()
    name = username.strip()
    user = await repository.get_user(session, name)
    key = name.lower()[:64] if user is not None else (UNKNOWN_NAME_PREFIX + name.lower())[:64]
    address = address[:64]
    attempt = await _record_attempt(
        session, key, address, now, throttle, known_account=user is not None, trusted_device=trusted_device
    )
    # argon2 takes tens of milliseconds: off the event loop, and the same work whatever the account.
    if user is None:
        await asyncio.to_thread(_burn_password_check, password)
        ok = False
    else:
        ok = await asyncio.to_thread(verify_password, user.password_hash, password) and user.active
    if not ok or user is None or user.id is None:
        raise NotAuthenticated("Wrong username or password.")
    await session.exec(update(LoginAttemptRow).where(col(LoginAttemptRow.id) == attempt.id).values(succeeded=True))
    secret = secrets.token_urlsafe(32)
    row = UserSessionRow(
        token_hash=digest(secret),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        address=address,
        created_at=now,
        expires_at=now + SESSION_TTL,
    )
    session.add(row)
    await session.commit()
    principal = Principal(_actor(user, user.court_code), user.id, "session", row.id or 0, row.csrf_token)
    return secret, principal


# Plain columns, not ORM objects, built once: this runs on every page. A page may add the figures its top bar
# shows, as scalar subqueries correlated with the user's row (`session_lookup`), read in the same round trip.
# The user's columns, the same after a session's and after a token's (resolve_session_with, resolve_token).
_USER_COLUMNS: tuple[Any, ...] = (
    col(UserRow.id),
    col(UserRow.username),
    col(UserRow.display_name),
    col(UserRow.court_code),
    col(UserRow.roles),
    col(UserRow.active),
)
_SESSION_COLUMNS: tuple[Any, ...] = (
    col(UserSessionRow.id),
    col(UserSessionRow.revoked_at),
    col(UserSessionRow.expires_at),
    col(UserSessionRow.csrf_token),
    *_USER_COLUMNS,
)


def session_lookup(extra: Sequence[Any] = ()) -> Select[Any]:
    """The statement resolve_session runs (the secret's digest bound as `token_hash`), with `extra` columns
    after the session's and the user's (scalar subqueries that may refer to app_user's columns)."""
    stmt: Select[Any] = (
        sa_select(*_SESSION_COLUMNS, *extra)
        .join(UserRow, col(UserRow.id) == col(UserSessionRow.user_id))
        .where(col(UserSessionRow.token_hash) == bindparam("token_hash"))
    )
    return stmt


_SESSION_LOOKUP = session_lookup()


async def resolve_session(session: AsyncSession, secret: str, now: datetime) -> Principal:
    principal, _ = await resolve_session_with(session, secret, now, _SESSION_LOOKUP)
    return principal


async def resolve_session_with(
    session: AsyncSession, secret: str, now: datetime, lookup: Select[Any]
) -> tuple[Principal, tuple[Any, ...]]:
    """The session's user, and the values of the extra columns of `lookup` (a session_lookup)."""
    connection = await session.connection()  # Core, in the session's transaction: no ORM objects to build
    found = (await connection.execute(lookup, {"token_hash": digest(secret)})).first()
    if found is None:
        raise NotAuthenticated("Unknown session; log in again.")
    session_id, revoked_at, expires_at, csrf_token, user_id, username, display_name, court, roles, active = found[:10]
    if revoked_at is not None or expires_at <= now or not active:
        raise NotAuthenticated("The session has ended; log in again.")
    granted = frozenset(UserRole(r) for r in roles or () if r in _GRANTABLE)
    actor = Actor(username, court, granted, display_name)
    return Principal(actor, user_id or 0, "session", session_id or 0, csrf_token), tuple(found[10:])


async def logout(session: AsyncSession, principal: Principal, now: datetime) -> None:
    if principal.via != "session":
        return
    await session.exec(
        update(UserSessionRow)
        .where(col(UserSessionRow.id) == principal.credential_id, col(UserSessionRow.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.commit()


# ---------------------------------------------------------------- API tokens


# Plain columns, not ORM objects, and a statement built once (the token's digest bound): this runs on every
# request made with a token.
_TOKEN_LOOKUP = (
    sa_select(
        col(ApiTokenRow.id),
        col(ApiTokenRow.court_code),
        col(ApiTokenRow.revoked_at),
        col(ApiTokenRow.expires_at),
        *_USER_COLUMNS,
    )
    .join(UserRow, col(UserRow.id) == col(ApiTokenRow.user_id))
    .where(col(ApiTokenRow.token_hash) == bindparam("token_hash"))
)


async def _lookup_token(session: AsyncSession, token_hash: str) -> tuple[Any, ...] | None:
    found: Any
    if sql.is_postgres(session):
        # On asyncpg itself, and before the request's transaction opens (a read of its own; the request's first
        # statement opens the transaction, or none for a unit of work that writes once: sql.outside_transaction).
        statement, _names = sql.pg_statement(session, _TOKEN_LOOKUP)
        rows = await sql.pg_fetch(session, statement, token_hash, begin=False)
        found = rows[0] if rows else None
    else:
        connection = await session.connection()  # Core, in the session's transaction: no ORM objects to build
        found = (await connection.execute(_TOKEN_LOOKUP, {"token_hash": token_hash})).first()
    return None if found is None else tuple(found)


async def resolve_token(session: AsyncSession, token: str, now: datetime, cache: TokenCache | None = None) -> Principal:
    """The token's principal. With a `cache` (the web app's, on PostgreSQL) the row may come from memory; the
    checks below run on it all the same, on every request, against this request's `now`."""
    token_hash = digest(token)
    found = cache.get(token_hash) if cache is not None else None
    if found is None:
        generation = cache.generation if cache is not None else 0  # before the read: see TokenCache.put
        found = await _lookup_token(session, token_hash)
        if found is None:
            raise NotAuthenticated("Unknown API token.")  # not cached: guesses would only push out real tokens
        if cache is not None:
            cache.put(token_hash, found, generation)
    token_id, court, revoked_at, expires_at, user_id, username, display_name, user_court, roles, active = found
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        raise NotAuthenticated("The API token was revoked or has expired.")
    if not active or user_court != court:
        # The token was scoped to the court its user belonged to; a user who moved needs a new token.
        raise NotAuthenticated("The API token's user is inactive or no longer belongs to the token's court.")
    granted = frozenset(UserRole(r) for r in roles or () if r in _GRANTABLE)
    return Principal(Actor(username, court, granted, display_name), user_id or 0, "token", token_id or 0)


async def create_token(
    session: AsyncSession,
    ref: Reference,
    now: datetime,
    *,
    username: str,
    name: str,
    created_by: str,
    expires_at: datetime | None = None,
) -> tuple[str, ApiTokenRow]:
    """A new token for `username`, scoped to the user's court. The plain token is returned once only."""
    user = await repository.get_user(session, username)
    errors: list[FieldError] = []
    if user is None or not user.active or user.id is None:
        errors.append(FieldError("username", "用户不存在或已停用", f"No active user {username!r}."))
    label = " ".join(name.split())
    if not 0 < len(label) <= 100:
        errors.append(FieldError("name", "请为令牌起一个名称（最多100字）", "Name the token (at most 100 characters)."))
    if expires_at is not None and expires_at <= now:
        errors.append(FieldError("expires_at", "有效期应晚于现在", "The expiry must be in the future."))
    if errors:
        raise ValidationFailed(errors)
    assert user is not None and user.id is not None
    if ref.registry.find(user.court_code) is None:
        raise ValidationFailed([FieldError("username", "用户所属法院不存在", "The user's court is unknown.")])
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiTokenRow(
        token_hash=digest(token),
        prefix=token[:12],
        name=label,
        user_id=user.id,
        court_code=user.court_code,
        created_at=now,
        created_by=created_by[:64],
        expires_at=expires_at,
    )
    session.add(row)
    await session.commit()
    return token, row


async def revoke_token(session: AsyncSession, token_id: int, now: datetime) -> ApiTokenRow:
    row = await session.get(ApiTokenRow, token_id)
    if row is None:
        raise NotFound(f"API token {token_id} not found.")
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        await session.commit()
    return row


async def list_tokens(session: AsyncSession, username: str | None = None) -> list[tuple[ApiTokenRow, str]]:
    """Every token (or one user's), newest first, with its user's name; never the secret."""
    stmt = select(ApiTokenRow, UserRow.username).join(UserRow, col(UserRow.id) == col(ApiTokenRow.user_id))
    if username is not None:
        stmt = stmt.where(UserRow.username == username)
    return [(row, name) for row, name in await session.exec(stmt.order_by(col(ApiTokenRow.id).desc()))]
