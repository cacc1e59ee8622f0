"""the search box by index on PostgreSQL: trigram indexes on the platform number and the handler, beside the
existing ones on search_text (案号, party names) and search_keys, so every arm of the search box's OR reads an
index (a bitmap OR) instead of the whole table being scanned for '%…%' (issue 14: ~0.9 s at 1,000,000)

Only where pg_trgm is available, like ix_delegation_search_trgm (0002); SQLite scans, as the embedded default.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {"ix_delegation_number_trgm": "number", "ix_delegation_handler_trgm": "handler"}


def _has_trgm() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first() is not None


def upgrade() -> None:
    if _has_trgm():
        for name, column in INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON delegation USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
