"""``idempotency_key``: the answers of POST requests sent with an ``Idempotency-Key``, kept
until they expire so the same key returns the same answer, also after a restart."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import HASH, WHEN

revision = "0019"  # created 2026-12-07
down_revision = "0018"


def upgrade() -> None:
    """Create ``idempotency_key`` and its index by expiry."""
    op.create_table(
        "idempotency_key",
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_index("ix_idempotency_key_expires_at", "idempotency_key", ["expires_at"])


def downgrade() -> None:
    """Drop ``idempotency_key``."""
    op.drop_index("ix_idempotency_key_expires_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
