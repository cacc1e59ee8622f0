"""the dashboard's notice panels by index, however long the history: the regional escalations (newest first),
the 催办 and 督办 issued (newest first, every center for the coordinator) and the 督办 still awaiting their
acknowledgement (counted per issuing center) each read a partial index of just their rows, instead of walking
every notice ever issued

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ESCALATE = sa.text("kind = 'escalate'")
MANUAL = sa.text("kind IN ('urge', 'supervise')")
AWAITING_PG = sa.text("kind IN ('urge', 'supervise') AND requires_ack IS true AND acknowledged_at IS NULL")
AWAITING_SQLITE = sa.text("kind IN ('urge', 'supervise') AND requires_ack IS 1 AND acknowledged_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_notice_escalations", "notice", ["issued_at", "id"], postgresql_where=ESCALATE, sqlite_where=ESCALATE
    )
    op.create_index("ix_notice_manual", "notice", ["issued_at", "id"], postgresql_where=MANUAL, sqlite_where=MANUAL)
    op.create_index(
        "ix_notice_awaiting_ack",
        "notice",
        ["issuing_court"],
        postgresql_where=AWAITING_PG,
        sqlite_where=AWAITING_SQLITE,
    )


def downgrade() -> None:
    op.drop_index("ix_notice_awaiting_ack", table_name="notice")
    op.drop_index("ix_notice_manual", table_name="notice")
    op.drop_index("ix_notice_escalations", table_name="notice")
