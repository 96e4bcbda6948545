"""Service data: off-chain documents addressed by the SHA-256 the chain records; registrar names."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import HASH

revision = "0002"  # created 2026-11-22
down_revision = "0001"


def upgrade() -> None:
    """Create the ``document`` and ``registrar_profile`` tables."""
    op.create_table(
        "document",
        sa.Column("hash", HASH, nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hash"),
    )
    op.create_table(
        "registrar_profile",
        sa.Column("code", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )


def downgrade() -> None:
    """Drop the service tables."""
    op.drop_table("registrar_profile")
    op.drop_table("document")
