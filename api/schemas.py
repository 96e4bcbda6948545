"""Request (``XCreate``) and response (``XPublic``) bodies of the REST API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from registry.domain.audit import AuditReport, CertificateDrift, EventDrift
from registry.domain.chain import ForwardRequest, Receipt
from registry.domain.evidence import EvidenceRecord
from registry.domain.money import format_minor
from registry.domain.registration import (
    AssetKind,
    AssetMetadata,
    Classification,
    Objection,
    ObjectionStatus,
    Registration,
    Right,
    Status,
)
from registry.domain.rights import (
    ConsentAction,
    CrossBorderMechanism,
    CrossBorderRecord,
    Freeze,
    Licence,
    LicenceStatus,
    LicenceTerms,
    Pledge,
    PledgeStatus,
    PledgeTerms,
    Purpose,
    Territory,
    Transfer,
    TransferReason,
)
from registry.domain.valuation import (
    AccountingClass,
    Appraiser,
    Valuation,
    ValuationMethod,
    ValuationPurpose,
    ValuationStatus,
    ValuationSubmission,
    ValueType,
)
from registry.mirror import LicenceRow, PledgeRow, RegistrationRow, TransferRow
from registry.verification.service import DataMatch, Verification


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


# --- registration -------------------------------------------------------------------------


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


class ApplicationCreate(BaseModel):
    """A signed application; the service relays it, so the applicant pays no gas."""

    registrar_code: int = Field(ge=1, le=999)
    applicant: str
    metadata: AssetMetadata
    deadline: int = Field(ge=0)
    signature: str = Field(description="0x-hex EIP-712 signature of the Application message")


class ReasonCreate(BaseModel):
    reason_code: int = Field(default=0, ge=0, le=65_535)
    reason: str = Field(min_length=1, max_length=4000)


class RulingCreate(BaseModel):
    upheld: bool
    reason: str = Field(min_length=1, max_length=4000)


class StandingCreate(BaseModel):
    party: str


class BatchIssueCreate(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=200)


class RenewalCreate(BaseModel):
    source_agreement_end: date | None = None


class RegistrationPublic(BaseModel):
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
    def of(cls, r: Registration) -> RegistrationPublic:
        return cls(
            id=r.id,
            registration_number=r.registration_number,
            certificate_number=r.certificate_number,
            status=r.status,
            holder=r.holder,
            registrar_code=r.registrar_code,
            asset_kind=r.asset_kind,
            rights=sorted(r.rights, key=list(Right).index),
            classification=r.classification,
            data_source=int(r.data_source),
            applicant_type=int(r.applicant_type),
            submitted_at=r.submitted_at,
            notice_start=r.notice_start,
            notice_end=r.notice_end,
            source_agreement_end=r.source_agreement_end,
            issued_at=r.issued_at,
            valid_until=r.valid_until,
            open_objections=r.open_objections,
            version=r.version,
            fingerprint=r.fingerprint,
            metadata_hash=r.metadata_hash,
            parents=list(r.parents),
        )


class RegistrationSummary(BaseModel):
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
        return cls(
            id=row.id,
            registration_number=row.registration_number,
            certificate_number=row.certificate_number,
            status=row.effective_status,
            holder=row.holder,
            registrar_code=row.registrar_code,
            asset_kind=row.kind,
            rights=sorted(row.rights_set, key=list(Right).index),
            classification=row.level,
            submitted_at=row.submitted_at,
            valid_until=row.valid_until,
            version=row.version,
            open_objections=row.open_objections,
            fingerprint=row.fingerprint,
        )


class RegistrationList(BaseModel):
    items: list[RegistrationSummary]
    total: int
    limit: int
    offset: int
    indexed_block: int | None = Field(description="the mirror's head: the list is as of this block")


class VersionPublic(BaseModel):
    version: int
    fingerprint: str
    metadata_hash: str


class ObjectionPublic(BaseModel):
    id: int
    registration_id: int
    objector: str
    filed_at: datetime
    status: ObjectionStatus

    @classmethod
    def of(cls, o: Objection) -> ObjectionPublic:
        return cls(
            id=o.id,
            registration_id=o.registration_id,
            objector=o.objector,
            filed_at=o.filed_at,
            status=o.status,
        )


class RegistrarPublic(BaseModel):
    code: int
    name: str | None
    active: bool
    objections_open_to_all: bool
    evidence_required: bool
    notice_period_seconds: int


# --- financier verification ---------------------------------------------------------------


class PartyPublic(BaseModel):
    address: str
    name: str | None


class PledgePublic(BaseModel):
    id: int
    pledgor: str
    pledgee: str
    secured_amount: int = Field(description="minor units of the currency")
    currency: str
    registered_at: datetime
    maturity: datetime


class LicencePublic(BaseModel):
    id: int
    voucher_number: str
    licensee: str
    right: Right
    exclusive: bool
    sublicensable: bool
    start: datetime
    end: datetime


class FreezePublic(BaseModel):
    since: datetime | None
    by: str | None
    case_ref: str | None


class ValuationPublic(BaseModel):
    """A valuation (资产评估) as recorded on chain, with whether it still counts as current."""

    id: int
    token_id: int
    appraiser: str
    appraiser_removed: bool = Field(description="the appraiser has since lost its accreditation")
    method: ValuationMethod
    value: int = Field(description="minor units of currency")
    amount: str = Field(description="value in major units, e.g. 12000000.00")
    currency: str
    value_type: ValueType
    purpose: ValuationPurpose
    base_date: date = Field(description="评估基准日 (China Standard Time)")
    asset_version: int
    report_hash: str
    facts_hash: str | None
    submitted_at: datetime
    status: ValuationStatus
    withdrawn_at: datetime | None
    stale: bool
    stale_reasons: list[str]

    @classmethod
    def of(cls, v: Valuation, *, stale_reasons: Sequence[str], removed: bool) -> ValuationPublic:
        return cls(
            id=v.id,
            token_id=v.token_id,
            appraiser=v.appraiser,
            appraiser_removed=removed,
            method=v.method,
            value=v.value,
            amount=format_minor(v.value, v.currency),
            currency=v.currency,
            value_type=v.value_type,
            purpose=v.purpose,
            base_date=v.base_date,
            asset_version=v.asset_version,
            report_hash=v.report_hash,
            facts_hash=v.facts_hash,
            submitted_at=v.submitted_at,
            status=v.status,
            withdrawn_at=v.withdrawn_at,
            stale=bool(stale_reasons),
            stale_reasons=list(stale_reasons),
        )


class VerificationPublic(BaseModel):
    """The one-call answer a lender needs, as of ``as_of_block``."""

    number: str
    genuine: bool = Field(description="the number exists on this registry's contract on this chain")
    chain_id: int
    contract: str
    as_of_block: int
    as_of_time: datetime
    status: Status | None = None
    holder: PartyPublic | None = None
    asset_name: str | None = None
    registrar_code: int | None = None
    registrar_name: str | None = None
    classification: Classification | None = None
    issued_at: datetime | None = None
    valid_until: datetime | None = None
    fingerprint: str | None = None
    version: int | None = None
    open_objections: int = 0
    pledges: list[PledgePublic] = Field(default_factory=list, description="live pledges")
    licences: list[LicencePublic] = Field(default_factory=list, description="live licences")
    frozen: bool = False
    freeze: FreezePublic | None = None
    latest_valuation: ValuationPublic | None = Field(
        default=None, description="the newest valuation not withdrawn, with its staleness"
    )
    accounting_class: AccountingClass | None = None
    lendable: bool
    blockers: list[str]
    cautions: list[str]

    @classmethod
    def of(cls, v: Verification) -> VerificationPublic:
        base: dict[str, Any] = {
            "number": v.number,
            "genuine": v.genuine,
            "chain_id": v.chain_id,
            "contract": v.contract,
            "as_of_block": v.as_of_block,
            "as_of_time": v.as_of_time,
            "lendable": v.verdict.lendable,
            "blockers": list(v.verdict.blockers),
            "cautions": list(v.verdict.cautions),
        }
        r = v.registration
        if r is None:
            return cls(**base)
        return cls(
            **base,
            status=r.status,
            holder=PartyPublic(address=r.holder, name=v.holder_name),
            asset_name=v.asset_name,
            registrar_code=r.registrar_code,
            registrar_name=v.registrar_name,
            classification=r.classification,
            issued_at=r.issued_at,
            valid_until=r.valid_until,
            fingerprint=r.fingerprint,
            version=r.version,
            open_objections=r.open_objections,
            pledges=[
                PledgePublic(
                    id=p.id,
                    pledgor=p.pledgor,
                    pledgee=p.pledgee,
                    secured_amount=p.secured_amount,
                    currency=p.currency,
                    registered_at=p.registered_at,
                    maturity=p.maturity,
                )
                for p in v.pledges
            ],
            licences=[
                LicencePublic(
                    id=lic.id,
                    voucher_number=lic.voucher_number,
                    licensee=lic.licensee,
                    right=lic.right,
                    exclusive=lic.exclusive,
                    sublicensable=lic.sublicensable,
                    start=lic.start,
                    end=lic.end,
                )
                for lic in v.licences
            ],
            frozen=v.freeze is not None,
            freeze=(
                FreezePublic(since=v.freeze.since, by=v.freeze.by, case_ref=v.freeze.case_ref)
                if v.freeze is not None
                else None
            ),
            latest_valuation=(
                ValuationPublic.of(
                    v.valuation, stale_reasons=v.valuation_stale, removed=v.appraiser_removed
                )
                if v.valuation is not None
                else None
            ),
            accounting_class=v.accounting_class,
        )


class DataMatchCreate(BaseModel):
    """A dataset fingerprint, or an inclusion proof (`dareg prove`) of one of its files."""

    fingerprint: str | None = None
    proof: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one(self) -> DataMatchCreate:
        if (self.fingerprint is None) == (self.proof is None):
            raise ValueError("send either a fingerprint or an inclusion proof")
        return self


class DataMatchPublic(BaseModel):
    number: str
    fingerprint: str
    matches: bool
    version: int | None = Field(description="the registered version with this fingerprint")
    current_version: int
    is_current: bool
    as_of_block: int
    member: dict[str, Any] | None = Field(default=None, description="the proven file, if a proof")

    @classmethod
    def of(cls, m: DataMatch, *, member: dict[str, Any] | None = None) -> DataMatchPublic:
        return cls(
            number=m.number,
            fingerprint=m.fingerprint,
            matches=m.matches,
            version=m.version,
            current_version=m.current_version,
            is_current=m.is_current,
            as_of_block=m.as_of_block,
            member=member,
        )


# --- rights: pledges, licences, transfers, freezes and the regulator ----------------------


class PledgeTypedDataCreate(BaseModel):
    """Pledge terms to be signed (EIP-712) by both the holder (pledgor) and the lender."""

    terms: PledgeTerms
    pledgor: str | None = Field(
        default=None, description="the signing holder; default: the certificate's holder now"
    )
    ttl_seconds: int = Field(
        default=600, ge=30, le=86_400, description="used when terms.deadline is not given"
    )


class PledgeTypedData(BaseModel):
    typed_data: dict[str, Any] = Field(description="the EIP-712 document both parties sign")
    terms: PledgeTerms = Field(description="the terms with their deadline: send these to POST")
    pledgor: str
    nonce: int


class PledgeCreate(BaseModel):
    """A pledge both parties signed; the service relays it in one transaction."""

    terms: PledgeTerms
    pledgor_signature: str = Field(description="0x-hex EIP-712 signature of the holder")
    pledgee_signature: str = Field(description="0x-hex EIP-712 signature of the lender")
    pledgor: str | None = Field(default=None, description="default: the certificate's holder")
    nonce: int | None = Field(
        default=None, ge=0, description="the signed nonce; default: the certificate's current one"
    )


class PledgeRecordPublic(BaseModel):
    """A registered pledge (质押登记); the ``registered_*`` and closing fields come with mirror
    reads (lien search)."""

    id: int
    token_id: int
    certificate_number: str | None
    pledgor: str
    pledgee: str
    secured_amount: int = Field(description="minor units of the currency (fen, cents)")
    amount: str = Field(description="the secured amount as a decimal, e.g. 5000000.00")
    currency: str
    loan_ref: str = Field(description="SHA-256 of the loan reference")
    registered_at: datetime
    maturity: datetime
    status: PledgeStatus
    live: bool
    closed_at: datetime | None = None
    enforced_to: str | None = None
    registered_block: int | None = None
    registered_tx_hash: str | None = None

    @classmethod
    def of(cls, p: Pledge, certificate_number: str | None) -> PledgeRecordPublic:
        return cls(
            id=p.id,
            token_id=p.token_id,
            certificate_number=certificate_number,
            pledgor=p.pledgor,
            pledgee=p.pledgee,
            secured_amount=p.secured_amount,
            amount=format_minor(p.secured_amount, p.currency),
            currency=p.currency,
            loan_ref=p.loan_ref,
            registered_at=p.registered_at,
            maturity=p.maturity,
            status=p.status,
            live=p.live,
        )

    @classmethod
    def of_row(cls, r: PledgeRow) -> PledgeRecordPublic:
        return cls(
            id=r.id,
            token_id=r.token_id,
            certificate_number=r.certificate_number,
            pledgor=r.pledgor,
            pledgee=r.pledgee,
            secured_amount=r.secured_amount,
            amount=format_minor(r.secured_amount, r.currency),
            currency=r.currency,
            loan_ref=r.loan_ref,
            registered_at=r.registered_at,
            maturity=r.maturity,
            status=r.status,
            live=r.live,
            closed_at=r.closed_at,
            enforced_to=r.enforced_to,
            registered_block=r.registered_block,
            registered_tx_hash=r.registered_tx_hash,
        )


class PledgeList(BaseModel):
    """Lien search (the mirror), as of ``indexer_head``."""

    items: list[PledgeRecordPublic]
    indexer_head: int | None = Field(description="the mirror's head: the answer is as of it")


class LicenceRecordPublic(BaseModel):
    """A licence (数据许可) or sublicence with its voucher number (许可凭证号)."""

    id: int
    voucher_number: str
    token_id: int
    certificate_number: str | None
    parent_id: int | None
    licensor: str
    licensee: str
    right: Right
    exclusive: bool
    sublicensable: bool
    purposes: list[Purpose]
    territories: list[Territory]
    granted_at: datetime
    start: datetime
    end: datetime
    status: LicenceStatus
    live: bool
    terms_hash: str = Field(description="SHA-256 of the ODRL policy (GET .../policy)")
    fee_terms_hash: str | None
    granted_tx_hash: str | None = None

    @classmethod
    def of(cls, lic: Licence, certificate_number: str | None) -> LicenceRecordPublic:
        return cls(
            id=lic.id,
            voucher_number=lic.voucher_number,
            token_id=lic.token_id,
            certificate_number=certificate_number,
            parent_id=lic.parent_id,
            licensor=lic.licensor,
            licensee=lic.licensee,
            right=lic.right,
            exclusive=lic.exclusive,
            sublicensable=lic.sublicensable,
            purposes=sorted(lic.purposes, key=lambda m: m.bit),
            territories=sorted(lic.territories, key=lambda m: m.bit),
            granted_at=lic.granted_at,
            start=lic.start,
            end=lic.end,
            status=lic.status,
            live=lic.live,
            terms_hash=lic.terms_hash,
            fee_terms_hash=lic.fee_terms_hash,
        )

    @classmethod
    def of_row(cls, r: LicenceRow) -> LicenceRecordPublic:
        return cls(
            id=r.id,
            voucher_number=r.voucher_number,
            token_id=r.token_id,
            certificate_number=r.certificate_number,
            parent_id=r.parent_id,
            licensor=r.licensor,
            licensee=r.licensee,
            right=r.right,
            exclusive=r.exclusive,
            sublicensable=r.sublicensable,
            purposes=sorted(r.purposes, key=lambda m: m.bit),
            territories=sorted(r.territories, key=lambda m: m.bit),
            granted_at=r.granted_at,
            start=r.start,
            end=r.end,
            status=r.status,
            live=r.live,
            terms_hash=r.terms_hash,
            fee_terms_hash=r.fee_terms_hash,
            granted_tx_hash=r.granted_tx_hash,
        )


class LicenceList(BaseModel):
    """Licences as mirrored (public disclosure, 授权运营公示), as of ``indexer_head``."""

    items: list[LicenceRecordPublic]
    total: int | None = None
    limit: int | None = None
    offset: int | None = None
    indexer_head: int | None = Field(description="the mirror's head: the answer is as of it")


class TransferRecordPublic(BaseModel):
    token_id: int
    from_address: str
    to: str
    reason: TransferReason
    document_hash: str | None = Field(
        description="SHA-256 of the contract or court order; the pledge id for an enforcement"
    )
    transferred_at: datetime | None = None
    block_number: int
    tx_hash: str

    @classmethod
    def of(cls, t: Transfer) -> TransferRecordPublic:
        return cls(
            token_id=t.token_id,
            from_address=t.from_,
            to=t.to,
            reason=t.reason,
            document_hash=t.document_hash,
            block_number=t.block_number,
            tx_hash=t.tx_hash,
        )

    @classmethod
    def of_row(cls, r: TransferRow) -> TransferRecordPublic:
        return cls(
            token_id=r.token_id,
            from_address=r.from_,
            to=r.to,
            reason=r.reason,
            document_hash=r.document_hash,
            transferred_at=r.transferred_at,
            block_number=r.block_number,
            tx_hash=r.tx_hash,
        )


class TransferList(BaseModel):
    certificate_number: str
    items: list[TransferRecordPublic]
    indexer_head: int | None = Field(description="the mirror's head: the answer is as of it")


class FreezeCreate(BaseModel):
    certificate_number: str
    case_reference: str = Field(min_length=1, max_length=4000, description="kept off chain")


class FreezeRelease(BaseModel):
    case_reference: str = Field(min_length=1, max_length=4000, description="kept off chain")


class FreezeStatePublic(BaseModel):
    certificate_number: str
    token_id: int
    frozen: bool
    since: datetime | None
    by: str | None
    case_ref: str | None = Field(description="SHA-256 of the case reference")

    @classmethod
    def of(cls, f: Freeze, certificate_number: str) -> FreezeStatePublic:
        return cls(
            certificate_number=certificate_number,
            token_id=f.token_id,
            frozen=f.frozen,
            since=f.since,
            by=f.by,
            case_ref=f.case_ref,
        )


class CourtOrderCreate(BaseModel):
    certificate_number: str
    to: str
    case_reference: str = Field(min_length=1, max_length=4000, description="kept off chain")


class TransferApprovalCreate(BaseModel):
    certificate_number: str
    to: str
    expiry: datetime = Field(description="timezone-aware")


class TransferApprovalPublic(BaseModel):
    certificate_number: str
    to: str
    expiry: datetime


class CrossBorderRecordCreate(BaseModel):
    certificate_number: str
    recipient: str
    mechanism: CrossBorderMechanism
    approval_number: str = Field(min_length=1, max_length=500, description="kept off chain")
    expiry: datetime = Field(description="timezone-aware")
    country: str = Field(description="ISO 3166-1 alpha-2 country of the recipient")


class CrossBorderRecordPublic(BaseModel):
    certificate_number: str
    recipient: str
    mechanism: CrossBorderMechanism
    expiry: datetime | None
    country: str | None
    approval_number_hash: str | None

    @classmethod
    def of(cls, r: CrossBorderRecord, certificate_number: str) -> CrossBorderRecordPublic:
        return cls(
            certificate_number=certificate_number,
            recipient=r.recipient,
            mechanism=r.mechanism,
            expiry=r.expiry,
            country=r.country,
            approval_number_hash=r.approval_number_hash,
        )


class PartyCountryCreate(BaseModel):
    party: str
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2; null: domestic")


class PartyCountryPublic(BaseModel):
    party: str
    country: str


# --- relayed actions: a party signs, the registry's operator sends -----------------------------


class RelayPrepare(BaseModel):
    """Who will sign the forward request, and for how long it stays valid."""

    signer: str = Field(description="the acting party's address (holder, licensee, pledgee ...)")
    ttl_seconds: int = Field(default=900, ge=30, le=7 * 86_400)


class TransferPrepare(RelayPrepare):
    """The holder's transfer (sale, inheritance or merger) with its underlying document."""

    to: str
    reason: TransferReason
    document: str | None = Field(default=None, min_length=1, max_length=100_000)


