"""Mirror of rights over certificates: transfers, pledges, freezes, licences, approvals."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import (
    ADDRESS,
    HASH,
    WHEN,
    bigints,
    columns_of,
    event_key,
    position,
    raw_event_fk,
    registration_fk,
)

revision = "0004"  # created 2026-11-22
down_revision = "0003"

#: (table, index, columns, unique) of every index this revision creates.
INDEXES: list[tuple[str, str, list[str], bool]] = [
    ("transfer", "ix_transfer_token", ["chain_id", "token_id"], False),
    ("transfer", "ix_transfer_from", ["from_address"], False),
    ("transfer", "ix_transfer_to", ["to_address"], False),
    ("pledge", "ix_pledge_token", ["chain_id", "token_id"], False),
    ("pledge", "ix_pledge_pledgor", ["pledgor"], False),
    ("pledge", "ix_pledge_pledgee", ["pledgee"], False),
    ("pledge", "ix_pledge_status", ["status"], False),
    ("pledge", "ix_pledge_last", ["chain_id", "last_block", "last_log_index"], False),
    ("pledge_event", "ix_pledge_event_pledge", ["chain_id", "pledge_id"], False),
    ("pledge_event", "ix_pledge_event_token", ["chain_id", "token_id"], False),
    ("freeze", "ix_freeze_last", ["chain_id", "last_block", "last_log_index"], False),
    ("freeze_event", "ix_freeze_event_token", ["chain_id", "token_id"], False),
    ("licence", "ix_licence_token", ["chain_id", "token_id"], False),
    ("licence", "ix_licence_parent", ["chain_id", "parent_id"], False),
    ("licence", "ix_licence_licensee", ["licensee"], False),
    ("licence", "ix_licence_licensor", ["licensor"], False),
    ("licence", "ux_licence_voucher_number", ["voucher_number"], True),
    ("licence", "ix_licence_last", ["chain_id", "last_block", "last_log_index"], False),
    (
        "transfer_approval",
        "ix_transfer_approval_updated",
        ["chain_id", "updated_block", "updated_log_index"],
        False,
    ),
    (
        "cross_border_record",
        "ix_cross_border_record_updated",
        ["chain_id", "updated_block", "updated_log_index"],
        False,
    ),
    (
        "party_country",
        "ix_party_country_updated",
        ["chain_id", "updated_block", "updated_log_index"],
        False,
    ),
]

TABLES = (
    "transfer",
    "pledge",
    "pledge_event",
    "freeze",
    "freeze_event",
    "licence",
    "transfer_approval",
    "cross_border_record",
    "party_country",
)


def upgrade() -> None:
    """Create the nine tables of the rights mirror and their indexes."""
    op.create_table(
        "transfer",
        *event_key(),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        *columns_of(ADDRESS, "from_address", "to_address"),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("document_hash", HASH, nullable=True),
        sa.Column("tx_hash", HASH, nullable=False),
        sa.Column("transferred_at", WHEN, nullable=False),
        raw_event_fk("block_number", "log_index", "fk_transfer_raw_event"),
        registration_fk("fk_transfer_registration"),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_table(
        "pledge",
        *bigints("chain_id", "id", "token_id"),
        *columns_of(ADDRESS, "pledgor", "pledgee"),
        sa.Column("secured_amount", sa.String(length=39), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("loan_ref", HASH, nullable=False),
        *columns_of(WHEN, "registered_at", "maturity"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("relayer", ADDRESS, nullable=False),
        *position("registered", tx_hash=True),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.Column("enforced_to", ADDRESS, nullable=True),
        *position("last"),
        raw_event_fk("registered_block", "registered_log_index", "fk_pledge_raw_event"),
        registration_fk("fk_pledge_registration"),
        sa.PrimaryKeyConstraint("chain_id", "id"),
    )
    op.create_table(
        "pledge_event",
        *event_key(),
        *columns_of(sa.BigInteger(), "pledge_id", "token_id"),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=True),
        sa.Column("party", ADDRESS, nullable=False),
        sa.Column("tx_hash", HASH, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        raw_event_fk("block_number", "log_index", "fk_pledge_event_raw_event"),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_table(
        "freeze",
        *bigints("chain_id", "token_id"),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("since", WHEN, nullable=True),
        sa.Column("frozen_by", ADDRESS, nullable=True),
        sa.Column("case_ref", HASH, nullable=True),
        *position("last"),
        registration_fk("fk_freeze_registration"),
        sa.PrimaryKeyConstraint("chain_id", "token_id"),
    )
    op.create_table(
        "freeze_event",
        *event_key(),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("regulator", ADDRESS, nullable=False),
        *columns_of(HASH, "case_ref", "tx_hash"),
        sa.Column("at", WHEN, nullable=False),
        raw_event_fk("block_number", "log_index", "fk_freeze_event_raw_event"),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_table(
        "licence",
        *bigints("chain_id", "id"),
        sa.Column("voucher_number", sa.String(length=16), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        *columns_of(ADDRESS, "licensor", "licensee"),
        sa.Column("right", sa.String(length=24), nullable=False),
        *columns_of(sa.Boolean(), "exclusive", "sublicensable"),
        *columns_of(sa.String(length=20), "purposes", "territories"),
        *columns_of(WHEN, "granted_at", "start", "end"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("terms_hash", HASH, nullable=False),
        sa.Column("fee_terms_hash", HASH, nullable=True),
        sa.Column("relayer", ADDRESS, nullable=False),
        *position("granted", tx_hash=True),
        sa.Column("terminated_at", WHEN, nullable=True),
        sa.Column("terminated_by", ADDRESS, nullable=True),
        sa.Column("termination_reason_hash", HASH, nullable=True),
        *position("last"),
        raw_event_fk("granted_block", "granted_log_index", "fk_licence_raw_event"),
        registration_fk("fk_licence_registration"),
        sa.PrimaryKeyConstraint("chain_id", "id"),
    )
    for name, extra in (
        (
            "transfer_approval",
            [sa.Column("expiry", WHEN, nullable=True)],
        ),
        (
            "cross_border_record",
            [
                sa.Column("mechanism", sa.String(length=24), nullable=False),
                sa.Column("expiry", WHEN, nullable=True),
                sa.Column("country", sa.String(length=2), nullable=False),
                sa.Column("approval_number_hash", HASH, nullable=False),
            ],
        ),
    ):
        op.create_table(
            name,
            *bigints("chain_id", "token_id"),
            sa.Column("recipient", ADDRESS, nullable=False),
            *extra,
            sa.Column("regulator", ADDRESS, nullable=False),
            *position("updated"),
            sa.PrimaryKeyConstraint("chain_id", "token_id", "recipient"),
        )
    op.create_table(
        "party_country",
        *bigints("chain_id"),
        sa.Column("party", ADDRESS, nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("regulator", ADDRESS, nullable=False),
        *position("updated"),
        sa.PrimaryKeyConstraint("chain_id", "party"),
    )
    for table, index, columns, unique in INDEXES:
        op.create_index(index, table, columns, unique=unique)


def downgrade() -> None:
    """Drop the rights mirror (it can be rebuilt from the chain)."""
    for table, index, _, _ in reversed(INDEXES):
        op.drop_index(index, table_name=table)
    for table in reversed(TABLES):
        op.drop_table(table)
