"""delegation_event.actor_role holds every part an actor plays at once (e.g. assisting,command_center,regional)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delegation_event") as batch:
        batch.alter_column("actor_role", type_=sa.String(length=64), existing_type=sa.String(length=32),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("delegation_event") as batch:
        batch.alter_column("actor_role", type_=sa.String(length=32), existing_type=sa.String(length=64),
                           existing_nullable=False)
