"""Contracts v2, DataAssetRegistry: who issued a certificate, who ended it, and the ruling
recorded when a pledged or frozen certificate was revoked; ``status`` may now be ``expired``
(stored once someone closed the expired certificate)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import ADDRESS, HASH

revision = "0012"  # created 2026-12-07
down_revision = "0011"


def upgrade() -> None:
    """Add ``registration.issued_by``, ``ended_by`` and ``end_ruling_hash`` (all nullable)."""
    with op.batch_alter_table("registration") as batch:
        batch.add_column(sa.Column("issued_by", ADDRESS, nullable=True))
        batch.add_column(sa.Column("ended_by", ADDRESS, nullable=True))
        batch.add_column(sa.Column("end_ruling_hash", HASH, nullable=True))


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("registration") as batch:
        batch.drop_column("end_ruling_hash")
        batch.drop_column("ended_by")
        batch.drop_column("issued_by")
