"""Registration (数据资产确权登记): the application, its certificate metadata, and its chain state.

:class:`AssetMetadata` is the certificate metadata document: every field a certificate shows
(see ../shared/domain.md, "Certificate fields"). Its RFC 8785 canonical JSON is what the service
stores and serves as the registered metadata (``/api/v1/metadata/{number}/registered``, linked
from the wallet metadata at ``tokenURI``); the SHA-256 of those bytes is the ``metadataHash`` on
chain.
:class:`Registration` is the chain's view of one registration, read from the contract.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Literal, Self

import rfc8785
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from registry.domain.chain import ChainEnum, when
from registry.domain.evidence import format_fingerprint, parse_fingerprint
from registry.domain.identifiers import (
    NATURAL_PERSON_TYPES,
    is_masked,
    mask_identifier,
    natural_person_problem,
    uscc_problem,
)
from registry.domain.inputs import as_value_error, checked_address
from registry.domain.numbers import JsonInteger, certificate_number, registration_number
from registry.errors import InputError

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_REGION = re.compile(r"^\d{6}$")
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


class AssetKind(ChainEnum):
    """数据资源 / 数据产品. Chain value: the member's position."""

    RESOURCE = "resource"
    PRODUCT = "product"


class Right(StrEnum):
    """The three rights (三权分置). Chain value: a bit in the rights set."""

    HOLDING = "holding"  # 数据资源持有权
    PROCESSING_USE = "processing_use"  # 数据加工使用权
    PRODUCT_OPERATION = "product_operation"  # 数据产品经营权

    @property
    def bit(self) -> int:
        return 1 << list(Right).index(self)


def rights_mask(rights: frozenset[Right] | set[Right] | list[Right]) -> int:
    mask = 0
    for right in rights:
        mask |= right.bit
    return mask


def rights_of(mask: int) -> frozenset[Right]:
    return frozenset(r for r in Right if mask & r.bit)


class Classification(ChainEnum):
    """GB/T 43697-2024 levels. Core data cannot be registered."""

    GENERAL = "general"
    IMPORTANT = "important"
    CORE = "core"


class DataSource(IntEnum):
    """Where the data comes from; the value is the digit used in registration numbers."""

    SELF_COLLECTED = 1
    LICENSED = 2
    PURCHASED = 3
    PUBLIC = 4


class ApplicantType(IntEnum):
    """Who applies; the value is the digit used in registration numbers."""

    ENTERPRISE = 1
    PUBLIC_INSTITUTION = 2
    INDIVIDUAL_BUSINESS = 3
    NATURAL_PERSON = 4
    OTHER = 9


class UpdateFrequency(StrEnum):
    REAL_TIME = "real_time"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"
    STATIC = "static"


class _PositionalEnum(StrEnum):
    """An enum whose chain value is the member's position, read without a range check."""

    @classmethod
    def of_chain(cls, value: int) -> Self:
        return list(cls)[value]


class Status(_PositionalEnum):
    """Lifecycle states; the order is the contract's ``Status`` enum. ``expired`` is derived."""

    NONE = "none"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    REJECTED = "rejected"
    IN_NOTICE = "in_notice"
    ISSUED = "issued"
    CANCELLED = "cancelled"
    REVOKED = "revoked"
    EXPIRED = "expired"


class ObjectionStatus(_PositionalEnum):
    NONE = "none"
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


