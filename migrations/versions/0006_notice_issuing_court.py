"""A notice is issued in the name of a court (督办: the superior of the court supervised), numbered per
issuing court, kind and year, and states the deadline it sets.

Existing notices were issued by their city's command center, which they were copied to: issuing_court takes
cc_court, and the counters continue from the highest number each issuing court has given.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("issuing_court", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch.add_column(sa.Column("reply_by", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE notice SET issuing_court = cc_court")
    with op.batch_alter_table("notice") as batch:
        batch.drop_constraint("uq_notice_number", type_="unique")
        batch.create_unique_constraint("uq_notice_number", ["issuing_court", "kind", "year", "seq"])
        batch.create_index("ix_notice_issuing_court", ["issuing_court", "issued_at"], unique=False)
    op.execute("DELETE FROM notice_counter")
    op.execute(
        "INSERT INTO notice_counter (city, kind, year, last_seq) "
        "SELECT issuing_court, kind, year, MAX(seq) FROM notice "
        "WHERE seq IS NOT NULL AND issuing_court IS NOT NULL GROUP BY issuing_court, kind, year"
    )


def downgrade() -> None:
    op.execute("DELETE FROM notice_counter")
    op.execute(
        "INSERT INTO notice_counter (city, kind, year, last_seq) "
        "SELECT city, kind, year, MAX(seq) FROM notice WHERE seq IS NOT NULL GROUP BY city, kind, year"
    )
    with op.batch_alter_table("notice") as batch:
        batch.drop_index("ix_notice_issuing_court")
        batch.drop_constraint("uq_notice_number", type_="unique")
        batch.create_unique_constraint("uq_notice_number", ["city", "kind", "year", "seq"])
        batch.drop_column("reply_by")
        batch.drop_column("issuing_court")
