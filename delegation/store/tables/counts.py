"""The dashboard's maintained counters (migration 0014): open matters per court holding the ball and status,
and running clocks per court and due time. Database triggers on `delegation` and `stage_clock` append a
delta row in the writing transaction (no row is updated in place, so concurrent transitions never wait on
one another); the sweep folds the deltas into the counts; a reconciliation recomputes both from the rows.
A read is the sum of a court's counts and its pending deltas: tens of rows, however many matters there are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, PrimaryKeyConstraint
from sqlmodel import Field, SQLModel

from delegation.store.tables.columns import UTCDateTime


class StatusCountRow(SQLModel, table=True):
    """Open matters a court holds in one status (the holder as worklists.HOLDER_SIDE says)."""

    __tablename__ = "status_count"
    __table_args__ = (PrimaryKeyConstraint("court", "status", name="pk_status_count"),)
    court: str = Field(max_length=16)
    status: str = Field(max_length=32)
    n: int = 0


class StatusCountDeltaRow(SQLModel, table=True):
    """+1 / -1 of a status count, appended by the triggers on `delegation`, folded by `counts.compact`."""

    __tablename__ = "status_count_delta"
    __table_args__ = (Index("ix_status_count_delta_court", "court"),)
    id: int | None = Field(default=None, primary_key=True)
    court: str = Field(max_length=16)
    status: str = Field(max_length=32)
    delta: int


class DueCountRow(SQLModel, table=True):
    """Running clocks (open, not paused) a court holds that fall due at one instant (24:00 of a day)."""

    __tablename__ = "due_count"
    __table_args__ = (PrimaryKeyConstraint("court", "due_at", name="pk_due_count"),)
    court: str = Field(max_length=16)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    n: int = 0


class DueCountDeltaRow(SQLModel, table=True):
    """+1 / -1 of a due count, appended by the triggers on `stage_clock`, folded by `counts.compact`."""

    __tablename__ = "due_count_delta"
    __table_args__ = (Index("ix_due_count_delta_court", "court", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    court: str = Field(max_length=16)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    delta: int
