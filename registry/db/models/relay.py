"""The operator's spending (service data): one row per transaction the operator paid for on a
party's behalf, kept for the rolling hour the relay quotas count over
(:mod:`registry.relay.quota`). Not part of the mirror; a rollback never touches it."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, Integer, String
from sqlmodel import Field, SQLModel

from registry.db.models.base import ADDRESS_LENGTH, HASH_LENGTH, UTCDateTime


class RelayUsage(SQLModel, table=True):
    """A transaction the operator paid for (or has reserved the right to pay for, while it is
    being sent): who it was for (``party``: the forward request's signer, the anchorer, the
    applicant, the pledgor), what it did (``action``: ``Contract.function``), when, and its hash
    once sent."""

    __tablename__: ClassVar[str] = "relay_usage"
    __table_args__ = (
        Index("ix_relay_usage_party", "party", "spent_at"),
        Index("ix_relay_usage_spent_at", "spent_at"),
    )

    id: int | None = Field(default=None, sa_type=Integer, primary_key=True)
    party: str = Field(sa_type=String(ADDRESS_LENGTH))
    action: str = Field(sa_type=String(100))
    spent_at: datetime = Field(sa_type=UTCDateTime)
    tx_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
