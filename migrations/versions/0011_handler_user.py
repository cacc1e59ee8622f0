"""handlers as users: delegation.handler_username names the assisting court's user who handles the matter
(handler keeps the name shown and printed), indexed for each handler's 我承办的 list

Existing matters keep their handler's name as text; handler_username stays empty for them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delegation") as batch:
        batch.add_column(sa.Column("handler_username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.create_index("ix_delegation_handler", ["handler_username", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delegation") as batch:
        batch.drop_index("ix_delegation_handler")
        batch.drop_column("handler_username")
