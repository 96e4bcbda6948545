"""The access log (service data, append-only): one row per state-changing request of the API and
per transaction the service sent outside a request (CLI commands, the demo's seeding).

Rows are only ever inserted: triggers of migration 0016 abort any ``UPDATE``, ``DELETE`` (and, on
PostgreSQL, ``TRUNCATE``) of the table, and no code updates or deletes them. Regulators read it
(``GET /api/v1/regulator/access-log``, ``dareg access-log``).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from registry.db.models.base import ADDRESS_LENGTH, UTCDateTime

#: ``BIGINT`` that autoincrements on SQLite too (there only ``INTEGER PRIMARY KEY`` does).
ENTRY_ID = BigInteger().with_variant(Integer(), "sqlite")


class AccessLogRecord(SQLModel, table=True):
    """One recorded write. ``channel`` is where it came from (``api``, ``cli``, ``demo``);
    ``caller`` the authenticated address (API) or the account that signed the action (the
    forward request's signer, never the relaying operator); ``sender`` the account that signed
    the transaction (the operator when relayed; none for an API request); ``client`` the
    client's IP address (``local`` outside the API); ``action`` ``METHOD /route/template`` or
    ``Contract.function``; ``outcome`` the HTTP status and error code (``201``,
    ``422 invalid_request``) or ``sent`` / ``reverted <code>``; ``tx_hashes`` the transactions
    it caused, space-separated."""

    __tablename__: ClassVar[str] = "access_log"
    __table_args__ = (
        Index("ix_access_log_recorded_at", "recorded_at"),
        Index("ix_access_log_caller", "caller"),
    )

    id: int | None = Field(default=None, sa_type=ENTRY_ID, primary_key=True)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    channel: str = Field(sa_type=String(16))
    caller: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    role: str | None = Field(default=None, sa_type=String(64))
    via: str | None = Field(default=None, sa_type=String(16))
    sender: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    client: str = Field(sa_type=String(64))
    request_id: str = Field(sa_type=String(128))
    idempotency_key: str | None = Field(default=None, sa_type=String(255))
    action: str = Field(sa_type=String(255))
    outcome: str = Field(sa_type=String(128))
    tx_hashes: str | None = Field(default=None, sa_type=Text)
