"""What every page's top bar shows beside the signed-in user: the unread messages (inbox.unread_state) and the
督办 to acknowledge (dashboard.unacknowledged_count), read with the session itself in one round trip, as
scalar subqueries of the session's lookup correlated with the user's row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts import auth as auth_service
from delegation.accounts.auth import Principal
from delegation.reading import dashboard as dashboard_service
from delegation.reading import inbox as inbox_service
from delegation.reading.inbox import UnreadState
from delegation.store.sql import table
from delegation.store.tables import UserRow


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    unread: UnreadState
    unacknowledged: int  # 0 for a user whose menu does not count them (dashboard.shows_unacknowledged)


@cache
def _lookup() -> Select[Any]:
    user = table(UserRow).c
    return auth_service.session_lookup(
        (*inbox_service.unread_columns(user.username), dashboard_service.unacknowledged_column(user.court_code))
    )


async def signed_in(session: AsyncSession, secret: str, now: datetime) -> SignedIn:
    """The session's user with the top bar's figures (auth.NotAuthenticated as resolve_session)."""
    principal, (unread, newest, unacknowledged) = await auth_service.resolve_session_with(
        session, secret, now, _lookup()
    )
    shown = dashboard_service.shows_unacknowledged(principal.actor)
    return SignedIn(principal, inbox_service.unread_of(unread, newest), int(unacknowledged or 0) if shown else 0)
