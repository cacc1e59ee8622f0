"""dashboard indexes: running clocks by court and due time, notices by command center, pending extensions

The command center dashboard counts, per court holding the ball, the running clocks that are overdue or due
soon, and lists the most urgent ones; partial indexes over the running clocks only (open, not paused) make
both index-only scans whatever the number of closed clocks. Notices are listed per command center (cc_court)
and pending extension requests per requesting court.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written as the queries write them (SQLAlchemy renders `paused IS false` on PostgreSQL, `paused IS 0` on
# SQLite), so that both planners see the query's conditions imply the index's.
RUNNING_PG = sa.text("closed_at IS NULL AND paused IS false")
RUNNING_SQLITE = sa.text("closed_at IS NULL AND paused IS 0")
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        "ix_clock_running_court_due",
        "stage_clock",
        ["court_code", "due_at"],
        postgresql_where=RUNNING_PG,
        sqlite_where=RUNNING_SQLITE,
    )
    op.create_index(
        "ix_clock_running_due",
        "stage_clock",
        ["due_at"],
        postgresql_include=["court_code", "delegation_id"],
        postgresql_where=RUNNING_PG,
        sqlite_where=RUNNING_SQLITE,
    )
    op.create_index("ix_notice_cc_court", "notice", ["cc_court", "issued_at"])
    op.create_index(
        "ix_extension_pending", "extension_request", ["requested_court"], postgresql_where=PENDING, sqlite_where=PENDING
    )


def downgrade() -> None:
    op.drop_index("ix_extension_pending", table_name="extension_request")
    op.drop_index("ix_notice_cc_court", table_name="notice")
    op.drop_index("ix_clock_running_due", table_name="stage_clock")
    op.drop_index("ix_clock_running_court_due", table_name="stage_clock")
