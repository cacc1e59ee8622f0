"""Use cases for user accounts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts.passwords import hash_password, verify_password
from delegation.core.access import NETWORK_USERNAME, Actor, UserRole
from delegation.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.store import repository
from delegation.store.tables import UserRow, UserSessionRow

MIN_PASSWORD_LENGTH = 10


def actor_of(user: UserRow) -> Actor:
    return Actor(user.username, user.court_code, frozenset(UserRole(r) for r in user.roles), user.display_name)


async def upsert_user(
    session: AsyncSession,
    ref: Reference,
    now: datetime,
    *,
    username: str,
    display_name: str,
    court_code: str,
    roles: Iterable[str],
    password: str,
) -> tuple[UserRow, bool]:
    """Create the user, or leave an existing one as it is. Returns (user, created)."""
    errors: list[FieldError] = []
    if not username or len(username) > 64 or not all(c.isalnum() or c in "-_." for c in username):
        errors.append(FieldError("username", "用户名只能包含字母、数字和 - _ .", "Letters, digits, - _ . only."))
    elif username == NETWORK_USERNAME:
        errors.append(FieldError("username", "该用户名留给网络查控系统使用", "This name is the network's (网络查控)."))
    if ref.registry.find(court_code) is None:
        errors.append(FieldError("court_code", "法院代码不存在", f"Unknown court {court_code!r}."))
    try:
        role_values = sorted({UserRole(r).value for r in roles})
    except ValueError:
        role_values = []
        errors.append(FieldError("roles", "角色无效", f"Roles must be among {[r.value for r in UserRole]}."))
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", f"密码至少{MIN_PASSWORD_LENGTH}位", "Password too short."))
    if errors:
        raise ValidationFailed(errors)
    existing = await repository.get_user(session, username)
    if existing is not None:
        return existing, False
    user = UserRow(
        username=username,
        display_name=display_name,
        court_code=court_code,
        roles=role_values,
        password_hash=hash_password(password),
        created_at=now,
    )
    session.add(user)
    await session.commit()
    return user, True


async def authenticate(session: AsyncSession, username: str, password: str) -> UserRow | None:
    user = await repository.get_user(session, username)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    return user


async def set_active(session: AsyncSession, username: str, active: bool, now: datetime) -> UserRow:
    """Deactivate (sessions and tokens stop working at once: both check the user) or reactivate a user."""
    user = await repository.get_user(session, username)
    if user is None:
        raise NotFound(f"No user {username!r}.")
    user.active = active
    session.add(user)
    if not active:
        await _end_sessions(session, user, now)
    await session.commit()
    return user


async def reset_password(session: AsyncSession, username: str, password: str, now: datetime) -> UserRow:
    """A new password; the user's open sessions end (whoever knew the old one is logged out)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed([FieldError("password", f"密码至少{MIN_PASSWORD_LENGTH}位", "Password too short.")])
    user = await repository.get_user(session, username)
    if user is None:
        raise NotFound(f"No user {username!r}.")
    user.password_hash = hash_password(password)
    session.add(user)
    await _end_sessions(session, user, now)
    await session.commit()
    return user


async def _end_sessions(session: AsyncSession, user: UserRow, now: datetime) -> None:
    await session.exec(
        update(UserSessionRow)
        .where(col(UserSessionRow.user_id) == user.id, col(UserSessionRow.revoked_at).is_(None))
        .values(revoked_at=now)
    )


async def users_administered(session: AsyncSession, ref: Reference, actor: Actor) -> list[UserRow]:
    """The users an administrator manages: those of their court and of the courts directly under it."""
    _require_admin(actor)
    return await repository.users_of_courts(session, sorted(administered_courts(ref, actor)))


async def set_active_as_admin(
    session: AsyncSession, ref: Reference, actor: Actor, username: str, active: bool, now: datetime
) -> UserRow:
    """An administrator's page: (de)activate a user of a court they administer (never themselves)."""
    _require_admin(actor)
    user = await repository.get_user(session, username)
    if user is None or user.court_code not in administered_courts(ref, actor):
        raise NotFound(f"No user {username!r} at a court you administer.")
    if user.username == actor.username:
        raise ValidationFailed([FieldError("username", "不能停用自己的账号", "You cannot deactivate yourself.")])
    return await set_active(session, username, active, now)


def administered_courts(ref: Reference, actor: Actor) -> frozenset[str]:
    """An administrator's court and the courts directly under it (a city's intermediate court administers
    its basic courts)."""
    if actor.court_code is None:
        return frozenset()
    below = ref.registry.children(actor.court_code, include_retired=True)
    return frozenset({actor.court_code, *(court.code for court in below)})


def _require_admin(actor: Actor) -> None:
    if UserRole.ADMIN not in actor.roles:
        raise PermissionDenied("Only administrators manage users.", title_zh="只有管理员可以管理用户")


async def phones(session: AsyncSession, usernames: Sequence[str]) -> dict[str, str]:
    """The 联系电话 on these users' accounts (printed with their names on the court's documents)."""
    if not usernames:
        return {}
    stmt = select(UserRow.username, UserRow.phone).where(col(UserRow.username).in_(list(usernames)))
    return {name: phone for name, phone in await session.exec(stmt) if phone}
