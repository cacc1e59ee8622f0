"""outbox: on PostgreSQL the payload is `json` (kept as written) instead of `jsonb` (parsed into its binary form on
the way in), and delegation_id and notice_id are no longer foreign keys.

The outbox is a queue of messages, each written in the transaction of the change it announces, and read back
whole by the senders: nothing searches a payload in SQL. The delegation and the notice a message names are
written in that same transaction and are never deleted. Measured on the sweep's 10,000 reminders (bench/README.md,
2026-12-07): appending their 10,000 messages took 420-520 ms of the database's time, of which the two foreign-key
checks were ~200 ms (an index probe and a row lock on each parent, each lock a WAL record) and parsing the
payloads into jsonb ~140 ms.

ALTER COLUMN .. TYPE json rewrites the table once (the text of each payload is kept). SQLite stores JSON as text
whatever the type; there the table is copied without the two (unnamed) foreign keys, batch mode naming them on
reflection so they can be dropped.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEYS = (
    ("outbox_delegation_id_fkey", "delegation_id", "delegation"),
    ("outbox_notice_id_fkey", "notice_id", "notice"),
)


# SQLite's foreign keys have no names: batch mode gives the reflected ones these, as PostgreSQL named them.
SQLITE_NAMES = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("outbox", naming_convention=SQLITE_NAMES) as batch:
            for name, _column, _parent in FOREIGN_KEYS:
                batch.drop_constraint(name, type_="foreignkey")
        return
    for name, _column, _parent in FOREIGN_KEYS:
        op.drop_constraint(name, "outbox", type_="foreignkey")
    op.execute("ALTER TABLE outbox ALTER COLUMN payload TYPE json USING payload::json")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("outbox") as batch:
            for name, column, parent in FOREIGN_KEYS:
                batch.create_foreign_key(name, parent, [column], ["id"])
        return
    op.execute("ALTER TABLE outbox ALTER COLUMN payload TYPE jsonb USING payload::jsonb")
    for name, column, parent in FOREIGN_KEYS:
        op.create_foreign_key(name, "outbox", parent, [column], ["id"])
