"""Initial schema of the chain mirror: cursor, block headers, raw events, evidence."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import (
    ADDRESS,
    HASH,
    bigints,
    cascade_fk,
    columns_of,
    event_key,
    raw_event_fk,
)

revision = "0001"  # created 2026-11-22
down_revision = None


def upgrade() -> None:
    """Create the four tables of the mirror and their indexes."""
    op.create_table(
        "indexer_cursor",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_block", sa.BigInteger(), nullable=False),
        sa.Column("last_block_hash", HASH, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chain_id"),
    )
    op.create_table(
        "block",
        *bigints("chain_id", "number"),
        *columns_of(HASH, "hash", "parent_hash"),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "number"),
    )
    op.create_table(
        "raw_event",
        *event_key(),
        *columns_of(HASH, "block_hash", "tx_hash"),
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("contract", sa.String(length=64), nullable=True),
        sa.Column("event", sa.String(length=128), nullable=True),
        sa.Column("topic0", HASH, nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("args", sa.JSON(), nullable=True),
        cascade_fk(
            "fk_raw_event_block", ["chain_id", "block_number"], "block", ["chain_id", "number"]
        ),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index("ix_raw_event_tx_hash", "raw_event", ["tx_hash"])
    op.create_index("ix_raw_event_address_topic0", "raw_event", ["address", "topic0"])
    op.create_table(
        "evidence",
        sa.Column("fingerprint", HASH, nullable=False),
        *columns_of(ADDRESS, "anchorer", "relayer"),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", HASH, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        raw_event_fk("block_number", "log_index", "fk_evidence_raw_event"),
        sa.PrimaryKeyConstraint("fingerprint"),
    )
    op.create_index("ix_evidence_anchorer", "evidence", ["anchorer", "block_number", "log_index"])
    op.create_index("ix_evidence_position", "evidence", ["chain_id", "block_number", "log_index"])


def downgrade() -> None:
    """Drop everything :func:`upgrade` created (the mirror can be rebuilt from the chain)."""
    op.drop_index("ix_evidence_position", table_name="evidence")
    op.drop_index("ix_evidence_anchorer", table_name="evidence")
    op.drop_table("evidence")
    op.drop_index("ix_raw_event_address_topic0", table_name="raw_event")
    op.drop_index("ix_raw_event_tx_hash", table_name="raw_event")
    op.drop_table("raw_event")
    op.drop_table("block")
    op.drop_table("indexer_cursor")