class LicencePrepare(RelayPrepare):
    """A licence (or sublicence) to grant; ``signer`` is the licensor."""

    terms: LicenceTerms


class ReasonPrepare(RelayPrepare):
    """A termination or cancellation with an optional reason (stored; its hash on chain)."""

    reason: str | None = Field(default=None, min_length=1, max_length=20_000)


class EnforcementPrepare(RelayPrepare):
    to: str = Field(description="the pledgee itself or a buyer it names")


class ConsentPrepare(RelayPrepare):
    action: ConsentAction
    counterparty: str = Field(description="the recipient, cancelling holder or exclusive licensee")


class ForwardRequestPublic(BaseModel):
    """An ERC-2771 ``ForwardRequest`` exactly as signed (EIP-712 message fields)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    value: int = Field(ge=0)
    gas: int = Field(ge=0)
    nonce: int = Field(ge=0)
    deadline: int = Field(ge=0)
    data: str

    @classmethod
    def of(cls, r: ForwardRequest) -> ForwardRequestPublic:
        return cls(
            from_=r.signer,
            to=r.to,
            value=r.value,
            gas=r.gas,
            nonce=r.nonce,
            deadline=r.deadline,
            data=r.data,
        )

    def domain(self) -> ForwardRequest:
        return ForwardRequest(
            signer=self.from_,
            to=self.to,
            gas=self.gas,
            nonce=self.nonce,
            deadline=self.deadline,
            data=self.data,
            value=self.value,
        )


class PreparedRequestPublic(BaseModel):
    """What to sign: ``typed_data`` (``eth_signTypedData_v4``); then send ``request`` and the
    signature to ``POST /relay``. The call was run as the signer: it goes through if nothing
    changes before it is sent."""

    contract: str
    function: str
    request: ForwardRequestPublic
    typed_data: dict[str, Any]
    expires_at: datetime


class RelayCreate(BaseModel):
    request: ForwardRequestPublic
    signature: str = Field(description="0x-hex EIP-712 signature of the request by its signer")


class RelayedEventPublic(BaseModel):
    contract: str
    name: str
    args: dict[str, Any] = Field(description="bytes as 0x-hex, structs as lists")


class RelayResultPublic(BaseModel):
    """The relayed transaction: what the signer did, and the events it emitted."""

    signer: str
    contract: str
    function: str
    tx_hash: str
    block_number: int
    events: list[RelayedEventPublic]

    @classmethod
    def of(cls, contract: str, function: str, signer: str, receipt: Receipt) -> RelayResultPublic:
        return cls(
            signer=signer,
            contract=contract,
            function=function,
            tx_hash=receipt.tx_hash,
            block_number=receipt.block_number,
            events=[
                RelayedEventPublic(contract=e.contract, name=e.name, args=_jsonable(e.args))
                for e in receipt.events
            ],
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --- valuations --------------------------------------------------------------------------------


class ComputationCreate(BaseModel):
    method: str = Field(description="cost, income, market or combined")
    inputs: dict[str, Any] = Field(description="the calculator's inputs (docs/valuation.md)")


class ComputationPublic(BaseModel):
    """A calculator's result; ``report_hash`` is the SHA-256 of ``record`` (RFC 8785 JSON)."""

    method: str
    value: int = Field(description="minor units of currency")
    amount: str
    currency: str
    report_hash: str
    record: dict[str, Any]


