"""running clocks in keyset order: the two partial indexes over running clocks end with the clock's id, so
that "due first" lists and drill-downs (ORDER BY due_at, id; worklists' keyset pages) and the dashboard's
most urgent lists read their rows in index order, with no sort of the rows sharing a due day (clocks fall
due at 24:00, so a day's rows share one due_at)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNNING_PG = sa.text("closed_at IS NULL AND paused IS false")
RUNNING_SQLITE = sa.text("closed_at IS NULL AND paused IS 0")


def _indexes(with_id: bool) -> None:
    tail = ["id"] if with_id else []
    op.create_index(
        "ix_clock_running_court_due",
        "stage_clock",
        ["court_code", "due_at", *tail],
        postgresql_where=RUNNING_PG,
        sqlite_where=RUNNING_SQLITE,
    )
    op.create_index(
        "ix_clock_running_due",
        "stage_clock",
        ["due_at", *tail],
        postgresql_include=["court_code", "delegation_id"],
        postgresql_where=RUNNING_PG,
        sqlite_where=RUNNING_SQLITE,
    )


def upgrade() -> None:
    op.drop_index("ix_clock_running_court_due", table_name="stage_clock")
    op.drop_index("ix_clock_running_due", table_name="stage_clock")
    _indexes(with_id=True)


def downgrade() -> None:
    op.drop_index("ix_clock_running_court_due", table_name="stage_clock")
    op.drop_index("ix_clock_running_due", table_name="stage_clock")
    _indexes(with_id=False)
