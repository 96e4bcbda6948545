"""Request (``XCreate``) and response (``XPublic``) bodies of the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from registry.domain.evidence import EvidenceRecord


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable error code")
    message: str
    details: dict[str, Any] | None = None


class ErrorPublic(BaseModel):
    error: ErrorDetail


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"]
    chain_id: int
    rpc_url: str
    chain_reachable: bool
    contracts: dict[str, str]
    deploy_block: int
    chain_head: int | None
    indexer_head: int | None
    indexer_lag: int | None = Field(description="chain head minus indexer head, in blocks")


class EvidenceCreate(BaseModel):
    """Anchor a fingerprint. Without a signature the service's operator anchors it; with an
    EIP-712 signature from ``anchorer`` (see ``POST /api/v1/evidence/typed-data``) the service
    relays it and the anchorer pays no gas."""

    fingerprint: str = Field(examples=["0x" + "ab" * 32], description="0x + 64 hex digits (dfp1)")
    anchorer: str | None = Field(default=None, description="the signer of a delegated anchor")
    deadline: int | None = Field(default=None, ge=0, description="unix time the signature expires")
    signature: str | None = Field(default=None, description="0x-hex EIP-712 signature")

    @model_validator(mode="after")
    def _delegation_complete(self) -> EvidenceCreate:
        parts = [self.anchorer, self.deadline, self.signature]
        if any(p is not None for p in parts) and not all(p is not None for p in parts):
            raise ValueError("a delegated anchor needs anchorer, deadline and signature together")
        return self


class TypedDataCreate(BaseModel):
    fingerprint: str
    anchorer: str
    ttl_seconds: int = Field(default=600, ge=30, le=86_400)


class EvidencePublic(BaseModel):
    fingerprint: str
    anchorer: str
    relayer: str | None
    anchored_at: datetime
    block_number: int
    tx_hash: str | None
    chain_id: int
    contract: str
    created: bool | None = Field(
        default=None, description="on POST: false when the fingerprint was already anchored"
    )

    @classmethod
    def of(
        cls, record: EvidenceRecord, *, chain_id: int, contract: str, created: bool | None = None
    ) -> EvidencePublic:
        return cls(
            fingerprint=record.fingerprint_hex,
            anchorer=record.anchorer,
            relayer=record.relayer,
            anchored_at=record.anchored_at,
            block_number=record.block_number,
            tx_hash=record.tx_hash,
            chain_id=chain_id,
            contract=contract,
            created=created,
        )


class EvidenceList(BaseModel):
    items: list[EvidencePublic]
    total: int
    limit: int
    offset: int
