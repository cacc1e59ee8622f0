"""search by identifier and saved filters (issue 11, item 4)

delegation.search_keys holds a digest of each resident ID number, USCC, plate and VIN a matter carries (never
the value), one token "<kind>:<digest>" per value, space-separated with a space at both ends: the search box
finds a matter by an exact match on the normalised value (delegation/catalogue/searchkeys.py). Existing rows are
filled here from their stored (already normalised) values: a party's id_number and uscc, and every matter field
named *id_number, *uscc, plate or vin at any depth (the shipped catalogue's identifier fields); the digest is
the module's search_key, repeated below so that the migration does not import the application.

identifier_search_log records each search by ID number or USCC (who, when, masked value, digest, the matters
matched), append-only like access_log. saved_filter keeps each user's named work-list filters.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_LENGTH = 2000


def _key(kind: str, canonical: str) -> str:
    return f"{kind}:{hashlib.sha256(f'jiaodong-search:{kind}:{canonical}'.encode()).hexdigest()[:32]}"


def _kind(name: str) -> str | None:
    if name.endswith("id_number"):
        return "id_number"
    if name.endswith("uscc"):
        return "uscc"
    return name if name in ("plate", "vin") else None


def _walk(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for name, inner in value.items():
            kind = _kind(str(name))
            if kind and isinstance(inner, str) and inner:
                yield _key(kind, inner)
            else:
                yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _keys(fields: Any, parties: Any) -> str:
    keys = list(dict.fromkeys([*_walk(_decoded(fields)), *_walk(_decoded(parties))]))
    out = " "
    for key in keys:
        if len(out) + len(key) + 1 > MAX_LENGTH:
            break
        out += key + " "
    return out if keys else ""


def upgrade() -> None:
    with op.batch_alter_table("delegation") as batch:
        batch.add_column(sa.Column("search_keys", sa.String(length=2000), nullable=False, server_default=""))
    bind = op.get_bind()
    last = 0
    while True:
        batch_rows = bind.execute(
            sa.text("SELECT id, fields, parties FROM delegation WHERE id > :last ORDER BY id LIMIT 1000"),
            {"last": last},
        ).all()
        if not batch_rows:
            break
        updates = [{"id": r[0], "keys": _keys(r[1], r[2])} for r in batch_rows]
        updates = [u for u in updates if u["keys"]]
        if updates:
            bind.execute(sa.text("UPDATE delegation SET search_keys = :keys WHERE id = :id"), updates)
        last = batch_rows[-1][0]
    if bind.dialect.name == "postgresql":
        has_trgm = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
        if has_trgm:
            op.execute("CREATE INDEX ix_delegation_search_keys_trgm ON delegation USING gin (search_keys gin_trgm_ops)")
    op.create_table(
        "identifier_search_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_court", sa.String(length=16), nullable=True),
        sa.Column("actor_roles", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("masked", sa.String(length=64), nullable=False),
        sa.Column("matched", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("matched_count", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_identifier_search_log_actor", "identifier_search_log", ["actor", "id"])
    if bind.dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION identifier_search_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'identifier_search_log is append-only: % refused', TG_OP;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER identifier_search_log_append_only BEFORE UPDATE OR DELETE ON identifier_search_log "
            "FOR EACH ROW EXECUTE FUNCTION identifier_search_log_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER identifier_search_log_no_update BEFORE UPDATE ON identifier_search_log "
            "BEGIN SELECT RAISE(ABORT, 'identifier_search_log is append-only'); END"
        )
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("username", "name", name="uq_saved_filter_name"),
    )
    op.create_index("ix_saved_filter_username", "saved_filter", ["username"])


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_saved_filter_username", table_name="saved_filter")
    op.drop_table("saved_filter")
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS identifier_search_log_append_only ON identifier_search_log")
        op.execute("DROP FUNCTION IF EXISTS identifier_search_log_append_only()")
        op.execute("DROP INDEX IF EXISTS ix_delegation_search_keys_trgm")
    op.drop_index("ix_identifier_search_log_actor", table_name="identifier_search_log")
    op.drop_table("identifier_search_log")
    with op.batch_alter_table("delegation") as batch:
        batch.drop_column("search_keys")
