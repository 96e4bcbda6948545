"""The access log: one append-only row per write (API request, or transaction the CLI or the
demo sent). The database refuses to change or remove a row: triggers abort ``UPDATE`` and
``DELETE`` on SQLite and PostgreSQL (and ``TRUNCATE`` on PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import ADDRESS, WHEN

revision = "0017"  # created 2026-12-07
down_revision = "0016"

_REFUSAL = "access_log is append-only"

_SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER access_log_no_{verb.lower()} BEFORE {verb} ON access_log "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
    for verb in ("UPDATE", "DELETE")
)

_POSTGRESQL_TRIGGERS = (
    "CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}' USING ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log "
    "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()",
    "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()",
)


def upgrade() -> None:
    """Create ``access_log`` and the triggers that keep it append-only."""
    op.create_table(
        "access_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("caller", ADDRESS, nullable=True),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=True),
        sa.Column("sender", ADDRESS, nullable=True),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("action", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=128), nullable=False),
        sa.Column("tx_hashes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_recorded_at", "access_log", ["recorded_at"])
    op.create_index("ix_access_log_caller", "access_log", ["caller"])
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        statements: tuple[str, ...] = _SQLITE_TRIGGERS
    elif dialect == "postgresql":
        statements = _POSTGRESQL_TRIGGERS
    else:
        statements = ()
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    """Drop the access log (its triggers go with it) and, on PostgreSQL, the trigger function."""
    op.drop_index("ix_access_log_caller", table_name="access_log")
    op.drop_index("ix_access_log_recorded_at", table_name="access_log")
    op.drop_table("access_log")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION access_log_append_only()")
