"""Migration 0009: ``raw_event.token_id`` filled for the events mirrored before
it, by the rule the store follows (:func:`registry.indexer.decode.record_asset`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import inspect

from registry.db.engine import alembic_config, make_engine

CHAIN = 31337
RAW = sa.table(
    "raw_event",
    sa.column("chain_id", sa.BigInteger),
    sa.column("block_number", sa.BigInteger),
    sa.column("log_index", sa.Integer),
    sa.column("block_hash", sa.String),
    sa.column("tx_hash", sa.String),
    sa.column("address", sa.String),
    sa.column("contract", sa.String),
    sa.column("event", sa.String),
    sa.column("topic0", sa.String),
    sa.column("topics", sa.JSON),
    sa.column("data", sa.Text),
    sa.column("args", sa.JSON),
)
BLOCK = sa.table(
    "block",
    sa.column("chain_id", sa.BigInteger),
    sa.column("number", sa.BigInteger),
    sa.column("hash", sa.String),
    sa.column("parent_hash", sa.String),
    sa.column("timestamp", sa.BigInteger),
)

#: (contract, event, args) of the events mirrored before the migration, and the asset each names.
EVENTS: list[tuple[str | None, str | None, dict[str, Any] | None, int | None]] = [
    ("EvidenceRegistry", "EvidenceAnchored", {"fingerprint": "0x" + "ab" * 32}, None),
    ("DataAssetRegistry", "RegistrarConfigured", {"code": 440, "active": True}, None),
    ("DataAssetRegistry", "ApplicationSubmitted", {"id": 7, "applicant": "0x" + "11" * 20}, 7),
    ("DataAssetRegistry", "StandingGranted", {"id": 7, "party": "0x" + "12" * 20}, 7),
    ("DataAssetRegistry", "ObjectionRuled", {"objectionId": 2, "id": 7, "upheld": False}, 7),
    ("TransferAgent", "CertificateTransferred", {"tokenId": 7, "reason": 1}, 7),
    ("TransferAgent", "PledgeConsentUsed", {"pledgeId": 3, "tokenId": 9}, 9),
    ("TransferAgent", "PartyCountrySet", {"party": "0x" + "13" * 20, "country": "0x5553"}, None),
    ("LicenceRegistry", "LicenceTerminated", {"licenceId": 4, "tokenId": 9}, 9),
    ("ValuationRegistry", "AppraiserAccredited", {"appraiser": "0x" + "14" * 20}, None),
    ("ValuationRegistry", "ValuationWithdrawn", {"valuationId": 5, "tokenId": 7}, 7),
    ("ValuationRegistry", "AccountingClassSet", {"tokenId": 9, "accountingClass": 1}, 9),
    # an event the store makes no record of, even with a tokenId, and an undecoded log
    ("DataAssetRegistry", "Transfer", {"from": "0x" + "00" * 20, "tokenId": 7}, None),
    (None, None, None, None),
]


def test_the_migration_names_the_asset_of_every_mirrored_event(
    database_url: str,
) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0008")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(BLOCK),
                {
                    "chain_id": CHAIN,
                    "number": 1,
                    "hash": "0x01",
                    "parent_hash": "0x00",
                    "timestamp": 1,
                },
            )
            connection.execute(
                sa.insert(RAW),
                [
                    {
                        "chain_id": CHAIN,
                        "block_number": 1,
                        "log_index": index,
                        "block_hash": "0x01",
                        "tx_hash": "0x02",
                        "address": "0x" + "99" * 20,
                        "contract": contract,
                        "event": event,
                        "topic0": None,
                        "topics": [],
                        "data": "0x",
                        "args": args,
                    }
                    for index, (contract, event, args, _) in enumerate(EVENTS)
                ],
            )
        command.upgrade(config, "0009")
        with engine.connect() as connection:
            got = connection.execute(
                sa.text("SELECT log_index, token_id FROM raw_event ORDER BY log_index")
            ).all()
        assert [token for _, token in got] == [token for *_, token in EVENTS]
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("raw_event")}
        assert indexes["ix_raw_event_token"] == [
            "chain_id",
            "token_id",
            "block_number",
            "log_index",
        ]
        command.downgrade(config, "0008")
        columns = {c["name"] for c in inspect(engine).get_columns("raw_event")}
        assert "token_id" not in columns
        assert "ix_raw_event_token" not in {
            i["name"] for i in inspect(engine).get_indexes("raw_event")
        }
    finally:
        engine.dispose()
