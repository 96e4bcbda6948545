"""The statistics cache: one row of small integers per certificate, the labels they refer to,
and the block it is current to."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import bigints, columns_of

revision = "0011"  # created 2026-11-22
down_revision = "0010"


def upgrade() -> None:
    """Create ``report_label``, ``report_certificate`` and ``report_state`` (empty: the first
    report fills them)."""
    op.create_table(
        "report_label",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("text"),
    )
    op.create_table(
        "report_certificate",
        *bigints("chain_id", "token_id"),
        *columns_of(sa.Integer(), "industry", "category", "region", nullable=True),
        *columns_of(sa.Integer(), "level", "kind", "status"),
        sa.Column("valid_until", sa.BigInteger(), nullable=True),
        *columns_of(sa.Integer(), "registrar", "accounting_class"),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        *columns_of(sa.Integer(), "issued_month", "currency", nullable=True),
        sa.Column("value", sa.String(length=39), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "token_id"),
    )
    op.create_table(
        "report_state",
        *bigints("chain_id", "block"),
        *columns_of(sa.Integer(), "rollbacks", "facts"),
        sa.PrimaryKeyConstraint("chain_id"),
    )


def downgrade() -> None:
    """Drop the statistics cache."""
    op.drop_table("report_state")
    op.drop_table("report_certificate")
    op.drop_table("report_label")
