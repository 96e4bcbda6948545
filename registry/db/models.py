"""Tables of the chain mirror (SQLModel).

The chain is the source of truth; these tables are a rebuildable, queryable copy of it.

* ``indexer_cursor``: per chain, the last block fully mirrored and its hash.
* ``block``: headers of the blocks that hold registry logs (and only those).
* ``raw_event``: every registry log as the node returned it, plus its decoding, keyed by its
  position on chain ``(chain_id, block_number, log_index)``.
* ``evidence``: one row per anchored fingerprint, derived from ``EvidenceAnchored``.

Derived rows reference their raw event, and raw events their block, with ``ON DELETE CASCADE``:
rolling back a block range later (reorg handling) is one ``DELETE FROM block``.

Hashes and fingerprints are ``0x``-prefixed lowercase hex strings; addresses are EIP-55
checksummed strings, as :mod:`registry.chain` produces them. Datetimes are timezone-aware and
stored in UTC. The schema itself is created and changed only by the Alembic migrations under
``registry/db/migrations``; a test checks that they agree with these models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlmodel import Field, SQLModel

HASH_LENGTH = 66  # "0x" + 64 hex digits
ADDRESS_LENGTH = 42  # "0x" + 40 hex digits


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC and read back as UTC on every backend.

    SQLite keeps no offset, so values are normalised to UTC before they are written and the
    UTC zone is attached again when they are read. Naive datetimes are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach a timezone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(
        self,
        value: Any | None,
        dialect: Dialect,  # noqa: ARG002 (the signature is SQLAlchemy's)
    ) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class IndexerCursor(SQLModel, table=True):
    """How far the mirror of one chain reaches: every block up to ``last_block`` is indexed."""

    __tablename__: ClassVar[str] = "indexer_cursor"

    chain_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    last_block: int = Field(sa_type=BigInteger)
    last_block_hash: str = Field(sa_type=String(HASH_LENGTH))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Block(SQLModel, table=True):
    """Header of a block that holds at least one registry log."""

    __tablename__: ClassVar[str] = "block"

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    number: int = Field(sa_type=BigInteger, primary_key=True)
    hash: str = Field(sa_type=String(HASH_LENGTH))
    parent_hash: str = Field(sa_type=String(HASH_LENGTH))
    timestamp: int = Field(sa_type=BigInteger, description="block timestamp, unix seconds")


class RawEvent(SQLModel, table=True):
    """One registry log, verbatim, with its decoding when the ABIs know the event."""

    __tablename__: ClassVar[str] = "raw_event"
    __table_args__ = (
        ForeignKeyConstraint(
            ["chain_id", "block_number"],
            ["block.chain_id", "block.number"],
            name="fk_raw_event_block",
            ondelete="CASCADE",
        ),
        Index("ix_raw_event_tx_hash", "tx_hash"),
        Index("ix_raw_event_address_topic0", "address", "topic0"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(sa_type=Integer, primary_key=True)
    block_hash: str = Field(sa_type=String(HASH_LENGTH))
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    address: str = Field(sa_type=String(ADDRESS_LENGTH))
    contract: str | None = Field(default=None, sa_type=String(64))
    event: str | None = Field(default=None, sa_type=String(128))
    topic0: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    topics: list[str] = Field(sa_type=JSON)
    data: str = Field(sa_type=Text, description="0x-prefixed hex of the log's data")
    args: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class Evidence(SQLModel, table=True):
    """An anchored fingerprint, derived from its ``EvidenceAnchored`` log."""

    __tablename__: ClassVar[str] = "evidence"
    __table_args__ = (
        ForeignKeyConstraint(
            ["chain_id", "block_number", "log_index"],
            ["raw_event.chain_id", "raw_event.block_number", "raw_event.log_index"],
            name="fk_evidence_raw_event",
            ondelete="CASCADE",
        ),
        Index("ix_evidence_anchorer", "anchorer", "block_number", "log_index"),
        Index("ix_evidence_position", "chain_id", "block_number", "log_index"),
    )

    fingerprint: str = Field(sa_type=String(HASH_LENGTH), primary_key=True)
    anchorer: str = Field(sa_type=String(ADDRESS_LENGTH))
    relayer: str = Field(sa_type=String(ADDRESS_LENGTH))
    anchored_at: datetime = Field(sa_type=UTCDateTime)
    block_number: int = Field(sa_type=BigInteger)
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    log_index: int = Field(sa_type=Integer)
    chain_id: int = Field(sa_type=BigInteger)


class Document(SQLModel, table=True):
    """Off-chain documents whose SHA-256 is on chain (certificate metadata, reasons, evidence).

    Not part of the mirror: the chain holds only the hash, so these rows are the service's own
    data and are never rolled back by the indexer. ``hash`` is the SHA-256 of ``body``.
    """

    __tablename__: ClassVar[str] = "document"

    hash: str = Field(sa_type=String(HASH_LENGTH), primary_key=True)
    media_type: str = Field(sa_type=String(100))
    body: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(sa_type=UTCDateTime)


class RegistrarProfile(SQLModel, table=True):
    """The public name of a registration agency, by its registrar code (service data).

    The contract knows registrars by code and policy; certificates also show their name.
    """

    __tablename__: ClassVar[str] = "registrar_profile"

    code: int = Field(sa_column_kwargs={"autoincrement": False}, sa_type=Integer, primary_key=True)
    name: str = Field(sa_type=String(200))
    region: str | None = Field(default=None, sa_type=String(6))
    updated_at: datetime = Field(sa_type=UTCDateTime)


def table_of(model: type[SQLModel]) -> Table:
    """The Core :class:`~sqlalchemy.Table` of a table model (for bulk statements)."""
    return SQLModel.metadata.tables[str(model.__tablename__)]


cursor_table = table_of(IndexerCursor)
block_table = table_of(Block)
raw_event_table = table_of(RawEvent)
evidence_table = table_of(Evidence)
document_table = table_of(Document)
registrar_profile_table = table_of(RegistrarProfile)

#: Every table of the mirror, in an order safe for inserts (referenced tables first).
MIRROR_TABLES: tuple[Table, ...] = (cursor_table, block_table, raw_event_table, evidence_table)
