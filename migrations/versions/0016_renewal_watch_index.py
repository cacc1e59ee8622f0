"""renewals at risk by index: the dashboard's list of open renewals whose last day before the seizure or
freeze lapses is near (dashboard.renewals_at_risk) read every open clock of the covered courts; a partial
index over the open clocks that carry a lapse cap (few) serves it in order, however many matters are open

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAPPED = sa.text("closed_at IS NULL AND latest_due IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_clock_open_latest_due",
        "stage_clock",
        ["latest_due", "id"],
        postgresql_include=["court_code"],
        postgresql_where=CAPPED,
        sqlite_where=CAPPED,
    )


def downgrade() -> None:
    op.drop_index("ix_clock_open_latest_due", table_name="stage_clock")
