"""Service data for statistics: the facts of each asset-metadata document (name, industry,
category, region) that reports group certificates by."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import HASH, columns_of

revision = "0008"  # created 2026-11-22
down_revision = "0007"


def upgrade() -> None:
    """Create ``asset_facts`` (empty: it is filled from ``document`` when a report needs it)."""
    op.create_table(
        "asset_facts",
        sa.Column("metadata_hash", HASH, nullable=False),
        sa.Column("readable", sa.Boolean(), nullable=False),
        *columns_of(sa.String(length=200), "name", "industry", "category", nullable=True),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.PrimaryKeyConstraint("metadata_hash"),
    )


def downgrade() -> None:
    """Drop ``asset_facts``."""
    op.drop_table("asset_facts")
