"""The mirror's history and reorg journal: the batches not yet final with their undo entries
(``mirror_batch``, ``mirror_undo``), every version of every derived row (``row_version``) and
the permanent record of rollbacks (``reorg_rollback``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlmodel import Field, SQLModel

from registry.db.models.base import (
    HASH_LENGTH,
    ChainKey,
    EventKey,
    UTCDateTime,
    cascade_fk,
)


class BatchKey(ChainKey):
    """Key of a batch: the chain and the last block it applied."""

    to_block: int = Field(sa_type=BigInteger, primary_key=True)


class MirrorBatch(BatchKey, table=True):
    """A batch of blocks not yet final that the mirror applied, kept (with its undo entries) so
    a reorganisation can be rolled back; pruned once its last block is final."""

    __tablename__: ClassVar[str] = "mirror_batch"

    from_block: int = Field(sa_type=BigInteger)
    tip_hash: str = Field(sa_type=String(HASH_LENGTH))
    tip_parent_hash: str = Field(sa_type=String(HASH_LENGTH))
    base_hash: str | None = Field(
        default=None, sa_type=String(HASH_LENGTH), description="hash of block from_block - 1"
    )
    stored_at: datetime = Field(sa_type=UTCDateTime)


class MirrorUndo(BatchKey, table=True):
    """How to undo one write of a batch: delete the row (``prior`` null) or put ``prior`` back."""

    __tablename__: ClassVar[str] = "mirror_undo"
    __table_args__ = (
        cascade_fk(
            "fk_mirror_undo_batch",
            ["chain_id", "to_block"],
            "mirror_batch",
            ["chain_id", "to_block"],
        ),
    )

    seq: int = Field(sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False})
    table_name: str = Field(sa_type=String(64))
    row_key: dict[str, Any] = Field(sa_type=JSON)
    prior: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class RowVersion(EventKey, table=True):
    """The state of one derived row after each event that changed it: the mirror's history, so
    it can answer "as of" any block (the latest version at or before that block)."""

    __tablename__: ClassVar[str] = "row_version"
    __table_args__ = (
        Index("ix_row_version_lookup", "chain_id", "table_name", "row_key", "block_number"),
        Index("ix_row_version_block", "chain_id", "block_number"),
    )

    table_name: str = Field(sa_type=String(64), primary_key=True)
    row_key: str = Field(sa_type=String(200), primary_key=True, description="canonical JSON")
    image: dict[str, Any] = Field(sa_type=JSON)


class ReorgRollback(SQLModel, table=True):
    """Permanent record of every rollback of the mirror after a chain reorganisation."""

    __tablename__: ClassVar[str] = "reorg_rollback"

    id: int | None = Field(default=None, sa_type=Integer, primary_key=True)
    chain_id: int = Field(sa_type=BigInteger, index=True)
    detected_at: datetime = Field(sa_type=UTCDateTime)
    mirrored_block: int = Field(sa_type=BigInteger, description="the mirror's head before")
    mirrored_hash: str = Field(sa_type=String(HASH_LENGTH))
    chain_hash: str | None = Field(
        default=None, sa_type=String(HASH_LENGTH), description="the chain's hash of that block"
    )
    restored_block: int = Field(sa_type=BigInteger, description="the mirror's head after")
    restored_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    depth: int = Field(sa_type=BigInteger, description="blocks rolled back")
    batches_undone: int = Field(sa_type=Integer)
    rows_restored: int = Field(sa_type=Integer, description="derived rows deleted or put back")
    raw_events_removed: int = Field(sa_type=Integer)
