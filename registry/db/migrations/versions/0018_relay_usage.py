"""The operator's spending: ``relay_usage``, one row per transaction the operator paid for on a
party's behalf, which the per-address and global relay quotas count over a rolling hour."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import ADDRESS, HASH, WHEN

revision = "0018"  # created 2026-12-07
down_revision = "0017"


def upgrade() -> None:
    """Create ``relay_usage`` and its indexes (by party and time, by time)."""
    op.create_table(
        "relay_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party", ADDRESS, nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("spent_at", WHEN, nullable=False),
        sa.Column("tx_hash", HASH, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_relay_usage_party", "relay_usage", ["party", "spent_at"])
    op.create_index("ix_relay_usage_spent_at", "relay_usage", ["spent_at"])


def downgrade() -> None:
    """Drop ``relay_usage``."""
    op.drop_index("ix_relay_usage_spent_at", table_name="relay_usage")
    op.drop_index("ix_relay_usage_party", table_name="relay_usage")
    op.drop_table("relay_usage")
