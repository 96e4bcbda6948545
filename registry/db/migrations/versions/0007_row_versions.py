"""History of the mirror: the state of each derived row after every event that changed it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import event_key

revision = "0007"  # created 2026-11-22
down_revision = "0006"


def upgrade() -> None:
    """Create ``row_version``. A mirror indexed before this revision has no history for the
    blocks it already holds: rebuild it (index into an empty database) to answer "as of"."""
    op.create_table(
        "row_version",
        *event_key(),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.String(length=200), nullable=False),
        sa.Column("image", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", "table_name", "row_key"),
    )
    op.create_index(
        "ix_row_version_lookup",
        "row_version",
        ["chain_id", "table_name", "row_key", "block_number"],
    )
    op.create_index("ix_row_version_block", "row_version", ["chain_id", "block_number"])


def downgrade() -> None:
    """Drop ``row_version``."""
    op.drop_index("ix_row_version_block", table_name="row_version")
    op.drop_index("ix_row_version_lookup", table_name="row_version")
    op.drop_table("row_version")
