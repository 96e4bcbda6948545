"""A cheaper ``raw_event`` to write: drop the index on ``tx_hash``, which no query reads.

Every raw event paid for a random insert into ``ix_raw_event_tx_hash`` (transaction hashes
are in no useful order), the largest part of the indexer's writes after the table itself;
nothing in the registry, the API or the CLI looks raw events up by transaction hash (the
timeline, the audit and the queries select them by position, by emitting address and topic,
or through the derived rows that reference them)."""

from __future__ import annotations

from alembic import op

revision = "0010"  # created 2026-11-22
down_revision = "0009"


def upgrade() -> None:
    """Drop ``ix_raw_event_tx_hash``."""
    op.drop_index("ix_raw_event_tx_hash", table_name="raw_event")


def downgrade() -> None:
    """Create ``ix_raw_event_tx_hash`` again."""
    op.create_index("ix_raw_event_tx_hash", "raw_event", ["tx_hash"])
