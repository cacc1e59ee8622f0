"""dashboard counters: open matters per court holding the ball and status, running clocks per court and due
time, kept by triggers in the writing transaction (issue 14, item 2)

Triggers on `delegation` append (court, status, ±1) to status_count_delta when a matter enters or leaves an
open status, or changes courts; triggers on `stage_clock` append (court, due_at, ±1) to due_count_delta when
a clock starts or stops running (open, not paused, with a due time), or its court or due time changes. Only
rows are appended, so two transactions never wait on one counter; `counts.compact` (after every sweep) folds
the deltas into status_count and due_count, and `counts.reconcile` (the nightly reconcile-statistics flow)
recomputes both from the rows and repairs any difference.

The court holding the ball in an open status is worklists.HOLDER_SIDE: the requesting court while returned
or completed, the assisting court otherwise. The lists below are that table as of this migration; the
reconciliation would report a change of it that did not come with a migration.

SQLite drops a table's triggers when Alembic's batch mode rebuilds it: a later migration that rebuilds
`delegation` or `stage_clock` on SQLite must call `create_triggers` again (tests/integration pins that the
triggers exist at head).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "('submitted', 'returned', 'declined', 'accepted', 'in_progress', 'scheduled', 'completed')"
REQUESTER_HOLDS = "('returned', 'completed')"


def _holder(row: str) -> str:
    return f"CASE WHEN {row}.status IN {REQUESTER_HOLDS} THEN {row}.requesting_court ELSE {row}.assisting_court END"


def _running(row: str, false: str) -> str:
    return f"({row}.closed_at IS NULL AND {row}.paused = {false} AND {row}.due_at IS NOT NULL)"


DELEGATION_CHANGED = (
    "OLD.status IS DISTINCT FROM NEW.status OR OLD.assisting_court IS DISTINCT FROM NEW.assisting_court"
    " OR OLD.requesting_court IS DISTINCT FROM NEW.requesting_court"
)


def _clock_changed(false: str, distinct: str) -> str:
    return (
        f"{_running('OLD', false)} {distinct} {_running('NEW', false)} OR OLD.court_code {distinct} NEW.court_code"
        f" OR OLD.due_at {distinct} NEW.due_at"
    )


PG_TRIGGERS = [
    f"""
