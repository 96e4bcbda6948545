"""Mirror of the registration lifecycle: registrations, asset versions, objections, registrars."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import (
    ADDRESS,
    HASH,
    bigints,
    columns_of,
    position,
    raw_event_fk,
    registration_fk,
)

revision = "0003"  # created 2026-11-23
down_revision = "0002"


def upgrade() -> None:
    """Create the five tables of the registration mirror and their indexes."""
    op.create_table(
        "registrar",
        *bigints("chain_id"),
        sa.Column("code", sa.Integer(), nullable=False),
        *columns_of(sa.Boolean(), "active", "objections_open_to_all", "evidence_required"),
        sa.Column("notice_period", sa.BigInteger(), nullable=False),
        *position("updated"),
        sa.PrimaryKeyConstraint("chain_id", "code"),
    )
    op.create_index(
        "ix_registrar_updated", "registrar", ["chain_id", "updated_block", "updated_log_index"]
    )
    op.create_table(
        "registrar_account",
        *bigints("chain_id"),
        sa.Column("account", ADDRESS, nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        *position("updated"),
        sa.PrimaryKeyConstraint("chain_id", "account"),
    )
    op.create_index("ix_registrar_account_code", "registrar_account", ["chain_id", "code"])
    op.create_index(
        "ix_registrar_account_updated",
        "registrar_account",
        ["chain_id", "updated_block", "updated_log_index"],
    )
    op.create_table(
        "registration",
        *bigints("chain_id", "id"),
        sa.Column("registration_number", sa.String(length=16), nullable=False),
        sa.Column("holder", ADDRESS, nullable=False),
        sa.Column("registrar_code", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rights", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        *columns_of(sa.Integer(), "data_source", "applicant_type"),
        sa.Column("source_agreement_end", sa.BigInteger(), nullable=True),
        *columns_of(HASH, "fingerprint", "metadata_hash"),
        sa.Column("parents", sa.JSON(), nullable=False),
        sa.Column("relayer", ADDRESS, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        *columns_of(
            sa.DateTime(timezone=True),
            "notice_start",
            "notice_end",
            "issued_at",
            "valid_until",
            nullable=True,
        ),
        sa.Column("certificate_number", sa.String(length=17), nullable=True),
        *columns_of(sa.Integer(), "version", "open_objections"),
        *position("submitted", tx_hash=True),
        *position("last"),
        raw_event_fk("submitted_block", "submitted_log_index", "fk_registration_raw_event"),
        sa.PrimaryKeyConstraint("chain_id", "id"),
    )
    op.create_index("ix_registration_holder", "registration", ["holder"])
    op.create_index("ix_registration_status", "registration", ["status"])
    op.create_index("ix_registration_registrar_code", "registration", ["registrar_code"])
    op.create_index(
        "ux_registration_certificate_number", "registration", ["certificate_number"], unique=True
    )
    op.create_index(
        "ux_registration_registration_number", "registration", ["registration_number"], unique=True
    )
    op.create_index(
        "ix_registration_submitted",
        "registration",
        ["chain_id", "submitted_block", "submitted_log_index"],
    )
    op.create_index(
        "ix_registration_last", "registration", ["chain_id", "last_block", "last_log_index"]
    )
    op.create_table(
        "asset_version",
        *bigints("chain_id", "registration_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        *columns_of(HASH, "fingerprint", "metadata_hash"),
        sa.Column("correction", sa.Boolean(), nullable=False),
        sa.Column("changed_by", ADDRESS, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", HASH, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        raw_event_fk("block_number", "log_index", "fk_asset_version_raw_event"),
        registration_fk("fk_asset_version_registration", "registration_id"),
        sa.PrimaryKeyConstraint("chain_id", "registration_id", "version"),
    )
    op.create_index(
        "ix_asset_version_position", "asset_version", ["chain_id", "block_number", "log_index"]
    )
    op.create_table(
        "objection",
        *bigints("chain_id", "objection_id", "registration_id"),
        sa.Column("objector", ADDRESS, nullable=False),
        sa.Column("evidence_hash", HASH, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_tx_hash", HASH, nullable=False),
        *position("filed"),
        sa.Column("ruled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ruling_reason_hash", HASH, nullable=True),
        sa.Column("ruled_by", ADDRESS, nullable=True),
        sa.Column("ruled_block", sa.BigInteger(), nullable=True),
        sa.Column("ruled_log_index", sa.Integer(), nullable=True),
        raw_event_fk("filed_block", "filed_log_index", "fk_objection_raw_event"),
        registration_fk("fk_objection_registration", "registration_id"),
        sa.PrimaryKeyConstraint("chain_id", "objection_id"),
    )
    op.create_index("ix_objection_registration", "objection", ["chain_id", "registration_id"])
    op.create_index(
        "ix_objection_filed", "objection", ["chain_id", "filed_block", "filed_log_index"]
    )
    op.create_index(
        "ix_objection_ruled", "objection", ["chain_id", "ruled_block", "ruled_log_index"]
    )


def downgrade() -> None:
    """Drop the registration mirror (it can be rebuilt from the chain)."""
    op.drop_index("ix_objection_ruled", table_name="objection")
    op.drop_index("ix_objection_filed", table_name="objection")
    op.drop_index("ix_objection_registration", table_name="objection")
    op.drop_table("objection")
    op.drop_index("ix_asset_version_position", table_name="asset_version")
    op.drop_table("asset_version")
    for index in (
        "ix_registration_last",
        "ix_registration_submitted",
        "ux_registration_registration_number",
        "ux_registration_certificate_number",
        "ix_registration_registrar_code",
        "ix_registration_status",
        "ix_registration_holder",
    ):
        op.drop_index(index, table_name="registration")
    op.drop_table("registration")
    op.drop_index("ix_registrar_account_updated", table_name="registrar_account")
    op.drop_index("ix_registrar_account_code", table_name="registrar_account")
    op.drop_table("registrar_account")
    op.drop_index("ix_registrar_updated", table_name="registrar")
    op.drop_table("registrar")