Text = Annotated[str, Field(min_length=1, max_length=2000)]
#: The most application scenarios a metadata document lists.
MAX_SCENARIOS = 50
#: The most parents (registrations an asset derives from) an application names.
MAX_PARENTS = 100
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Holder(_Strict):
    """The certificate holder: name, identifier and chain address.

    A legal entity's identifier (``uscc``) is public. A natural person's (``id_card``,
    ``passport``) is never public in full (docs/privacy.md): the document whose hash goes on
    chain carries its masked form in ``identifier`` and a salted commitment to the full one in
    ``identifier_commitment``; the full identifier and the salt stay off chain. A holder with
    the full identifier is what an applicant gives; :meth:`RegistrationService.commit_metadata`
    turns it into the public one, and :func:`public_holder` is what anyone else is shown.
    """

    name: ShortText
    identifier_type: Literal["uscc", "id_card", "passport", "other"] = Field(
        description="uscc: 统一社会信用代码 (checked, public); id_card: 居民身份证号码 (checked) "
        "and passport: 护照号码, a natural person's, public only masked; other"
    )
    identifier: ShortText = Field(
        description="the identifier; a natural person's is masked (e.g. 110101********1234) "
        "wherever it is public"
    )
    identifier_commitment: str | None = Field(
        default=None,
        description="a natural person's only: 0x + SHA-256 of salt ‖ type ‖ 0x00 ‖ identifier, "
        "the commitment the on-chain metadata hash covers (docs/privacy.md); absent otherwise "
        "(so a legal entity's document serialises, and hashes, as before the scheme)",
        exclude_if=lambda value: value is None,
    )
    address: str = Field(description="the holder's chain address (receives the certificate)")

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.match(value):
            raise ValueError(f"{value!r} is not a chain address (0x and 40 hex digits)")
        as_value_error(checked_address, value, "address")  # a mistyped mixed-case one
        return value  # as written: the document's hash covers it

    @field_validator("identifier_commitment")
    @classmethod
    def _commitment(cls, value: str | None) -> str | None:
        if value is not None and not _HASH.match(value):
            raise ValueError("an identifier commitment is 0x and 64 hex digits")
        return None if value is None else value.lower()

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        """A natural person's identifier in capitals (an ID card's check digit X)."""
        if isinstance(data, dict) and data.get("identifier_type") in NATURAL_PERSON_TYPES:
            identifier = data.get("identifier")
            if isinstance(identifier, str):
                return {**data, "identifier": identifier.strip().upper()}
        return data

    @model_validator(mode="after")
    def _identifier(self) -> Holder:
        if self.identifier_type == "uscc":
            problem = uscc_problem(self.identifier)
            if problem:
                raise ValueError(problem)
        if self.natural_person:
            if self.identifier_commitment is not None and not is_masked(self.identifier):
                raise ValueError(
                    "a committed natural person's identifier is shown masked, never in full"
                )
            if not is_masked(self.identifier):
                problem = natural_person_problem(self.identifier_type, self.identifier)
                if problem:
                    raise ValueError(problem)
        elif self.identifier_commitment is not None:
            raise ValueError("only a natural person's identifier (id_card, passport) is committed")
        return self

    @property
    def natural_person(self) -> bool:
        """Whether the identifier names a natural person (never public in full)."""
        return self.identifier_type in NATURAL_PERSON_TYPES

    @property
    def discloses_identifier(self) -> bool:
        """Whether this holder carries a natural person's identifier in full."""
        return self.natural_person and not is_masked(self.identifier)


def public_holder(holder: Holder) -> Holder:
    """What anyone is shown of ``holder``: a natural person's identifier masked
    (:func:`~registry.domain.identifiers.mask_identifier`), the rest as it is. The one public
    view of a holder: certificates, credentials, PDFs, pages and metadata all go through it."""
    if not holder.discloses_identifier:
        return holder
    return holder.model_copy(
        update={"identifier": mask_identifier(holder.identifier_type, holder.identifier)}
    )


class SourceOfData(_Strict):
    kind: DataSource = Field(description="1 self-collected, 2 licensed, 3 purchased, 4 public")
    proof: Text = Field(description="proof of lawful source (contract, licence, authorisation)")
    proof_hash: str | None = Field(default=None, description="SHA-256 of the proof document")

    @field_validator("proof_hash")
    @classmethod
    def _hash(cls, value: str | None) -> str | None:
        return None if value is None else format_fingerprint(parse_fingerprint(value))


