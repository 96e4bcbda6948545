"""What the table modules of :mod:`registry.db.models` share: column sizes, the UTC datetime
type, the key columns most tables start with, and the foreign keys and indexes they repeat."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    ForeignKeyConstraint,
    Index,
    Integer,
    Table,
    TypeDecorator,
)
from sqlmodel import Field, SQLModel

HASH_LENGTH = 66  # "0x" + 64 hex digits
ADDRESS_LENGTH = 42  # "0x" + 40 hex digits
REGISTRAR_NAME_LENGTH = 200
FACT_LENGTH = 200  # ShortText in registry.domain.registration
#: Decimal digits of the largest ``uint128`` (amounts) and ``uint64`` (bit sets), which do not
#: fit a signed 64-bit integer column: they are stored as decimal text, exactly.
UINT128_DIGITS = 39
UINT64_DIGITS = 20


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


class ChainKey(SQLModel):
    """The first key column of every table of the mirror: the chain the row belongs to."""

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)


class EventKey(ChainKey):
    """Key of a row that one log creates: that log's position ``(chain_id, block_number,
    log_index)`` on chain."""

    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(sa_type=Integer, primary_key=True)


class CertificateKey(ChainKey):
    """Key of a row about one registration (= certificate): ``(chain_id, token_id)``."""

    token_id: int = Field(sa_type=BigInteger, primary_key=True)


class RecordKey(ChainKey):
    """Key of a record the contract numbers itself (registration, pledge, licence, valuation):
    ``(chain_id, id)``."""

    id: int = Field(sa_type=BigInteger, primary_key=True)


def cascade_fk(
    name: str, columns: list[str], referred: str, referred_columns: list[str]
) -> ForeignKeyConstraint:
    """``columns`` -> ``referred(referred_columns)``; deleting the referred row deletes this one."""
    return ForeignKeyConstraint(
        columns,
        [f"{referred}.{column}" for column in referred_columns],
        name=name,
        ondelete="CASCADE",
    )


def raw_event_fk(block: str, log_index: str, name: str) -> ForeignKeyConstraint:
    """``(chain_id, block, log_index)`` -> the raw event at that position, cascading deletes."""
    return cascade_fk(
        name, ["chain_id", block, log_index], "raw_event", ["chain_id", "block_number", "log_index"]
    )


def registration_fk(name: str, column: str = "token_id") -> ForeignKeyConstraint:
    """``(chain_id, column)`` -> the registration (= certificate) it is about."""
    return cascade_fk(name, ["chain_id", column], "registration", ["chain_id", "id"])


def certificate_event_args(
    table: str, block: str, log_index: str
) -> tuple[ForeignKeyConstraint, ForeignKeyConstraint, Index]:
    """How a table of records about a certificate, each created by one event at ``(chain_id,
    block, log_index)``, starts its ``__table_args__``: the record goes with its raw event and
    with the registration, and ``ix_<table>_token`` finds a certificate's records."""
    return (
        raw_event_fk(block, log_index, f"fk_{table}_raw_event"),
        registration_fk(f"fk_{table}_registration"),
        Index(f"ix_{table}_token", "chain_id", "token_id"),
    )


def position_index(table: str, prefix: str) -> Index:
    """Index ``ix_<table>_<prefix>`` on ``(chain_id, <prefix>_block, <prefix>_log_index)``:
    finds the rows that the events of a block range created or last changed (what a rollback
    must undo)."""
    return Index(f"ix_{table}_{prefix}", "chain_id", f"{prefix}_block", f"{prefix}_log_index")


def table_of(model: type[SQLModel]) -> Table:
    """The Core :class:`~sqlalchemy.Table` of a table model (for bulk statements)."""
    return SQLModel.metadata.tables[str(model.__tablename__)]