class ValuationPrepare(RelayPrepare):
    """An appraiser's valuation; ``signer`` is the appraiser."""

    submission: ValuationSubmission


class WithdrawalPrepare(RelayPrepare):
    reason: str = Field(min_length=1, max_length=20_000)


class AccountingClassPrepare(RelayPrepare):
    accounting_class: AccountingClass


class ValuationList(BaseModel):
    """A certificate's valuation history (oldest first), read from the chain as of a block."""

    certificate_number: str
    as_of_block: int
    latest_id: int | None = Field(description="the newest valuation not withdrawn")
    accounting_class: AccountingClass | None
    items: list[ValuationPublic]


class AppraiserCreate(BaseModel):
    appraiser: str
    accreditation: str = Field(
        min_length=1, max_length=2_000, description="firm name and accreditation number"
    )


class AppraiserRemoval(BaseModel):
    reason: str | None = Field(default=None, min_length=1, max_length=20_000)


class AppraiserPublic(BaseModel):
    address: str
    accredited: bool
    accredited_at: datetime | None
    removed_at: datetime | None
    accreditation_hash: str | None

    @classmethod
    def of(cls, a: Appraiser) -> AppraiserPublic:
        return cls(
            address=a.address,
            accredited=a.accredited,
            accredited_at=a.accredited_at,
            removed_at=a.removed_at,
            accreditation_hash=a.accreditation_hash,
        )


