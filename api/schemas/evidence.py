"""Evidence anchoring (存证): the anchor request, the EIP-712 draft, and the anchored record."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Page, Public
from registry.domain.evidence import EvidenceRecord
from registry.domain.numbers import Uint256


class EvidenceCreate(BaseModel):
    """Anchor a fingerprint the anchorer signed (EIP-712, see ``POST /api/v1/evidence/typed-data``):
    the service relays it, the anchorer pays no gas and the chain records the anchorer. The
    service never anchors as itself: an anchor is evidence of whoever signed it."""

    fingerprint: str = Field(examples=["0x" + "ab" * 32], description="0x + 64 hex digits (dfp1)")
    anchorer: str = Field(description="the account that signed the anchor")
    deadline: Uint256 = Field(description="unix time the signature expires")
    signature: str = Field(description="0x-hex EIP-712 signature by the anchorer")


class TypedDataCreate(BaseModel):
    fingerprint: str
    anchorer: str
    ttl_seconds: int = Field(default=600, ge=30, le=86_400)


class EvidenceAnchor(BaseModel):
    """One account's anchor of a fingerprint (each account anchors a fingerprint at most once)."""

    anchorer: str
    relayer: str | None
    anchored_at: datetime
    block_number: int
    tx_hash: str | None

    @classmethod
    def of(cls, record: EvidenceRecord) -> EvidenceAnchor:
        return cls(
            anchorer=record.anchorer,
            relayer=record.relayer,
            anchored_at=record.anchored_at,
            block_number=record.block_number,
            tx_hash=record.tx_hash,
        )


class EvidencePublic(Public):
    """An anchor of a fingerprint: on a look-up the first anchor (the public "first anchored"
    record) with ``anchors`` listing every account's anchor, first anchored first; on POST the
    anchoring account's own anchor."""

    fingerprint: str
    anchorer: str
    relayer: str | None
    anchored_at: datetime
    block_number: int
    tx_hash: str | None
    chain_id: int
    contract: str
    created: bool | None = Field(
        default=None,
        description="on POST: false when the anchoring account had already anchored it",
    )
    anchors: list[EvidenceAnchor] | None = Field(
        default=None, description="on GET of one fingerprint: every anchor, first anchored first"
    )

    @classmethod
    def of(
        cls,
        record: EvidenceRecord,
        *,
        chain_id: int,
        contract: str,
        created: bool | None = None,
        anchors: list[EvidenceRecord] | None = None,
    ) -> EvidencePublic:
        """The record with the fingerprint as hex and the chain and contract it is on."""
        return cls.build(
            record,
            fingerprint=record.fingerprint_hex,
            chain_id=chain_id,
            contract=contract,
            created=created,
            anchors=None if anchors is None else [EvidenceAnchor.of(a) for a in anchors],
        )


class EvidenceList(Page[EvidencePublic]):
    pass
