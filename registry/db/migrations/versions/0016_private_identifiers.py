"""Service data: natural persons' full identifiers and the salts of their commitments
(``private_identifier``; the public metadata carries only the masked form and the commitment,
docs/privacy.md)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import ADDRESS, HASH

revision = "0016"  # created 2026-12-07
down_revision = "0015"


def upgrade() -> None:
    """Create the ``private_identifier`` table and its look-up index."""
    op.create_table(
        "private_identifier",
        sa.Column("commitment", HASH, nullable=False),
        sa.Column("identifier_type", sa.String(length=16), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("salt", HASH, nullable=False),
        sa.Column("holder_address", ADDRESS, nullable=False),
        sa.Column("fingerprint", HASH, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("commitment"),
    )
    op.create_index(
        "ix_private_identifier_holder",
        "private_identifier",
        ["identifier_type", "identifier", "holder_address", "fingerprint"],
    )


def downgrade() -> None:
    """Drop the table (the full identifiers go with it: keep a backup)."""
    op.drop_index("ix_private_identifier_holder", table_name="private_identifier")
    op.drop_table("private_identifier")
