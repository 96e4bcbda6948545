"""Who may call the API (service data, never mirrored): single-use Sign-In with Ethereum nonces
(``auth_nonce``), the sessions they open (``auth_session``) and API keys (``api_key``).

Secrets are never stored: a session token or an API key is kept as the SHA-256 of its secret
part (the secrets are 256-bit random values, so a plain hash cannot be searched backwards)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from registry.db.models.base import ADDRESS_LENGTH, HASH_LENGTH, UTCDateTime

#: Longest name or scope list an API key may carry.
API_KEY_NAME_LENGTH = 100


class AuthNonce(SQLModel, table=True):
    """A nonce handed out for one sign-in by ``address``; ``used_at`` is set when it is spent."""

    __tablename__: ClassVar[str] = "auth_nonce"

    nonce: str = Field(sa_type=String(64), primary_key=True)
    address: str = Field(sa_type=String(ADDRESS_LENGTH))
    issued_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """A signed-in session of ``address``, found by the SHA-256 of its bearer token."""

    __tablename__: ClassVar[str] = "auth_session"
    __table_args__ = (Index("ix_auth_session_address", "address"),)

    token_hash: str = Field(sa_type=String(HASH_LENGTH), primary_key=True)
    address: str = Field(sa_type=String(ADDRESS_LENGTH))
    nonce: str = Field(sa_type=String(64))
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    """An API key of ``address``: its public id, the SHA-256 of its secret, its scopes (space
    separated) and its lifetime."""

    __tablename__: ClassVar[str] = "api_key"
    __table_args__ = (Index("ix_api_key_address", "address"),)

    key_id: str = Field(sa_type=String(32), primary_key=True)
    secret_hash: str = Field(sa_type=String(HASH_LENGTH))
    address: str = Field(sa_type=String(ADDRESS_LENGTH))
    name: str = Field(sa_type=String(API_KEY_NAME_LENGTH))
    scopes: str = Field(sa_type=String(API_KEY_NAME_LENGTH))
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
