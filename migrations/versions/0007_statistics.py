"""statistics: facts per matter (stat_fact), daily and monthly sums (stat_daily, stat_pair_month, stat_type_month); report runs' author

stat_fact holds each matter's facts (answers, first answer, completion, breach, days of delay, 督办), rewritten
by the matter's transitions and reconciled nightly; stat_daily sums them per day and court charged,
stat_pair_month per month, court charged and court pair, stat_type_month per month, court charged and matter
type, so the statistics page reads a few thousand rows for a city and a year, not the events. job_run.generated_by
names the flow run or the user who generated a monthly report.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEASURES = (
    "answers",
    "answers_on_time",
    "answered",
    "returned",
    "completions",
    "completions_on_time",
    "work_days",
    "work_days_n",
    "overdue",
    "overdue_days",
    "supervisions",
    "acknowledged",
    "ack_seconds",
)


def _measures() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False, server_default="0") for name in MEASURES]


def upgrade() -> None:
    op.create_table(
        "stat_fact",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delegation_id", sa.Integer(), sa.ForeignKey("delegation.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("court", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=16), nullable=False),
        sa.Column("requesting_court", sa.String(length=16), nullable=False),
        sa.Column("assisting_court", sa.String(length=16), nullable=False),
        sa.Column("matter_type", sa.String(length=64), nullable=False),
        *_measures(),
    )
    op.create_index("ix_stat_fact_delegation", "stat_fact", ["delegation_id"])
    op.create_index("ix_stat_fact_kind_court_day", "stat_fact", ["kind", "court", "day"])
    op.create_index("ix_stat_fact_court_day", "stat_fact", ["court", "day"])
    op.create_index("ix_stat_fact_day", "stat_fact", ["day"])
    op.create_table(
        "stat_daily",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("court", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=16), nullable=False),
        *_measures(),
        sa.UniqueConstraint("day", "court", name="uq_stat_daily"),
    )
    op.create_index("ix_stat_daily_court_day", "stat_daily", ["court", "day"])
    op.create_table(
        "stat_pair_month",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("court", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=16), nullable=False),
        sa.Column("requesting_court", sa.String(length=16), nullable=False),
        sa.Column("assisting_court", sa.String(length=16), nullable=False),
        *_measures(),
        sa.UniqueConstraint("month", "court", "requesting_court", "assisting_court", name="uq_stat_pair_month"),
    )
    op.create_index("ix_stat_pair_month_court_month", "stat_pair_month", ["court", "month"])
    op.create_table(
        "stat_type_month",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("court", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=16), nullable=False),
        sa.Column("matter_type", sa.String(length=64), nullable=False),
        *_measures(),
        sa.UniqueConstraint("month", "court", "matter_type", name="uq_stat_type_month"),
    )
    op.create_index("ix_stat_type_month_court_month", "stat_type_month", ["court", "month"])
    with op.batch_alter_table("job_run") as batch:
        batch.add_column(sa.Column("generated_by", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_run") as batch:
        batch.drop_column("generated_by")
    op.drop_index("ix_stat_type_month_court_month", table_name="stat_type_month")
    op.drop_table("stat_type_month")
    op.drop_index("ix_stat_pair_month_court_month", table_name="stat_pair_month")
    op.drop_table("stat_pair_month")
    op.drop_index("ix_stat_daily_court_day", table_name="stat_daily")
    op.drop_table("stat_daily")
    op.drop_index("ix_stat_fact_day", table_name="stat_fact")
    op.drop_index("ix_stat_fact_court_day", table_name="stat_fact")
    op.drop_index("ix_stat_fact_kind_court_day", table_name="stat_fact")
    op.drop_index("ix_stat_fact_delegation", table_name="stat_fact")
    op.drop_table("stat_fact")