# --- the regulator's audit of the mirror ---------------------------------------------------------


class RawEventPublic(BaseModel):
    """One log as the node returns it, or one ``raw_event`` row of the mirror."""

    model_config = ConfigDict(from_attributes=True)

    block_number: int
    log_index: int
    block_hash: str
    tx_hash: str
    address: str
    topics: list[str]
    data: str


class EventDriftPublic(BaseModel):
    block_number: int
    log_index: int
    kind: Literal["missing", "extra", "different"] = Field(
        description="missing: on chain, not in the mirror; extra: in the mirror only; "
        "different: both, with `fields` differing"
    )
    fields: list[str]
    mirror: RawEventPublic | None
    chain: RawEventPublic | None

    @classmethod
    def of(cls, d: EventDrift) -> EventDriftPublic:
        return cls(
            block_number=d.block_number,
            log_index=d.log_index,
            kind=d.kind,
            fields=list(d.fields),
            mirror=None if d.mirror is None else RawEventPublic.model_validate(d.mirror),
            chain=None if d.chain is None else RawEventPublic.model_validate(d.chain),
        )


class CertificateDriftPublic(BaseModel):
    token_id: int
    certificate_number: str | None
    field: str = Field(description="`exists`, or the compared fact (holder, status, frozen, ...)")
    mirror: str | int | bool | None
    chain: str | int | bool | None

    @classmethod
    def of(cls, d: CertificateDrift) -> CertificateDriftPublic:
        return cls(
            token_id=d.token_id,
            certificate_number=d.certificate_number,
            field=d.field,
            mirror=d.mirror,
            chain=d.chain,
        )


