"""The answers of POST requests sent with an ``Idempotency-Key`` (service data), kept so the
same key returns the same answer until it expires (:mod:`registry.idempotency`). Not part of the
mirror; a rollback never touches it."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel

from registry.db.models.base import HASH_LENGTH, UTCDateTime

#: The longest ``Idempotency-Key`` accepted.
IDEMPOTENCY_KEY_LENGTH = 255
#: The longest caller scope (``account:`` and an address, or ``anonymous:`` and an IP address).
IDEMPOTENCY_SCOPE_LENGTH = 100


class IdempotencyRecord(SQLModel, table=True):
    """One key of one caller: the request it was first sent with (``request_hash``: method,
    path, query and body), and once answered the answer (``status``, ``content_type``,
    ``body``); ``status`` is ``None`` while the first request runs."""

    __tablename__: ClassVar[str] = "idempotency_key"
    __table_args__ = (Index("ix_idempotency_key_expires_at", "expires_at"),)

    scope: str = Field(sa_type=String(IDEMPOTENCY_SCOPE_LENGTH), primary_key=True)
    key: str = Field(sa_type=String(IDEMPOTENCY_KEY_LENGTH), primary_key=True)
    request_hash: str = Field(sa_type=String(HASH_LENGTH))
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    status: int | None = Field(default=None, sa_type=Integer)
    content_type: str | None = Field(default=None, sa_type=String(200))
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