CREATE OR REPLACE FUNCTION jd_status_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF OLD.status IN {OPEN} THEN
      INSERT INTO status_count_delta (court, status, delta) VALUES ({_holder('OLD')}, OLD.status, -1);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.status IN {OPEN} THEN
      INSERT INTO status_count_delta (court, status, delta) VALUES ({_holder('NEW')}, NEW.status, 1);
    END IF;
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER trg_status_count_write AFTER INSERT OR DELETE ON delegation"
    " FOR EACH ROW EXECUTE FUNCTION jd_status_count()",
    "CREATE TRIGGER trg_status_count_update AFTER UPDATE OF status, assisting_court, requesting_court ON delegation"
    f" FOR EACH ROW WHEN ({DELEGATION_CHANGED}) EXECUTE FUNCTION jd_status_count()",
    f"""
CREATE OR REPLACE FUNCTION jd_due_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF {_running('OLD', 'false')} THEN
      INSERT INTO due_count_delta (court, due_at, delta) VALUES (OLD.court_code, OLD.due_at, -1);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF {_running('NEW', 'false')} THEN
      INSERT INTO due_count_delta (court, due_at, delta) VALUES (NEW.court_code, NEW.due_at, 1);
    END IF;
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER trg_due_count_write AFTER INSERT OR DELETE ON stage_clock"
    " FOR EACH ROW EXECUTE FUNCTION jd_due_count()",
    "CREATE TRIGGER trg_due_count_update AFTER UPDATE OF closed_at, paused, due_at, court_code ON stage_clock"
    f" FOR EACH ROW WHEN ({_clock_changed('false', 'IS DISTINCT FROM')}) EXECUTE FUNCTION jd_due_count()",
]

_S_STATUS = "INSERT INTO status_count_delta (court, status, delta)"
_S_DUE = "INSERT INTO due_count_delta (court, due_at, delta)"
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER trg_status_count_insert AFTER INSERT ON delegation WHEN NEW.status IN {OPEN}"
    f" BEGIN {_S_STATUS} VALUES ({_holder('NEW')}, NEW.status, 1); END",
    f"CREATE TRIGGER trg_status_count_delete AFTER DELETE ON delegation WHEN OLD.status IN {OPEN}"
    f" BEGIN {_S_STATUS} VALUES ({_holder('OLD')}, OLD.status, -1); END",
    "CREATE TRIGGER trg_status_count_update AFTER UPDATE OF status, assisting_court, requesting_court ON delegation"
    f" WHEN {DELEGATION_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN"
    f" {_S_STATUS} SELECT {_holder('OLD')}, OLD.status, -1 WHERE OLD.status IN {OPEN};"
    f" {_S_STATUS} SELECT {_holder('NEW')}, NEW.status, 1 WHERE NEW.status IN {OPEN}; END",
    f"CREATE TRIGGER trg_due_count_insert AFTER INSERT ON stage_clock WHEN {_running('NEW', '0')}"
    f" BEGIN {_S_DUE} VALUES (NEW.court_code, NEW.due_at, 1); END",
    f"CREATE TRIGGER trg_due_count_delete AFTER DELETE ON stage_clock WHEN {_running('OLD', '0')}"
    f" BEGIN {_S_DUE} VALUES (OLD.court_code, OLD.due_at, -1); END",
    "CREATE TRIGGER trg_due_count_update AFTER UPDATE OF closed_at, paused, due_at, court_code ON stage_clock"
    f" WHEN {_clock_changed('0', 'IS NOT')} BEGIN"
    f" {_S_DUE} SELECT OLD.court_code, OLD.due_at, -1 WHERE {_running('OLD', '0')};"
    f" {_S_DUE} SELECT NEW.court_code, NEW.due_at, 1 WHERE {_running('NEW', '0')}; END",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS trg_status_count_write ON delegation",
    "DROP TRIGGER IF EXISTS trg_status_count_update ON delegation",
    "DROP TRIGGER IF EXISTS trg_due_count_write ON stage_clock",
    "DROP TRIGGER IF EXISTS trg_due_count_update ON stage_clock",
    "DROP FUNCTION IF EXISTS jd_status_count()",
    "DROP FUNCTION IF EXISTS jd_due_count()",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "trg_status_count_insert",
        "trg_status_count_delete",
        "trg_status_count_update",
        "trg_due_count_insert",
        "trg_due_count_delete",
        "trg_due_count_update",
    )
]


def create_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in PG_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "status_count",
        sa.Column("court", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("court", "status", name="pk_status_count"),
    )
    op.create_table(
        "status_count_delta",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("court", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
    )
    op.create_index("ix_status_count_delta_court", "status_count_delta", ["court"])
    op.create_table(
        "due_count",
        sa.Column("court", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("court", "due_at", name="pk_due_count"),
    )
    op.create_table(
        "due_count_delta",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("court", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
    )
    op.create_index("ix_due_count_delta_court", "due_count_delta", ["court", "due_at"])
    create_triggers()
    false = "false" if op.get_bind().dialect.name == "postgresql" else "0"
    op.execute(
        f"INSERT INTO status_count (court, status, n) SELECT {_holder('delegation')}, status, count(*)"
        f" FROM delegation WHERE status IN {OPEN} GROUP BY 1, 2"
    )
    op.execute(
        "INSERT INTO due_count (court, due_at, n) SELECT court_code, due_at, count(*) FROM stage_clock"
        f" WHERE {_running('stage_clock', false)} GROUP BY court_code, due_at"
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in PG_DROP if postgres else SQLITE_DROP:
        op.execute(statement)
    op.drop_index("ix_due_count_delta_court", table_name="due_count_delta")
    op.drop_table("due_count_delta")
    op.drop_table("due_count")
    op.drop_index("ix_status_count_delta_court", table_name="status_count_delta")
    op.drop_table("status_count_delta")
    op.drop_table("status_count")