class BlockDigestPublic(BaseModel):
    block_number: int
    mirror: str | None = Field(description="digest of the mirror's rows; null: none there")
    chain: str | None = Field(description="digest of the node's logs; null: none there")


class AuditPublic(BaseModel):
    """The mirror compared with the chain over a block range, chain reads as of ``as_of_block``
    (digests: docs/audit.md)."""

    consistent: bool
    chain_id: int
    contracts: list[str]
    from_block: int
    to_block: int = Field(description="never beyond the mirror's indexed head")
    requested_to_block: int | None
    indexed_head: int
    as_of_block: int
    as_of_time: datetime
    certificates_checked: int
    certificates_skipped: list[int] = Field(
        description="token ids the mirror shows changed after to_block (not compared)"
    )
    events_on_chain: int
    events_in_mirror: int
    blocks_compared: int
    drift_count: int
    certificate_drifts: list[CertificateDriftPublic]
    event_drifts: list[EventDriftPublic]
    block_digests: list[BlockDigestPublic] = Field(description="only the blocks that differ")
    mirror_digest: str = Field(description="range digest of the mirror's raw events")
    chain_digest: str = Field(description="range digest of the node's logs")
    notes: list[str]

    @classmethod
    def of(cls, r: AuditReport) -> AuditPublic:
        return cls(
            consistent=r.consistent,
            chain_id=r.chain_id,
            contracts=list(r.contracts),
            from_block=r.from_block,
            to_block=r.to_block,
            requested_to_block=r.requested_to_block,
            indexed_head=r.indexed_head,
            as_of_block=r.as_of_block,
            as_of_time=r.as_of_time,
            certificates_checked=r.certificates_checked,
            certificates_skipped=list(r.certificates_skipped),
            events_on_chain=r.events_on_chain,
            events_in_mirror=r.events_in_mirror,
            blocks_compared=r.blocks_compared,
            drift_count=r.drift_count,
            certificate_drifts=[CertificateDriftPublic.of(d) for d in r.certificate_drifts],
            event_drifts=[EventDriftPublic.of(d) for d in r.event_drifts],
            block_digests=[
                BlockDigestPublic(block_number=b.block_number, mirror=b.mirror, chain=b.chain)
                for b in r.block_digests
            ],
            mirror_digest=r.mirror_digest,
            chain_digest=r.chain_digest,
            notes=list(r.notes),
        )


