"""Bodies of sign-in, sessions and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Public


class ChallengeCreate(BaseModel):
    address: str = Field(description="the account that will sign in (0x + 40 hex digits)")


class ChallengePublic(Public):
    """The EIP-4361 message to sign with ``personal_sign``; its nonce is single-use."""

    message: str
    nonce: str
    domain: str
    chain_id: int
    expires_at: datetime


class SignInCreate(BaseModel):
    message: str = Field(max_length=4096, description="the EIP-4361 message, as signed")
    signature: str = Field(max_length=200, description="0x-hex personal_sign signature")


class SessionPublic(BaseModel):
    """A new session. The token is also set as the HttpOnly ``dareg_session`` cookie."""

    token: str = Field(description="send as ``Authorization: Bearer <token>``")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth token type, no secret)
    address: str
    expires_at: datetime


class CallerPublic(BaseModel):
    """Who the request is signed in as, and what the chain says it is now."""

    address: str
    via: Literal["session", "api-key"]
    scopes: list[str]
    expires_at: datetime
    roles: list[str] = Field(description="on-chain roles: admin, regulator, pauser, ...")
    registrar_code: int | None = Field(description="the active registrar it is staff of")


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="what the key is for")
    scopes: list[Literal["read", "write"]] = Field(
        min_length=1, description="read: GET and HEAD; write: every method"
    )
    lifetime_days: int = Field(default=90, ge=1, le=3650, description="days until it expires")


class ApiKeyPublic(Public):
    """An API key as its owner sees it (never its secret)."""

    key_id: str
    name: str
    address: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the key itself: shown this once, stored only as a hash")
