"""Statistics tables: the facts of each matter (rewritten by its transitions, reconciled nightly), their daily
sums per court and their monthly sums per court pair and per matter type, which the statistics page reads
(migration 0007)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class _MeasureColumns(SQLModel):
    """The additive measures (delegation.statistics.model.Measures), one column each."""

    answers: int = 0
    answers_on_time: int = 0
    answered: int = 0
    returned: int = 0
    completions: int = 0
    completions_on_time: int = 0
    work_days: int = 0
    work_days_n: int = 0
    overdue: int = 0
    overdue_days: int = 0
    supervisions: int = 0
    acknowledged: int = 0
    ack_seconds: int = 0
    # 网络查控 (migration 0019): completions by network, seconds from submission to 办结 (sums of many matters'
    # seconds: 64-bit), hand-backs' failed queries by cause
    network_completions: int = 0
    result_seconds: int = Field(default=0, sa_type=BigInteger)
    network_seconds: int = Field(default=0, sa_type=BigInteger)
    fail_timeout: int = 0
    fail_error: int = 0
    fail_closed: int = 0
    fail_refused: int = 0
    fail_bad_signature: int = 0
    fail_not_answered: int = 0


class StatFactRow(_MeasureColumns, table=True):
    """One fact of one matter, charged to one court on one day."""

    __tablename__ = "stat_fact"
    __table_args__ = (
        Index("ix_stat_fact_delegation", "delegation_id"),
        Index("ix_stat_fact_kind_court_day", "kind", "court", "day"),
        Index("ix_stat_fact_court_day", "court", "day"),
        Index("ix_stat_fact_day", "day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id")
    kind: str = Field(max_length=16)  # answer | answered | completion | overdue | delay | supervision | handback
    day: date
    court: str = Field(max_length=16)  # the court charged
    city: str = Field(max_length=16)
    requesting_court: str = Field(max_length=16)
    assisting_court: str = Field(max_length=16)
    matter_type: str = Field(max_length=64)


class StatDailyRow(_MeasureColumns, table=True):
    """The sum of the facts of one day and court charged: totals, courts, cities, trends."""

    __tablename__ = "stat_daily"
    __table_args__ = (
        UniqueConstraint("day", "court", name="uq_stat_daily"),
        Index("ix_stat_daily_court_day", "court", "day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    day: date
    court: str = Field(max_length=16)
    city: str = Field(max_length=16)


class StatPairMonthRow(_MeasureColumns, table=True):
    """The sum of the facts of one month (its first day), court charged and court pair."""

    __tablename__ = "stat_pair_month"
    __table_args__ = (
        UniqueConstraint("month", "court", "requesting_court", "assisting_court", name="uq_stat_pair_month"),
        Index("ix_stat_pair_month_court_month", "court", "month"),
    )
    id: int | None = Field(default=None, primary_key=True)
    month: date
    court: str = Field(max_length=16)
    city: str = Field(max_length=16)
    requesting_court: str = Field(max_length=16)
    assisting_court: str = Field(max_length=16)


class StatTypeMonthRow(_MeasureColumns, table=True):
    """The sum of the facts of one month (its first day), court charged and matter type."""

    __tablename__ = "stat_type_month"
    __table_args__ = (
        UniqueConstraint("month", "court", "matter_type", name="uq_stat_type_month"),
        Index("ix_stat_type_month_court_month", "court", "month"),
    )
    id: int | None = Field(default=None, primary_key=True)
    month: date
    court: str = Field(max_length=16)
    city: str = Field(max_length=16)
    matter_type: str = Field(max_length=64)
