"""The sweep's probe and its breach query read the open statutory duties whose breach is not recorded yet
from an index of just those: with ix_statutory_open_due alone they step over every open duty whose breach
was recorded already (still open until the court acts: growing with the late matters) before the first one
that matters, on every sweep, every minute.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNRECORDED_PG = sa.text("is_open IS true AND breach_recorded_at IS NULL")
UNRECORDED_SQLITE = sa.text("is_open IS 1 AND breach_recorded_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_statutory_unrecorded_due",
        "statutory_clock",
        ["due_at"],
        postgresql_where=UNRECORDED_PG,
        sqlite_where=UNRECORDED_SQLITE,
    )


def downgrade() -> None:
    op.drop_index("ix_statutory_unrecorded_due", table_name="statutory_clock")
