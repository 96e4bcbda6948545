"""Contracts v2 (evidence and licences): a fingerprint is anchored once per account, so
``evidence`` keeps one row per (fingerprint, anchorer); a licence ends with its certificate
(``LicencesSettled``), recorded in ``licence.settled_at`` and ``licence.settled_end``."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import ADDRESS, HASH, columns_of, raw_event_fk

revision = "0014"  # created 2026-12-07
down_revision = "0013"

_COLUMNS = "fingerprint, anchorer, relayer, anchored_at, block_number, tx_hash, log_index, chain_id"


def _create_evidence(primary_key: tuple[str, ...]) -> None:
    op.create_table(
        "evidence",
        sa.Column("fingerprint", HASH, nullable=False),
        *columns_of(ADDRESS, "anchorer", "relayer"),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", HASH, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        raw_event_fk("block_number", "log_index", "fk_evidence_raw_event"),
        sa.PrimaryKeyConstraint(*primary_key),
    )
    op.create_index("ix_evidence_anchorer", "evidence", ["anchorer", "block_number", "log_index"])
    op.create_index("ix_evidence_position", "evidence", ["chain_id", "block_number", "log_index"])


def _rebuild_evidence(primary_key: tuple[str, ...], keep: str) -> None:
    """Rebuild ``evidence`` with ``primary_key``, keeping the rows ``keep`` selects from the
    old table (aliased ``o``); portable: copy aside, drop, create, copy back."""
    op.execute(f"CREATE TABLE evidence_copy AS SELECT {_COLUMNS} FROM evidence")  # noqa: S608
    op.drop_index("ix_evidence_position", table_name="evidence")
    op.drop_index("ix_evidence_anchorer", table_name="evidence")
    op.drop_table("evidence")
    _create_evidence(primary_key)
    op.execute(
        f"INSERT INTO evidence ({_COLUMNS}) SELECT {_COLUMNS} FROM evidence_copy o {keep}"  # noqa: S608
    )
    op.drop_table("evidence_copy")


def upgrade() -> None:
    """Key ``evidence`` by (fingerprint, anchorer); add the settlement of licences."""
    _rebuild_evidence(("fingerprint", "anchorer"), "")
    op.add_column("licence", sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("licence", sa.Column("settled_end", sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Drop the settlement columns; keep only each fingerprint's first anchor."""
    op.drop_column("licence", "settled_end")
    op.drop_column("licence", "settled_at")
    first_only = (
        "WHERE NOT EXISTS (SELECT 1 FROM evidence_copy e WHERE e.fingerprint = o.fingerprint "
        "AND (e.block_number < o.block_number OR "
        "(e.block_number = o.block_number AND e.log_index < o.log_index)))"
    )
    _rebuild_evidence(("fingerprint",), first_only)