# --- provenance (regulator) ----------------------------------------------------------------------


class ProvenanceAssetPublic(BaseModel):
    """The asset a provenance answer is about; ``status``, ``holder`` and ``version`` as of the
    answer's block (null: not submitted yet then)."""

    token_id: int
    registration_number: str
    certificate_number: str | None
    name: str | None
    kind: str
    level: str
    parents: list[int]
    status: str | None
    holder: str | None
    version: int | None


class TimelineEntryPublic(BaseModel):
    kind: str = Field(description="stable snake_case kind (docs/provenance.md)")
    event: str
    contract: str | None
    block_number: int
    log_index: int
    tx_hash: str
    time: datetime
    actor: str | None
    details: dict[str, Any]


class TimelinePublic(BaseModel):
    """Every event about one asset in chain order, up to ``as_of_block``."""

    as_of_block: int
    as_of_time: datetime | None
    asset: ProvenanceAssetPublic
    entries: list[TimelineEntryPublic]


class CustodyPeriodPublic(BaseModel):
    holder: str
    reason: str = Field(description="how the holder acquired it: issued, sale, inheritance, ...")
    previous_holder: str | None
    document_hash: str | None
    from_block: int
    from_time: datetime
    from_tx_hash: str
    to_block: int | None = Field(description="null: still held as of the answer's block")
    to_time: datetime | None


