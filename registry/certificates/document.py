"""The certificate document: every field a certificate shows (../shared/domain.md).

It is assembled from the chain (status, dates, numbers, holder address, fingerprint, version,
registrar code, token) and from the stored metadata document whose SHA-256 the chain records.
The JSON answer of ``GET /api/v1/certificates/{number}``, the Verifiable Credential and the PDF
are all made from it. This module holds its shape; :class:`registry.certificates.service.
CertificateService` assembles it from one block's chain reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.certificates.standing import Standing
from registry.domain.registration import (
    AssetKind,
    AssetMetadata,
    Classification,
    Holder,
    Right,
    Status,
    public_holder,
)

CERTIFICATE_SCHEMA = "dareg.certificate/1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegistrarRef(_Frozen):
    code: int = Field(description="registrar code (used in certificate numbers)")
    name: str | None = Field(description="the registration agency's name (登记机构)")


class NoticePeriod(_Frozen):
    start: datetime | None = Field(description="public notice opened (公示开始)")
    end: datetime | None = Field(description="public notice closed (公示结束)")


class ChainRef(_Frozen):
    chain_id: int
    contract: str = Field(description="the DataAssetRegistry contract (ERC-721)")
    token_id: int = Field(description="the certificate's ERC-721 token id (= registration id)")
    token_uri: str | None = Field(
        description="tokenURI: where the ERC-721 wallet metadata is served (it links the "
        "registered metadata document); null once the certificate "
        "has ended (cancelled, revoked or closed after expiry: the token is burned)"
    )


class AnchorRef(_Frozen):
    """The on-chain evidence (存证) of the dataset's fingerprint, read from EvidenceRegistry."""

    chain_id: int
    contract: str
    fingerprint: str
    anchorer: str
    tx_hash: str | None
    block_number: int
    anchored_at: datetime


class VersionRef(_Frozen):
    version: int
    fingerprint: str
    metadata_hash: str


class CertificateDocument(_Frozen):
    """A data asset registration certificate (数据资产登记证书) as JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["dareg.certificate/1"] = Field(default="dareg.certificate/1", alias="schema")
    certificate_number: str = Field(description="17 digits: year, month, registrar, serial, check")
    registration_number: str = Field(description="16 digits with a check digit")
    token_id: int
    status: Status = Field(description="issued (valid), expired, cancelled or revoked")
    valid: bool = Field(
        description="true while issued and not expired; says nothing of freezes, pledges, "
        "objections or exclusive licences: read standing"
    )
    standing: Standing = Field(
        description="the effective standing as of a block: lifecycle and encumbrances (frozen, "
        "pledged, under objection, exclusively licensed)"
    )
    holder: Holder = Field(
        description="the holder; the address is the chain's; a natural person's identifier "
        "masked, with its commitment (docs/privacy.md)"
    )
    asset_name: str
    asset_kind: AssetKind
    rights: list[Right] = Field(description="the certified rights")
    classification: Classification
    metadata: AssetMetadata = Field(
        description="the certificate metadata document (its canonical SHA-256 is metadata_hash)"
    )
    fingerprint: str = Field(description="the dataset fingerprint of the current version")
    version: int = Field(description="current version (1 + number of changes)")
    versions: list[VersionRef] = Field(description="every version, oldest first")
    evidence: AnchorRef | None = Field(description="on-chain anchor of the fingerprint, if any")
    registrar: RegistrarRef
    issued_at: datetime
    notice_period: NoticePeriod
    valid_until: datetime
    source_agreement_end: datetime | None
    chain: ChainRef
    verification_url: str = Field(description="the public verification page (QR code target)")
    metadata_hash: str = Field(description="SHA-256 of the canonical metadata, as on chain")


#: Shown for a holder who acquired the certificate by transfer and has not yet registered a
#: change (变更) naming itself: the chain knows the address, not the name.
PENDING_HOLDER_NAME = "受让人（待变更登记） Transferee, pending change registration"


def registered_holder(metadata: AssetMetadata, chain_holder: str) -> Holder | None:
    """The registered particulars of the chain's holder, in their public view (a natural
    person's identifier masked), or ``None`` when the registered metadata names someone else
    (the certificate was transferred and no change naming the transferee is registered yet).

    The one decision of who the registered metadata may be said to name: the certificate's
    documents (through :func:`current_holder`) and the financier's verification both ask it."""
    if metadata.holder.address.lower() == chain_holder.lower():
        return public_holder(metadata.holder)
    return None


def current_holder(metadata: AssetMetadata, chain_holder: str) -> Holder:
    """The holder as of now, in its public view (a natural person's identifier masked): the
    registered particulars if the chain's holder is the one they name, otherwise (after a
    transfer) the chain's address with no name attributed to it. Every document of a
    certificate (JSON, credential, PDF, verification page, wallet metadata, card) shows this
    holder, through ``CertificateDocument.holder``; never the registered metadata's holder
    when the chain says someone else holds the certificate."""
    registered = registered_holder(metadata, chain_holder)
    if registered is not None:
        return registered
    return Holder(
        name=PENDING_HOLDER_NAME, identifier_type="other", identifier="—", address=chain_holder
    )
