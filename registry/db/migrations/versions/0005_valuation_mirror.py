"""Mirror of valuations: appraisers, valuations, accounting classes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASH = sa.String(length=66)
ADDRESS = sa.String(length=42)
WHEN = sa.DateTime(timezone=True)


def _registration_fk(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["chain_id", "token_id"],
        ["registration.chain_id", "registration.id"],
        name=name,
        ondelete="CASCADE",
    )


def _last() -> list[sa.Column[int]]:
    return [
        sa.Column("last_block", sa.BigInteger(), nullable=False),
        sa.Column("last_log_index", sa.Integer(), nullable=False),
    ]


#: (table, index, columns) of every index this revision creates.
INDEXES: list[tuple[str, str, list[str]]] = [
    ("appraiser", "ix_appraiser_last", ["chain_id", "last_block", "last_log_index"]),
    ("valuation", "ix_valuation_token", ["chain_id", "token_id"]),
    ("valuation", "ix_valuation_appraiser", ["appraiser"]),
    ("valuation", "ix_valuation_last", ["chain_id", "last_block", "last_log_index"]),
    ("accounting_class", "ix_accounting_class_last", ["chain_id", "last_block", "last_log_index"]),
]

TABLES = ("appraiser", "valuation", "accounting_class")


def upgrade() -> None:
    """Create the three tables of the valuation mirror and their indexes."""
    op.create_table(
        "appraiser",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("accredited", sa.Boolean(), nullable=False),
        sa.Column("accredited_at", WHEN, nullable=False),
        sa.Column("accreditation_hash", HASH, nullable=False),
        sa.Column("accredited_by", ADDRESS, nullable=False),
        sa.Column("removed_at", WHEN, nullable=True),
        sa.Column("removed_by", ADDRESS, nullable=True),
        sa.Column("removal_reason_hash", HASH, nullable=True),
        *_last(),
        sa.PrimaryKeyConstraint("chain_id", "address"),
    )
    op.create_table(
        "valuation",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("appraiser", ADDRESS, nullable=False),
        sa.Column("asset_version", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=39), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("value_type", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("base_date", WHEN, nullable=False),
        sa.Column("submitted_at", WHEN, nullable=False),
        sa.Column("report_hash", HASH, nullable=False),
        sa.Column("facts_hash", HASH, nullable=True),
        sa.Column("report_uri", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("withdrawn_at", WHEN, nullable=True),
        sa.Column("withdraw_reason_hash", HASH, nullable=True),
        sa.Column("submitted_block", sa.BigInteger(), nullable=False),
        sa.Column("submitted_log_index", sa.Integer(), nullable=False),
        sa.Column("submitted_tx_hash", HASH, nullable=False),
        *_last(),
        sa.ForeignKeyConstraint(
            ["chain_id", "submitted_block", "submitted_log_index"],
            ["raw_event.chain_id", "raw_event.block_number", "raw_event.log_index"],
            name="fk_valuation_raw_event",
            ondelete="CASCADE",
        ),
        _registration_fk("fk_valuation_registration"),
        sa.PrimaryKeyConstraint("chain_id", "id"),
    )
    op.create_table(
        "accounting_class",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("accounting_class", sa.String(length=24), nullable=False),
        sa.Column("holder", ADDRESS, nullable=False),
        sa.Column("set_at", WHEN, nullable=False),
        *_last(),
        _registration_fk("fk_accounting_class_registration"),
        sa.PrimaryKeyConstraint("chain_id", "token_id"),
    )
    for table, index, columns in INDEXES:
        op.create_index(index, table, columns, unique=False)


def downgrade() -> None:
    """Drop the valuation mirror (it can be rebuilt from the chain)."""
    for table, index, _ in reversed(INDEXES):
        op.drop_index(index, table_name=table)
    for table in reversed(TABLES):
        op.drop_table(table)
