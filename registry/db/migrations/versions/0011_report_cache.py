"""The statistics cache: one row of small integers per certificate, the labels they refer to,
and the block it is current to.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("industry", sa.Integer(), nullable=True),
        sa.Column("category", sa.Integer(), nullable=True),
        sa.Column("region", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=True),
        sa.Column("registrar", sa.Integer(), nullable=False),
        sa.Column("accounting_class", sa.Integer(), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("issued_month", sa.Integer(), nullable=True),
        sa.Column("currency", sa.Integer(), nullable=True),
        sa.Column("value", sa.String(length=39), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "token_id"),
    )
    op.create_table(
        "report_state",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("rollbacks", sa.Integer(), nullable=False),
        sa.Column("facts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id"),
    )


def downgrade() -> None:
    """Drop the statistics cache."""
    op.drop_table("report_state")
    op.drop_table("report_certificate")
    op.drop_table("report_label")