class Scale(_Strict):
    records: JsonInteger | None = None
    bytes: JsonInteger | None = None
    files: JsonInteger | None = None
    description: str | None = Field(default=None, max_length=500)


class SpecialStatements(_Strict):
    personal_information: str | None = Field(
        default=None, max_length=2000, description="statement on personal information (个人信息)"
    )
    public_data: str | None = Field(
        default=None, max_length=2000, description="statement on public data (公共数据)"
    )


class EvidenceReference(_Strict):
    chain_id: JsonInteger
    contract: str = Field(max_length=42)
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: JsonInteger
    anchored_at: datetime


class AssetMetadata(_Strict):
    """The certificate metadata document (served as the registered metadata beside the ERC-721
    wallet metadata at tokenURI)."""

    schema_: Literal["dareg.asset-metadata/1"] = Field(
        default="dareg.asset-metadata/1", alias="schema"
    )
    name: ShortText = Field(description="asset name (资产名称)")
    description: str = Field(default="", max_length=4000)
    asset_kind: AssetKind
    rights: list[Right] = Field(min_length=1, description="certified rights")
    holder: Holder
    applicant_type: ApplicantType
    industry: ShortText = Field(description="industry / category (行业)")
    category: str | None = Field(default=None, max_length=200)
    region: str = Field(description="administrative division code (行政区划代码), 6 digits")
    application_scenarios: list[ShortText] = Field(min_length=1, max_length=MAX_SCENARIOS)
    data_source: SourceOfData
    structure: Text = Field(description="structure of the data (fields, tables, schema)")
    scale: Scale
    format: ShortText
    update_frequency: UpdateFrequency
    storage_location: ShortText
    processing_rules: Text = Field(description="processing / algorithm rules, briefly")
    special_statements: SpecialStatements = SpecialStatements()
    classification: Classification
    fingerprint: str = Field(description="dfp1 fingerprint of the dataset")
    evidence: EvidenceReference | None = None
    parents: list[JsonInteger] = Field(
        default_factory=list,
        max_length=MAX_PARENTS,
        description="registration ids it derives from",
    )
    source_agreement_end: date | None = None

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, populate_by_name=True
    )

    @field_validator("rights")
    @classmethod
    def _unique_rights(cls, value: list[Right]) -> list[Right]:
        if len(set(value)) != len(value):
            raise ValueError("each right may be listed once")
        return sorted(value, key=list(Right).index)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError(f"region {value!r} must be a 6-digit administrative division code")
        return value

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint(cls, value: str) -> str:
        return format_fingerprint(parse_fingerprint(value))

    @field_validator("classification")
    @classmethod
    def _not_core(cls, value: Classification) -> Classification:
        if value is Classification.CORE:
            raise ValueError("core data (核心数据) cannot be registered")
        return value

    @model_validator(mode="after")
    def _lineage(self) -> AssetMetadata:
        if self.asset_kind is AssetKind.PRODUCT and not self.parents:
            raise ValueError("a data product must name the registered assets it derives from")
        if self.asset_kind is AssetKind.RESOURCE and self.parents:
            raise ValueError("a data resource has no parent assets; register it as a product")
        if len(set(self.parents)) != len(self.parents) or any(p <= 0 for p in self.parents):
            raise ValueError("parents must be distinct registration ids")
        return self

    # --- canonical form ---------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def canonical(self) -> bytes:
        """RFC 8785 (JCS) canonical JSON bytes; refused for a document that carries a natural
        person's identifier in full, which is never stored, hashed or put on chain (commit it
        first: :meth:`RegistrationService.commit_metadata`, docs/privacy.md)."""
        if self.holder.discloses_identifier:
            raise InputError(
                "the metadata carries a natural person's identifier in full: only its masked "
                "form and salted commitment are hashed and published (docs/privacy.md)"
            )
        return canonical_json(self.document())

    def digest(self) -> bytes:
        """SHA-256 of the canonical bytes: the ``metadataHash`` recorded on chain."""
        return hashlib.sha256(self.canonical()).digest()


