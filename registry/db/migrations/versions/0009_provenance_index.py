"""Provenance index: ``raw_event.token_id``, the asset an event is about, and its index.

The indexer's store fills ``token_id`` for every registry event whose domain record names an
asset (a registration / certificate id): the registration lifecycle (``id``), and the transfer
agent's, licence registry's and valuation registry's events (``tokenId``). Events of no one
asset (evidence, registrars, parties' countries, appraisers) and events the ABIs do not know
keep ``NULL``. ``ix_raw_event_token`` ``(chain_id, token_id, block_number, log_index)`` serves
an asset's timeline as one range scan in chain order.

Rows mirrored before this revision are filled here from their decoded ``args``, by the same
rule (the list below is frozen with the revision)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"  # created 2026-11-22
down_revision = "0008"

#: (contract, argument naming the asset, events) as the store tags them at this revision.
ASSET_EVENTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "DataAssetRegistry",
        "id",
        (
            "ApplicationSubmitted",
            "ApplicationAccepted",
            "ApplicationReturned",
            "ApplicationResubmitted",
            "ApplicationRejected",
            "NoticeOpened",
            "ObjectionFiled",
            "ObjectionRuled",
            "StandingGranted",
            "CertificateIssued",
            "AssetChanged",
            "CertificateRenewed",
            "CertificateCancelled",
            "CertificateRevoked",
        ),
    ),
    (
        "TransferAgent",
        "tokenId",
        (
            "CertificateTransferred",
            "PledgeRegistered",
            "PledgeReleased",
            "PledgeEnforced",
            "PledgeConsentGranted",
            "PledgeConsentUsed",
            "PledgorChanged",
            "CertificateFrozen",
            "CertificateUnfrozen",
            "TransferApproved",
            "CrossBorderRecorded",
        ),
    ),
    ("LicenceRegistry", "tokenId", ("LicenceGranted", "LicenceTerminated")),
    (
        "ValuationRegistry",
        "tokenId",
        ("ValuationSubmitted", "ValuationWithdrawn", "AccountingClassSet"),
    ),
)


def upgrade() -> None:
    """Add ``raw_event.token_id`` and its index; fill it for the events already mirrored."""
    op.add_column("raw_event", sa.Column("token_id", sa.BigInteger(), nullable=True))
    postgresql = op.get_context().dialect.name == "postgresql"
    for contract, argument, events in ASSET_EVENTS:
        value = (
            f"CAST(args ->> '{argument}' AS BIGINT)"
            if postgresql
            else f"CAST(json_extract(args, '$.{argument}') AS INTEGER)"
        )
        names = ", ".join(f"'{event}'" for event in events)
        op.execute(
            f"UPDATE raw_event SET token_id = {value} "  # noqa: S608 (constants only)
            f"WHERE contract = '{contract}' AND event IN ({names}) AND args IS NOT NULL"
        )
    op.create_index(
        "ix_raw_event_token", "raw_event", ["chain_id", "token_id", "block_number", "log_index"]
    )


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("ix_raw_event_token", table_name="raw_event")
    op.drop_column("raw_event", "token_id")
