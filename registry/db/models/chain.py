"""The chain itself as the mirror holds it: how far it reaches (``indexer_cursor``), the
headers of the blocks with registry logs (``block``), those logs (``raw_event``) and the
evidence they anchored (``evidence``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from registry.db.models.base import (
    ADDRESS_LENGTH,
    HASH_LENGTH,
    ChainKey,
    EventKey,
    UTCDateTime,
    cascade_fk,
    raw_event_fk,
)


class IndexerCursor(SQLModel, table=True):
    """How far the mirror of one chain reaches: every block up to ``last_block`` is indexed."""

    __tablename__: ClassVar[str] = "indexer_cursor"

    chain_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    last_block: int = Field(sa_type=BigInteger)
    last_block_hash: str = Field(sa_type=String(HASH_LENGTH))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Block(ChainKey, table=True):
    """Header of a block that holds at least one registry log."""

    __tablename__: ClassVar[str] = "block"

    number: int = Field(sa_type=BigInteger, primary_key=True)
    hash: str = Field(sa_type=String(HASH_LENGTH))
    parent_hash: str = Field(sa_type=String(HASH_LENGTH))
    timestamp: int = Field(sa_type=BigInteger, description="block timestamp, unix seconds")


class RawEvent(EventKey, table=True):
    """One registry log, verbatim, with its decoding when the ABIs know the event."""

    __tablename__: ClassVar[str] = "raw_event"
    __table_args__ = (
        cascade_fk(
            "fk_raw_event_block", ["chain_id", "block_number"], "block", ["chain_id", "number"]
        ),
        Index("ix_raw_event_address_topic0", "address", "topic0"),
        # an asset's events in chain order, one range scan (the provenance timeline)
        Index("ix_raw_event_token", "chain_id", "token_id", "block_number", "log_index"),
    )

    block_hash: str = Field(sa_type=String(HASH_LENGTH))
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    address: str = Field(sa_type=String(ADDRESS_LENGTH))
    contract: str | None = Field(default=None, sa_type=String(64))
    event: str | None = Field(default=None, sa_type=String(128))
    topic0: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    topics: list[str] = Field(sa_type=JSON)
    data: str = Field(sa_type=Text, description="0x-prefixed hex of the log's data")
    args: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    token_id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        description="the asset (registration / certificate id) the event's record names",
    )


class Evidence(SQLModel, table=True):
    """One account's anchor of a fingerprint, derived from its ``EvidenceAnchored`` log (each
    account anchors a fingerprint at most once; the earliest row is the first anchor)."""

    __tablename__: ClassVar[str] = "evidence"
    __table_args__ = (
        raw_event_fk("block_number", "log_index", "fk_evidence_raw_event"),
        Index("ix_evidence_anchorer", "anchorer", "block_number", "log_index"),
        Index("ix_evidence_position", "chain_id", "block_number", "log_index"),
    )

    fingerprint: str = Field(sa_type=String(HASH_LENGTH), primary_key=True)
    anchorer: str = Field(sa_type=String(ADDRESS_LENGTH), primary_key=True)
    relayer: str = Field(sa_type=String(ADDRESS_LENGTH))
    anchored_at: datetime = Field(sa_type=UTCDateTime)
    block_number: int = Field(sa_type=BigInteger)
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    log_index: int = Field(sa_type=Integer)
    chain_id: int = Field(sa_type=BigInteger)
