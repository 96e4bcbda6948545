"""Reorg safety: batches not yet final with their undo entries, and the rollback audit trail."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import HASH, WHEN, bigints, cascade_fk, columns_of

revision = "0006"  # created 2026-11-22
down_revision = "0005"


def upgrade() -> None:
    """Create ``mirror_batch``, ``mirror_undo`` and ``reorg_rollback``."""
    op.create_table(
        "mirror_batch",
        *bigints("chain_id", "to_block", "from_block"),
        *columns_of(HASH, "tip_hash", "tip_parent_hash"),
        sa.Column("base_hash", HASH, nullable=True),
        sa.Column("stored_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "to_block"),
    )
    op.create_table(
        "mirror_undo",
        *bigints("chain_id", "to_block"),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.JSON(), nullable=False),
        sa.Column("prior", sa.JSON(), nullable=True),
        cascade_fk(
            "fk_mirror_undo_batch",
            ["chain_id", "to_block"],
            "mirror_batch",
            ["chain_id", "to_block"],
        ),
        sa.PrimaryKeyConstraint("chain_id", "to_block", "seq"),
    )
    op.create_table(
        "reorg_rollback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("detected_at", WHEN, nullable=False),
        sa.Column("mirrored_block", sa.BigInteger(), nullable=False),
        sa.Column("mirrored_hash", HASH, nullable=False),
        sa.Column("chain_hash", HASH, nullable=True),
        sa.Column("restored_block", sa.BigInteger(), nullable=False),
        sa.Column("restored_hash", HASH, nullable=True),
        sa.Column("depth", sa.BigInteger(), nullable=False),
        *columns_of(sa.Integer(), "batches_undone", "rows_restored", "raw_events_removed"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reorg_rollback_chain_id", "reorg_rollback", ["chain_id"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index("ix_reorg_rollback_chain_id", table_name="reorg_rollback")
    op.drop_table("reorg_rollback")
    op.drop_table("mirror_undo")
    op.drop_table("mirror_batch")
