"""Registration (登记): signed applications, the registrar's review, and the registration as
the chain holds it (:class:`RegistrationPublic`) or as the mirror lists it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import Page, Public, compact_of
from api.schemas.relay import RelayPrepare
from registry.domain.numbers import Uint256
from registry.domain.registration import (
    AssetKind,
    AssetMetadata,
    Classification,
    ObjectionStatus,
    Registration,
    Right,
    Status,
)
from registry.mirror import RegistrationRow


class ApplicationDraft(BaseModel):
    """An application to be signed by the applicant (EIP-712) before it is submitted."""

    registrar_code: int = Field(ge=1, le=999)
    applicant: str = Field(description="the applicant's address; becomes the certificate holder")
    metadata: AssetMetadata
    ttl_seconds: int = Field(default=600, ge=30, le=86_400)


class ApplicationTypedData(BaseModel):
    typed_data: dict[str, Any]
    metadata_hash: str
    deadline: int
    metadata: AssetMetadata = Field(
        description="the public metadata document whose SHA-256 is metadata_hash: a natural "
        "person's identifier masked and committed (docs/privacy.md); submit either this or the "
        "draft's metadata with the signature"
    )


class ApplicationCreate(BaseModel):
    """A signed application; the service relays it, so the applicant pays no gas."""

    registrar_code: int = Field(ge=1, le=999)
    applicant: str
    metadata: AssetMetadata
    deadline: Uint256
    signature: str = Field(description="0x-hex EIP-712 signature of the Application message")


class DecisionPrepare(RelayPrepare):
    """A registrar's reasoned decision (return, reject, revoke); ``signer`` is a registrar
    account of the application's registrar."""

    reason_code: int = Field(default=0, ge=0, le=65_535)
    reason: str = Field(min_length=1, max_length=4000)


class RevocationPrepare(DecisionPrepare):
    """A revocation (撤销); ``signer`` is a registrar account of the certificate's registrar. A
    pledged or frozen certificate is revoked only under a ``ruling``."""

    ruling: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="the ruling (e.g. a court's or the registrar's decision) under which a pledged "
        "or frozen certificate is revoked (revokeEncumbered): its text is stored off chain, its "
        "hash recorded in CertificateRevoked; without it such a certificate is refused "
        "(409 contract_registry_encumbered)",
    )


class RulingPrepare(RelayPrepare):
    """A registrar's ruling on an objection; ``signer`` is a registrar account."""

    upheld: bool
    reason: str = Field(min_length=1, max_length=4000)


class StandingPrepare(RelayPrepare):
    """Standing to object for ``party``; ``signer`` is a registrar account."""

    party: str


class BatchIssuePrepare(RelayPrepare):
    """Registrations to issue in one transaction; ``signer`` is a registrar account."""

    ids: list[Uint256] = Field(min_length=1, max_length=200)


class RenewalPrepare(RelayPrepare):
    """A renewal (续展); ``signer`` is a registrar account. Only within the renewal window before
    expiry (else 409 contract_registry_renewal_window_not_open); the certificate then runs to the
    renewal time plus the validity period, capped by the source agreement's end."""

    source_agreement_end: date | None = Field(
        default=None,
        description="a new end of the source agreement (the new cap); omitted, the current cap "
        "stays (it is never removed)",
    )


def _in_order(rights: Iterable[Right]) -> list[Right]:
    """Certified rights in the order :class:`Right` declares them."""
    return sorted(rights, key=list(Right).index)


class RegistrationPublic(Public):
    id: int
    registration_number: str
    certificate_number: str | None
    status: Status
    holder: str
    registrar_code: int
    asset_kind: AssetKind
    rights: list[Right]
    classification: Classification
    data_source: int
    applicant_type: int
    submitted_at: datetime
    notice_start: datetime | None
    notice_end: datetime | None
    source_agreement_end: datetime | None
    issued_at: datetime | None
    valid_until: datetime | None
    open_objections: int
    version: int
    fingerprint: str
    metadata_hash: str
    parents: list[int]

    @classmethod
    def of(cls, registration: Registration) -> RegistrationPublic:
        """The registration as the chain holds it, its rights in declaration order."""
        return cls.build(registration, rights=_in_order(registration.rights))


@compact_of(RegistrationPublic)
class RegistrationSummary(Public):
    """A registration as mirrored in SQL (for lists); the chain remains the truth."""

    id: int
    registration_number: str
    certificate_number: str | None
    status: Status
    holder: str
    registrar_code: int
    asset_kind: AssetKind
    rights: list[Right]
    classification: Classification
    submitted_at: datetime
    valid_until: datetime | None
    version: int
    open_objections: int
    fingerprint: str

    @classmethod
    def of(cls, row: RegistrationRow) -> RegistrationSummary:
        """A mirror row: its effective status, kind, level and rights under the public names."""
        return cls.build(
            row,
            status=row.effective_status,
            asset_kind=row.kind,
            rights=_in_order(row.rights_set),
            classification=row.level,
        )


class RegistrationList(Page[RegistrationSummary]):
    indexed_block: int | None = Field(description="the mirror's head: the list is as of this block")


class VersionPublic(Public):
    version: int
    fingerprint: str
    metadata_hash: str


class ObjectionPublic(Public):
    id: int
    registration_id: int
    objector: str
    filed_at: datetime
    status: ObjectionStatus


class HolderIdentityPublic(Public):
    """The registered holder's full identifier (the holder, its registrar's staff and regulators
    only): a natural person's with the salt of its commitment, checked against the chain
    (docs/privacy.md)."""

    registration_id: int
    name: str
    address: str
    identifier_type: str
    identifier: str = Field(description="in full")
    masked: str = Field(description="the form every public document shows")
    salt: str | None = Field(
        description="0x + 64 hex digits: with the identifier, recomputes the commitment; null "
        "for a legal entity, whose identifier is public"
    )
    commitment: str | None = Field(
        description="identifier_commitment of the on-chain metadata: 0x + SHA-256(salt ‖ "
        "identifier_type ‖ 0x00 ‖ identifier)"
    )
    metadata_hash: str = Field(description="the on-chain metadataHash of that document")
    verified: bool = Field(
        description="the stored document hashes to metadata_hash and the commitment recomputed "
        "from identifier and salt is the one it carries"
    )


class RegistrarPublic(Public):
    code: int
    name: str | None
    active: bool
    objections_open_to_all: bool
    evidence_required: bool
    notice_period_seconds: int
