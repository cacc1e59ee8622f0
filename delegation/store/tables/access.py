"""Tables of the HTTP edge's concerns: API tokens, login sessions, login attempts and the access log.

Secrets are never stored: tokens and session ids are kept as their SHA-256. The access log is append-only
(the application only inserts; PostgreSQL refuses UPDATE and DELETE by trigger, see migration 0002).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from delegation.store.tables.columns import _json_list, _ts
from delegation.store.tables.core import DelegationRow

_SHA256 = 64


class ApiTokenRow(SQLModel, table=True):
    """A bearer token for a system: scoped to one court, acting with the roles of its user, revocable."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(_SHA256), nullable=False, unique=True))
    prefix: str = Field(max_length=16)  # the first characters, to recognise a token in a list
    name: str = Field(max_length=100)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    court_code: str = Field(max_length=16)
    created_at: datetime = _ts()
    created_by: str = Field(max_length=64)
    expires_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


class UserSessionRow(SQLModel, table=True):
    """A login session behind the signed cookie; holds the CSRF token of the session."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(_SHA256), nullable=False, unique=True))
    user_id: int = Field(foreign_key="app_user.id", index=True)
    csrf_token: str = Field(max_length=64)
    address: str = Field(default="", max_length=64)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)


class LoginAttemptRow(SQLModel, table=True):
    """One login attempt; failures are counted per account and per address to slow down guessing."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)  # as typed, lower-cased; may name no account
    address: str = Field(max_length=64)
    at: datetime = _ts()
    succeeded: bool = False


class AccessLogRow(SQLModel, table=True):
    """Who saw a personal-data value in full or downloaded a document: what, when, why. Append-only."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_delegation", "delegation_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()
    actor: str = Field(max_length=64)
    actor_court: str | None = Field(default=None, max_length=16)
    actor_roles: str = Field(max_length=100)
    kind: str = Field(max_length=16)  # reveal | download | print (an unmasked document printed)
    delegation_id: int = Field(foreign_key="delegation.id")
    target: str = Field(max_length=200)  # a field path, or document:<id>
    reason: str = Field(default="", max_length=500)
    address: str = Field(default="", max_length=64)


# Inbox and outbox lists are "one court's delegations, newest first": keyset pagination on these.
_delegation: Table = DelegationRow.__table__  # type: ignore[attr-defined]
DELEGATION_LIST_INDEXES: tuple[Any, ...] = (
    Index("ix_delegation_assisting_id", _delegation.c.assisting_court, _delegation.c.id),
    Index("ix_delegation_requesting_id", _delegation.c.requesting_court, _delegation.c.id),
)


class IdentifierSearchLogRow(SQLModel, table=True):
    """A search by ID number or USCC (exact, on the normalised value), logged like a reveal: who, when, the
    value's masked form and digest (never the value), and which matters matched. Append-only."""

    __tablename__ = "identifier_search_log"
    __table_args__ = (Index("ix_identifier_search_log_actor", "actor", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()
    actor: str = Field(max_length=64)
    actor_court: str | None = Field(default=None, max_length=16)
    actor_roles: str = Field(max_length=100)
    kind: str = Field(max_length=16)  # id_number | uscc
    digest: str = Field(max_length=64)  # the search key (searchkeys.search_key)
    masked: str = Field(max_length=64)
    matched: list[int] = _json_list()  # delegation ids (at most MATCHES_LOGGED)
    matched_count: int = 0
    address: str = Field(default="", max_length=64)


class SavedFilterRow(SQLModel, table=True):
    """A user's saved work-list filter: a name and the list's query string."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("username", "name", name="uq_saved_filter_name"),)
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    name: str = Field(max_length=40)
    query: str = Field(max_length=1000)
    created_at: datetime = _ts()
