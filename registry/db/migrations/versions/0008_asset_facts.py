"""Service data for statistics: the facts of each asset-metadata document (name, industry,
category, region) that reports group certificates by.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``asset_facts`` (empty: it is filled from ``document`` when a report needs it)."""
    op.create_table(
        "asset_facts",
        sa.Column("metadata_hash", sa.String(length=66), nullable=False),
        sa.Column("readable", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("industry", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.PrimaryKeyConstraint("metadata_hash"),
    )


def downgrade() -> None:
    """Drop ``asset_facts``."""
    op.drop_table("asset_facts")
