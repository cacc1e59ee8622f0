"""Use cases for user accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts.passwords import hash_password, verify_password
from delegation.core.access import Actor, UserRole
from delegation.core.errors import FieldError, ValidationFailed
from delegation.core.reference import Reference
from delegation.store import repository
from delegation.store.tables import UserRow

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
