"""网络查控: registry connectors, network jobs (one per matter and round) and their per-asset queries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "registry_connector",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("registry_kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("matter_types", JSON, nullable=False),
        sa.Column("endpoint", sa.String(length=300), nullable=False),
        sa.Column("secret_ref", sa.String(length=260), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("max_in_flight", sa.Integer(), nullable=False),
        sa.Column("answer_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("request_timeout_seconds", sa.Float(), nullable=False),
        sa.Column("business_hours", JSON, nullable=False),
        sa.Column("auto_accept", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.UniqueConstraint("scope", "registry_kind", name="uq_connector_scope_registry"),
    )
    op.create_table(
        "network_job",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delegation_id", sa.Integer(), sa.ForeignKey("delegation.id"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), sa.ForeignKey("registry_connector.id"), nullable=False),
        sa.Column("registry_kind", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("delegation_id", "round", name="uq_network_job_round"),
    )
    op.create_index("ix_network_job_delegation_id", "network_job", ["delegation_id"])
    op.create_index("ix_network_job_status", "network_job", ["status", "id"])
    op.create_table(
        "network_query",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("network_job.id"), nullable=False),
        sa.Column("delegation_id", sa.Integer(), sa.ForeignKey("delegation.id"), nullable=False),
        sa.Column("asset_index", sa.Integer(), nullable=False),
        sa.Column("asset_label", sa.String(length=200), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False, unique=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("answer_code", sa.String(length=32), nullable=True),
        sa.Column("receipt_no", sa.String(length=64), nullable=True),
        sa.Column("answer", JSON, nullable=False),
        sa.Column("answered_via", sa.String(length=16), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("job_id", "asset_index", name="uq_network_query_asset"),
    )
    op.create_index("ix_network_query_delegation_id", "network_query", ["delegation_id"])
    op.create_index("ix_network_query_job_id", "network_query", ["job_id"])


def downgrade() -> None:
    op.drop_table("network_query")
    op.drop_table("network_job")
    op.drop_table("registry_connector")