class CustodyPublic(BaseModel):
    as_of_block: int
    as_of_time: datetime | None
    asset: ProvenanceAssetPublic
    periods: list[CustodyPeriodPublic]


class LineageNodePublic(BaseModel):
    id: int
    registration_number: str
    certificate_number: str | None
    name: str | None
    kind: str
    level: str
    status: str
    relation: str = Field(description="subject, ancestor or descendant")
    depth: int


class LineageEdgePublic(BaseModel):
    """``from`` (a product) derives from ``to``."""

    model_config = ConfigDict(populate_by_name=True)

    from_: int = Field(alias="from")
    to: int


class LineagePublic(BaseModel):
    as_of_block: int
    as_of_time: datetime | None
    asset: ProvenanceAssetPublic
    nodes: list[LineageNodePublic]
    edges: list[LineageEdgePublic]


class TraceEntryPublic(BaseModel):
    relation: str = Field(description="holder, licensor, licensee, pledgor or pledgee")
    token_id: int
    certificate_number: str | None
    registration_number: str
    level: str
    reason: str | None
    counterparty: str | None
    reference: str | None = Field(description="licence voucher number or pledge id")
    from_block: int
    from_time: datetime
    from_tx_hash: str
    to_block: int | None
    to_time: datetime | None
    details: dict[str, Any]


