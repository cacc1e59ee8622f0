"""网络查控 in the statistics facts and sums: completions by network, seconds from submission to 办结 (all
completions and the network's), and the hand-backs' failed registry queries by cause, as measures of
stat_fact, stat_daily, stat_pair_month and stat_type_month, so the statistics page sums them instead of
reading every 查控 matter completed in the period (issue 10 item 6, issue 17 item 6)

The existing facts get the new measures at the next nightly reconciliation (reconcile-statistics, or
`jiaodong sla reconcile-stats` at once); until then the page's network figures count from zero.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("stat_fact", "stat_daily", "stat_pair_month", "stat_type_month")
COUNTS = (
    "network_completions",
    "fail_timeout",
    "fail_error",
    "fail_closed",
    "fail_refused",
    "fail_bad_signature",
    "fail_not_answered",
)
SECONDS = ("result_seconds", "network_seconds")


def upgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            for column in COUNTS:
                batch.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
            for column in SECONDS:
                batch.add_column(sa.Column(column, sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            for column in (*COUNTS, *SECONDS):
                batch.drop_column(column)