def public_metadata(metadata: AssetMetadata) -> AssetMetadata:
    """``metadata`` with its holder's public view (:func:`public_holder`): a committed document
    is returned as it is; one stored before the scheme with a natural person's identifier in
    full is shown with the identifier masked (its hash then no longer verifies from this copy)."""
    holder = public_holder(metadata.holder)
    return metadata if holder is metadata.holder else metadata.model_copy(update={"holder": holder})


def canonical_json(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InputError(f"document cannot be canonicalised (RFC 8785): {exc}") from exc


def sha256_hex(data: bytes) -> str:
    return "0x" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class HolderIdentity:
    """The registered holder's full identifier, for those who may see it (the holder, its
    registrar's staff, regulators): a natural person's with the salt of its commitment and
    whether that commitment, recomputed, is the one in the metadata whose hash is on chain."""

    registration_id: int
    name: str
    address: str
    identifier_type: str
    identifier: str
    masked: str  # the public form
    salt: str | None  # 0x + 64 hex digits; None for a legal entity (its identifier is public)
    commitment: str | None
    metadata_hash: str
    verified: bool


@dataclass(frozen=True)
class RegistrarPolicy:
    active: bool
    objections_open_to_all: bool
    evidence_required: bool
    notice_period: int  # seconds

    def chain(self) -> tuple[bool, bool, bool, int]:
        return (
            self.active,
            self.objections_open_to_all,
            self.evidence_required,
            self.notice_period,
        )


@dataclass(frozen=True)
class Registration:
    """One registration as the contract holds it (``status`` includes the derived ``expired``)."""

    id: int
    holder: str
    submitted_at: datetime
    registrar_code: int
    status: Status
    asset_kind: AssetKind
    rights: frozenset[Right]
    classification: Classification
    notice_start: datetime | None
    notice_end: datetime | None
    source_agreement_end: datetime | None
    issued_at: datetime | None
    valid_until: datetime | None
    open_objections: int
    version: int
    data_source: DataSource
    applicant_type: ApplicantType
    fingerprint: str
    metadata_hash: str
    parents: tuple[int, ...]

    @classmethod
    def from_chain(cls, reg_id: int, raw: tuple[Any, ...], effective_status: int) -> Registration:
        (
            holder,
            submitted_at,
            registrar_code,
            _stored_status,
            kind,
            rights,
            level,
            notice_start,
            notice_end,
            source_end,
            issued_at,
            valid_until,
            open_objections,
            version,
            data_source,
            applicant_type,
            fingerprint,
            metadata_hash,
            parents,
        ) = raw
        return cls(
            id=reg_id,
            holder=holder,
            submitted_at=datetime.fromtimestamp(submitted_at, tz=UTC),
            registrar_code=int(registrar_code),
            status=Status.of_chain(effective_status),
            asset_kind=list(AssetKind)[kind],
            rights=rights_of(int(rights)),
            classification=list(Classification)[level],
            notice_start=when(notice_start),
            notice_end=when(notice_end),
            source_agreement_end=when(source_end),
            issued_at=when(issued_at),
            valid_until=when(valid_until),
            open_objections=int(open_objections),
            version=int(version),
            data_source=DataSource(int(data_source)),
            applicant_type=ApplicantType(int(applicant_type)),
            fingerprint="0x" + bytes(fingerprint).hex(),
            metadata_hash="0x" + bytes(metadata_hash).hex(),
            parents=tuple(int(p) for p in parents),
        )

    @property
    def registration_number(self) -> str:
        return registration_number(
            int(self.submitted_at.timestamp()), self.data_source, self.applicant_type, self.id
        )

    @property
    def certificate_number(self) -> str | None:
        if self.issued_at is None:
            return None
        return certificate_number(int(self.issued_at.timestamp()), self.registrar_code, self.id)


@dataclass(frozen=True)
class Objection:
    id: int
    registration_id: int
    objector: str
    filed_at: datetime
    status: ObjectionStatus
