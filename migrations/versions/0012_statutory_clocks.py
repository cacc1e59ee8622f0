"""statutory clocks: the assisting court's duties of 民诉法 第二百四十条 beside the stage clocks; extensions
in working days of plain-day clocks

One row per duty period: `start` (开始执行 within 15 days of receipt) and `report` (finish, or report the state
of execution, within 30 days, repeated while the matter is open), counted in plain days with the roll-forward
of 第八十五条. A partial index over the open rows serves the sweep that records breaches and the dashboard.
stage_clock.extra_working_days holds the working-day extensions of a plain-day clock (an extension counts in
its own unit: ten working days added to a service period of ten days move it by ten working days).

stage_clock.latest_due caps a renewal's clocks: due no later than the policy's margin before the earliest
current expiry (民诉法解释 第四百八十五条: 续行 before the period ends).

supervision_draft holds the 督办 a SUPERVISE rung prepared for the superior court's command center to issue
(one by one or in a batch), unless the policy says they are issued automatically.

Documents name the 承办人 and 联系电话 of both courts: app_user.phone (the requesting officer), delegation.handler_phone
(the assisting court's handler). Service results record the 送达回证's facts: asset_result.served_on,
service_method and signed_by.

Matters already under way get no rows: their receipt predates the rule being modelled, and inventing a
period for them would report breaches nobody could have seen coming.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_PG = sa.text("is_open IS true")
OPEN_SQLITE = sa.text("is_open IS 1")


def upgrade() -> None:
    with op.batch_alter_table("stage_clock") as batch:
        batch.add_column(sa.Column("extra_working_days", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("latest_due", sa.Date(), nullable=True))
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=32), nullable=False, server_default=""))
    with op.batch_alter_table("delegation") as batch:
        batch.add_column(sa.Column("handler_phone", sa.String(length=32), nullable=True))
    with op.batch_alter_table("asset_result") as batch:
        batch.add_column(sa.Column("served_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("service_method", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("signed_by", sa.String(length=100), nullable=True))
    op.create_table(
        "statutory_clock",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delegation_id", sa.Integer(), sa.ForeignKey("delegation.id"), nullable=False),
        sa.Column("duty", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("court_code", sa.String(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("counted_from", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met_by", sa.String(length=40), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breach_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remedy_requested_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_statutory_delegation", "statutory_clock", ["delegation_id", "duty"])
    op.create_table(
        "supervision_draft",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delegation_id", sa.Integer(), sa.ForeignKey("delegation.id"), nullable=False),
        sa.Column("clock_id", sa.Integer(), sa.ForeignKey("stage_clock.id"), nullable=False),
        sa.Column("issuing_court", sa.String(length=16), nullable=False),
        sa.Column("to_court", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_notice_id", sa.Integer(), sa.ForeignKey("notice.id"), nullable=True),
        sa.Column("issued_by", sa.String(length=64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("clock_id", name="uq_supervision_draft_clock"),
    )
    op.create_index("ix_supervision_draft_pending", "supervision_draft", ["issuing_court", "created_at"])
    op.create_index(
        "ix_statutory_open_due", "statutory_clock", ["due_at"], postgresql_where=OPEN_PG, sqlite_where=OPEN_SQLITE
    )


def downgrade() -> None:
    op.drop_index("ix_supervision_draft_pending", table_name="supervision_draft")
    op.drop_table("supervision_draft")
    op.drop_index("ix_statutory_open_due", table_name="statutory_clock")
    op.drop_index("ix_statutory_delegation", table_name="statutory_clock")
    op.drop_table("statutory_clock")
    with op.batch_alter_table("asset_result") as batch:
        batch.drop_column("signed_by")
        batch.drop_column("service_method")
        batch.drop_column("served_on")
    with op.batch_alter_table("delegation") as batch:
        batch.drop_column("handler_phone")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("phone")
    with op.batch_alter_table("stage_clock") as batch:
        batch.drop_column("latest_due")
        batch.drop_column("extra_working_days")