class PartyTracePublic(BaseModel):
    as_of_block: int
    as_of_time: datetime | None
    party: str
    entries: list[TraceEntryPublic]


# --- statistics (regulator) ------------------------------------------------------------------

Amounts = dict[str, str]
"""Money per ISO 4217 currency, major units as exact decimal strings (``{"CNY": "1200.00"}``)."""


class StatisticsGroupPublic(BaseModel):
    key: str = Field(description="stable key: the value grouped by, or 'unknown'")
    label: str
    label_en: str
    certificates: int
    valued: int = Field(description="certificates with a latest valuation")
    valuation: Amounts = Field(description="total of their latest valuations per currency")


class MonthVolumePublic(BaseModel):
    month: str = Field(description="YYYY-MM, Beijing time (UTC+8)")
    issued: int
    transfers: int
    licences: int
    sublicences: int
    pledges: int
    pledged: Amounts = Field(description="amounts secured by the pledges registered")


class LenderExposurePublic(BaseModel):
    lender: str
    pledges: int = Field(description="live pledges held")
    certificates: int
    secured: Amounts
    valuation: Amounts = Field(description="latest valuations of the pledged certificates")


class StatisticsPublic(BaseModel):
    """数据资产统计 as of ``as_of_block`` (docs/reports.md)."""

    as_of_block: int
    as_of_time: datetime | None
    chain_id: int
    month_zone: str
    certificates: int
    valued: int
    valuation: Amounts
    pledged: int
    frozen: int
    groups: dict[str, list[StatisticsGroupPublic]] = Field(
        description="industry, category, level, province, region, registrar, kind, status, "
        "accounting_class"
    )
    months: list[MonthVolumePublic]
    lenders: list[LenderExposurePublic]
