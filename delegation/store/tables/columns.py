"""Column types shared by every table module.

Every datetime is stored timezone-aware (UTC); SQLite's naive values are made aware again on read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine.interfaces import Dialect
from sqlmodel import Field


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in and out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:  # asyncpg's timestamptz: already UTC
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")
# A message's body, read back whole and never searched in SQL (the outbox's payload): PostgreSQL's `json` keeps
# the text as written, where `jsonb` parses it into its binary form on the way in (migration 0023).
MessageJSONType = JSON()


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


def _message_json() -> Any:
    return Field(default_factory=dict, sa_column=Column(MessageJSONType, nullable=False))


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
