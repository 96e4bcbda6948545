"""Mirror of valuations: appraisers, valuations, accounting classes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import (
    ADDRESS,
    HASH,
    WHEN,
    bigints,
    columns_of,
    position,
    raw_event_fk,
    registration_fk,
)

revision = "0005"  # created 2026-11-24
down_revision = "0004"

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
        *bigints("chain_id"),
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("accredited", sa.Boolean(), nullable=False),
        sa.Column("accredited_at", WHEN, nullable=False),
        sa.Column("accreditation_hash", HASH, nullable=False),
        sa.Column("accredited_by", ADDRESS, nullable=False),
        sa.Column("removed_at", WHEN, nullable=True),
        sa.Column("removed_by", ADDRESS, nullable=True),
        sa.Column("removal_reason_hash", HASH, nullable=True),
        *position("last"),
        sa.PrimaryKeyConstraint("chain_id", "address"),
    )
    op.create_table(
        "valuation",
        *bigints("chain_id", "id", "token_id"),
        sa.Column("appraiser", ADDRESS, nullable=False),
        sa.Column("asset_version", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=39), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("value_type", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        *columns_of(WHEN, "base_date", "submitted_at"),
        sa.Column("report_hash", HASH, nullable=False),
        sa.Column("facts_hash", HASH, nullable=True),
        sa.Column("report_uri", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("withdrawn_at", WHEN, nullable=True),
        sa.Column("withdraw_reason_hash", HASH, nullable=True),
        *position("submitted", tx_hash=True),
        *position("last"),
        raw_event_fk("submitted_block", "submitted_log_index", "fk_valuation_raw_event"),
        registration_fk("fk_valuation_registration"),
        sa.PrimaryKeyConstraint("chain_id", "id"),
    )
    op.create_table(
        "accounting_class",
        *bigints("chain_id", "token_id"),
        sa.Column("accounting_class", sa.String(length=24), nullable=False),
        sa.Column("holder", ADDRESS, nullable=False),
        sa.Column("set_at", WHEN, nullable=False),
        *position("last"),
        registration_fk("fk_accounting_class_registration"),
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
