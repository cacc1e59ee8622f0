"""credentials: on PostgreSQL, every change to api_token or app_user notifies the channel `jiaodong_credentials`
(after commit, as NOTIFY is transactional), so each web worker's cache of token lookups is cleared whatever
made the change: the CLI, the API, the admin pages or plain SQL. user_session is left alone: sessions are not
cached, and a notification per login would only empty the caches.

Statement-level triggers: one notification per statement, however many rows it touched (PostgreSQL also folds
identical notifications of one transaction into one). TRUNCATE notifies too. The channel's name is the one
`delegation.store.credential_changes.CHANNEL` listens on, written out here so this migration stays as it was
run (tests/integration/test_token_cache.py pins that the two agree). SQLite has no NOTIFY and no cache: nothing
to do there.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "jiaodong_credentials"
FUNCTION = "notify_credentials_changed"
TABLES = ("api_token", "app_user")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_credentials_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_credentials_changed ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
