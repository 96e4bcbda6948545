"""Decode: raw logs to events, and events to the typed domain records the mirror serves.

Second stage of the indexer pipeline (fetch -> decode -> store -> serve). Every fetched log is
kept as a raw event; the ones the registry's ABIs know are decoded, and the ones that have a
domain meaning also become a typed record: ``EvidenceRegistry.EvidenceAnchored`` ->
:class:`EvidenceRecord`, and the registration lifecycle of ``DataAssetRegistry`` (applications,
review, notice, objections, certificates, registrars) -> one frozen dataclass per event, the
:data:`RegistryRecord` union, which :mod:`.store` applies to the mirror; the events of
``TransferAgent`` (transfers, pledges, consents, freezes, approvals, cross-border records, party
countries) and ``LicenceRegistry`` (licences granted and terminated) likewise become the
:data:`RightsRecord` union; the events of ``ValuationRegistry`` (appraisers accredited and
removed, valuations submitted and withdrawn, accounting classes set) become the
:data:`ValuationRecord` union. Events without a mapping (ERC-721 ``Transfer``, ``RoleGranted``,
``ValidityPeriodSet``, ``ImportantDataApprovalRequired`` ...) stay raw events only.

Records are built from the event alone plus the timestamp of its block (from the header the
fetcher already holds): no contract is called. Numbers the contract computed are recomputed and
must agree: an ``ApplicationSubmitted`` whose ``registrationNumber`` differs from
:func:`registry.domain.numbers.registration_number` of its own fields raises
:class:`IndexerError`, and so does a ``LicenceGranted`` whose ``voucherNumber`` is not
:func:`registry.domain.rights.voucher_number` of its licence.

Which contract a log belongs to is decided by its address (from the deployment manifest), not
by its topic, so two contracts sharing an event signature cannot be confused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from typing import Any, TypeAlias, TypeGuard

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry.chain.abi import AbiCodec
from registry.domain.chain import ChainEvent, ChainLog
from registry.domain.evidence import EvidenceRecord
from registry.domain.numbers import registration_number
from registry.domain.registration import AssetKind, Classification, Right
from registry.domain.rights import (
    ConsentAction,
    CrossBorderMechanism,
    TransferReason,
    right_of_bit,
    voucher_number,
)
from registry.domain.valuation import (
    AccountingClass,
    ValuationMethod,
    ValuationPurpose,
    ValueType,
)
from registry.errors import IndexerError, InputError
from registry.indexer.fetch import FetchedBatch

REGISTRY = "DataAssetRegistry"
AGENT = "TransferAgent"
LICENCES = "LicenceRegistry"
VALUATIONS = "ValuationRegistry"

#: ``DataAssetRegistry.REGISTRAR_ROLE``: revoking it unbinds a registrar account.
REGISTRAR_ROLE = "0x" + keccak(text="REGISTRAR_ROLE").hex()


# --- records of the registration lifecycle ----------------------------------------------------
# Hashes are 0x-prefixed lowercase hex, addresses EIP-55 checksummed, times timezone-aware UTC.


@dataclass(frozen=True)
class RegistrarConfiguredRecord:
    code: int
    active: bool
    objections_open_to_all: bool
    evidence_required: bool
    notice_period: int


@dataclass(frozen=True)
class RegistrarAccountSetRecord:
    code: int
    account: str
    enabled: bool


@dataclass(frozen=True)
class RegistrarRoleRevokedRecord:
    """``RoleRevoked`` of ``REGISTRAR_ROLE``: the account no longer acts for any registrar."""

    account: str


@dataclass(frozen=True)
class ApplicationSubmittedRecord:
    registration_id: int
    applicant: str
    registrar_code: int
    registration_number: str
    kind: AssetKind
    rights: int
    level: Classification
    data_source: int
    applicant_type: int
    source_agreement_end: int | None
    fingerprint: str
    metadata_hash: str
    parents: tuple[int, ...]
    relayer: str
    submitted_at: datetime


@dataclass(frozen=True)
class ApplicationAcceptedRecord:
    registration_id: int
    registrar: str


@dataclass(frozen=True)
class ApplicationReturnedRecord:
    registration_id: int
    registrar: str
    reason_code: int
    reason_hash: str


@dataclass(frozen=True)
class ApplicationResubmittedRecord:
    registration_id: int
    fingerprint: str
    metadata_hash: str


@dataclass(frozen=True)
class ApplicationRejectedRecord:
    registration_id: int
    registrar: str
    reason_code: int
    reason_hash: str


@dataclass(frozen=True)
class NoticeOpenedRecord:
    registration_id: int
    registrar: str
    notice_start: datetime
    notice_end: datetime


@dataclass(frozen=True)
class ObjectionFiledRecord:
    objection_id: int
    registration_id: int
    objector: str
    evidence_hash: str
    filed_at: datetime


@dataclass(frozen=True)
class ObjectionRuledRecord:
    objection_id: int
    registration_id: int
    upheld: bool
    reason_hash: str
    registrar: str
    ruled_at: datetime


@dataclass(frozen=True)
class StandingGrantedRecord:
    registration_id: int
    party: str


@dataclass(frozen=True)
class CertificateIssuedRecord:
    registration_id: int
    holder: str
    certificate_number: str
    issued_at: datetime
    valid_until: datetime
    fingerprint: str
    metadata_hash: str


@dataclass(frozen=True)
class AssetChangedRecord:
    registration_id: int
    version: int
    fingerprint: str
    metadata_hash: str
    correction: bool
    by: str
    changed_at: datetime


@dataclass(frozen=True)
class CertificateRenewedRecord:
    registration_id: int
    valid_until: datetime
    source_agreement_end: int | None


@dataclass(frozen=True)
class CertificateCancelledRecord:
    registration_id: int
    holder: str
    reason_hash: str


@dataclass(frozen=True)
class CertificateRevokedRecord:
    registration_id: int
    registrar: str
    reason_code: int
    reason_hash: str


#: A record of the registration lifecycle (one per ``DataAssetRegistry`` event that has one).
RegistryRecord: TypeAlias = (
    RegistrarConfiguredRecord
    | RegistrarAccountSetRecord
    | RegistrarRoleRevokedRecord
    | ApplicationSubmittedRecord
    | ApplicationAcceptedRecord
    | ApplicationReturnedRecord
    | ApplicationResubmittedRecord
    | ApplicationRejectedRecord
    | NoticeOpenedRecord
    | ObjectionFiledRecord
    | ObjectionRuledRecord
    | StandingGrantedRecord
    | CertificateIssuedRecord
    | AssetChangedRecord
    | CertificateRenewedRecord
    | CertificateCancelledRecord
    | CertificateRevokedRecord
)

#: The classes of :data:`RegistryRecord`, for ``isinstance``.
REGISTRY_RECORD_TYPES: tuple[type, ...] = (
    RegistrarConfiguredRecord,
    RegistrarAccountSetRecord,
    RegistrarRoleRevokedRecord,
    ApplicationSubmittedRecord,
    ApplicationAcceptedRecord,
    ApplicationReturnedRecord,
    ApplicationResubmittedRecord,
    ApplicationRejectedRecord,
    NoticeOpenedRecord,
    ObjectionFiledRecord,
    ObjectionRuledRecord,
    StandingGrantedRecord,
    CertificateIssuedRecord,
    AssetChangedRecord,
    CertificateRenewedRecord,
    CertificateCancelledRecord,
    CertificateRevokedRecord,
)

# --- records of rights: transfers, pledges, freezes, approvals, licences ------------------------


@dataclass(frozen=True)
class CertificateTransferredRecord:
    """A movement of a certificate; ``document_hash`` is ``None`` for the zero hash (for an
    enforcement it is the pledge id as 32 bytes)."""

    token_id: int
    from_: str
    to: str
    reason: TransferReason
    document_hash: str | None
    transferred_at: datetime


@dataclass(frozen=True)
class PledgeRegisteredRecord:
    pledge_id: int
    token_id: int
    pledgor: str
    pledgee: str
    secured_amount: int
    currency: str
    loan_ref: str
    registered_at: datetime
    maturity: datetime
    relayer: str


@dataclass(frozen=True)
class PledgeReleasedRecord:
    pledge_id: int
    token_id: int
    pledgee: str
    released_at: datetime


@dataclass(frozen=True)
class PledgeEnforcedRecord:
    pledge_id: int
    token_id: int
    to: str
    pledgee: str
    enforced_at: datetime


@dataclass(frozen=True)
class PledgeConsentGrantedRecord:
    pledge_id: int
    token_id: int
    action: ConsentAction
    counterparty: str
    at: datetime


@dataclass(frozen=True)
class PledgeConsentUsedRecord:
    pledge_id: int
    token_id: int
    action: ConsentAction
    counterparty: str
    at: datetime


@dataclass(frozen=True)
class PledgorChangedRecord:
    pledge_id: int
    token_id: int
    pledgor: str
    at: datetime


@dataclass(frozen=True)
class CertificateFrozenRecord:
    token_id: int
    regulator: str
    case_ref: str
    at: datetime


@dataclass(frozen=True)
class CertificateUnfrozenRecord:
    token_id: int
    regulator: str
    case_ref: str
    at: datetime


@dataclass(frozen=True)
class TransferApprovedRecord:
    """``expiry`` ``None``: the approval was withdrawn (set to 0)."""

    token_id: int
    to: str
    expiry: datetime | None
    regulator: str


@dataclass(frozen=True)
class CrossBorderRecordedRecord:
    token_id: int
    recipient: str
    mechanism: CrossBorderMechanism
    expiry: datetime | None
    country: str
    approval_number_hash: str
    regulator: str


@dataclass(frozen=True)
class PartyCountrySetRecord:
    """``country`` ``None``: cleared (the party counts as domestic again)."""

    party: str
    country: str | None
    regulator: str


@dataclass(frozen=True)
class LicenceGrantedRecord:
    licence_id: int
    token_id: int
    parent_id: int | None
    voucher_number: str
    licensor: str
    licensee: str
    right: Right
    exclusive: bool
    sublicensable: bool
    purposes: int
    territories: int
    granted_at: datetime
    start: datetime
    end: datetime
    terms_hash: str
    fee_terms_hash: str | None
    relayer: str


@dataclass(frozen=True)
class LicenceTerminatedRecord:
    licence_id: int
    token_id: int
    by: str
    reason_hash: str | None
    terminated_at: datetime


#: A record of rights over certificates (one per TransferAgent / LicenceRegistry event that has
#: one).
RightsRecord: TypeAlias = (
    CertificateTransferredRecord
    | PledgeRegisteredRecord
    | PledgeReleasedRecord
    | PledgeEnforcedRecord
    | PledgeConsentGrantedRecord
    | PledgeConsentUsedRecord
    | PledgorChangedRecord
    | CertificateFrozenRecord
    | CertificateUnfrozenRecord
    | TransferApprovedRecord
    | CrossBorderRecordedRecord
    | PartyCountrySetRecord
    | LicenceGrantedRecord
    | LicenceTerminatedRecord
)

#: The classes of :data:`RightsRecord`, for ``isinstance``.
RIGHTS_RECORD_TYPES: tuple[type, ...] = (
    CertificateTransferredRecord,
    PledgeRegisteredRecord,
    PledgeReleasedRecord,
    PledgeEnforcedRecord,
    PledgeConsentGrantedRecord,
    PledgeConsentUsedRecord,
    PledgorChangedRecord,
    CertificateFrozenRecord,
    CertificateUnfrozenRecord,
    TransferApprovedRecord,
    CrossBorderRecordedRecord,
    PartyCountrySetRecord,
    LicenceGrantedRecord,
    LicenceTerminatedRecord,
)

# --- records of valuations: appraisers, valuations, accounting classes ---------------------------


@dataclass(frozen=True)
class AppraiserAccreditedRecord:
    appraiser: str
    accreditation_hash: str
    by: str
    at: datetime


@dataclass(frozen=True)
class AppraiserRemovedRecord:
    """``reason_hash`` ``None``: no reasons document (the zero hash)."""

    appraiser: str
    reason_hash: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class ValuationSubmittedRecord:
    """A valuation as the contract stored it; ``value`` is in minor units of ``currency``;
    ``facts_hash`` and ``report_uri`` are ``None`` when zero or empty."""

    valuation_id: int
    token_id: int
    appraiser: str
    asset_version: int
    value: int
    currency: str
    method: ValuationMethod
    value_type: ValueType
    purpose: ValuationPurpose
    base_date: datetime
    submitted_at: datetime
    report_hash: str
    facts_hash: str | None
    report_uri: str | None


@dataclass(frozen=True)
class ValuationWithdrawnRecord:
    valuation_id: int
    token_id: int
    appraiser: str
    reason_hash: str | None
    withdrawn_at: datetime


@dataclass(frozen=True)
class AccountingClassSetRecord:
    token_id: int
    accounting_class: AccountingClass
    holder: str
    set_at: datetime


#: A record of ``ValuationRegistry`` (one per event).
ValuationRecord: TypeAlias = (
    AppraiserAccreditedRecord
    | AppraiserRemovedRecord
    | ValuationSubmittedRecord
    | ValuationWithdrawnRecord
    | AccountingClassSetRecord
)

#: The classes of :data:`ValuationRecord`, for ``isinstance``.
VALUATION_RECORD_TYPES: tuple[type, ...] = (
    AppraiserAccreditedRecord,
    AppraiserRemovedRecord,
    ValuationSubmittedRecord,
    ValuationWithdrawnRecord,
    AccountingClassSetRecord,
)

#: A typed record derived from one event.
DomainRecord: TypeAlias = EvidenceRecord | RegistryRecord | RightsRecord | ValuationRecord


def is_registry_record(record: object) -> TypeGuard[RegistryRecord]:
    """Whether ``record`` belongs to the registration lifecycle."""
    return isinstance(record, REGISTRY_RECORD_TYPES)


def is_rights_record(record: object) -> TypeGuard[RightsRecord]:
    """Whether ``record`` is about transfers, pledges, freezes, approvals or licences."""
    return isinstance(record, RIGHTS_RECORD_TYPES)


def is_valuation_record(record: object) -> TypeGuard[ValuationRecord]:
    """Whether ``record`` is about appraisers, valuations or accounting classes."""
    return isinstance(record, VALUATION_RECORD_TYPES)


@dataclass(frozen=True)
class DecodedLog:
    """One log with what could be made of it.

    ``contract`` is the manifest name of the emitting contract; ``event`` is ``None`` when the
    ABIs do not know the log's topic, ``record`` is ``None`` when the event has no domain mapping.
    """

    log: ChainLog
    contract: str | None
    event: ChainEvent | None
    record: DomainRecord | None

    @property
    def args(self) -> dict[str, Any] | None:
        """The decoded arguments in JSON-safe form (hex strings for bytes, lists for tuples)."""
        return None if self.event is None else {k: json_safe(v) for k, v in self.event.args.items()}

    @property
    def args_json(self) -> str:
        """:attr:`args` as the JSON text the mirror stores (``null`` for an unknown event).

        The same text as ``json.dumps(self.args)``, written straight from the decoded values
        (bytes become hex as they are met) instead of through a JSON-safe copy first.
        """
        return "null" if self.event is None else args_json(self.event.args)


@dataclass(frozen=True)
class DecodedBatch:
    """A fetched batch with every log decoded."""

    fetched: FetchedBatch
    logs: tuple[DecodedLog, ...]

    @property
    def evidence(self) -> list[tuple[ChainLog, EvidenceRecord]]:
        """The evidence records of the batch, each with the log it came from."""
        return [(d.log, d.record) for d in self.logs if isinstance(d.record, EvidenceRecord)]

    @property
    def registry(self) -> list[tuple[ChainLog, RegistryRecord]]:
        """The registration-lifecycle records of the batch with their logs, in chain order."""
        found = [(d.log, d.record) for d in self.logs if is_registry_record(d.record)]
        return sorted(found, key=lambda pair: (pair[0].block_number, pair[0].log_index))

    @property
    def rights(self) -> list[tuple[ChainLog, RightsRecord]]:
        """The rights records of the batch (transfers, pledges, freezes, approvals, licences)
        with their logs, in chain order."""
        found = [(d.log, d.record) for d in self.logs if is_rights_record(d.record)]
        return sorted(found, key=lambda pair: (pair[0].block_number, pair[0].log_index))

    @property
    def valuation(self) -> list[tuple[ChainLog, ValuationRecord]]:
        """The valuation records of the batch (appraisers, valuations, accounting classes)
        with their logs, in chain order."""
        found = [(d.log, d.record) for d in self.logs if is_valuation_record(d.record)]
        return sorted(found, key=lambda pair: (pair[0].block_number, pair[0].log_index))


def json_safe(value: Any) -> Any:
    """``value`` with bytes as ``0x`` hex and tuples as lists, recursively."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, tuple | list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return value


def _bytes_as_hex(value: Any) -> Any:
    """JSON for what :mod:`json` has no type for: bytes as ``0x`` hex (as :func:`json_safe`)."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    raise TypeError(f"a {type(value).__name__} has no JSON form")


#: ``json.dumps``'s output (same separators, ASCII only), with bytes as ``0x`` hex.
_ARGS_ENCODER = json.JSONEncoder(default=_bytes_as_hex)


def args_json(args: Mapping[str, Any]) -> str:
    """Decoded event arguments as JSON text, exactly as ``json.dumps(json_safe(args))``.

    The flat case (names to strings, integers, booleans, ``None`` and bytes: most events) is
    written directly, a few times faster than :mod:`json`'s encoder calling back for every
    bytes value; anything else (tuples, lists) goes through the encoder.
    """
    parts: list[str] = []
    for name, value in args.items():
        kind = value.__class__
        if kind is str:
            text = encode_basestring_ascii(value)
        elif kind is bytes:
            text = '"0x' + value.hex() + '"'
        elif kind is int:
            text = int.__repr__(value)
        elif kind is bool:
            text = "true" if value else "false"
        elif value is None:
            text = "null"
        else:
            return _ARGS_ENCODER.encode(args)
        if name.__class__ is not str:
            return _ARGS_ENCODER.encode(args)
        parts.append(encode_basestring_ascii(name) + ": " + text)
    return "{" + ", ".join(parts) + "}"


def topics_json(topics: Sequence[str]) -> str:
    """``topics`` as JSON text, exactly as ``json.dumps(list(topics))`` writes it."""
    return "[" + ", ".join(map(encode_basestring_ascii, topics)) + "]"


def _fingerprint(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value).removeprefix("0x"))


def _where(event: ChainEvent) -> str:
    log = event.log
    return f"{event.name} (log {log.log_index} of block {log.block_number}, tx {log.tx_hash})"


def _hash(value: Any) -> str:
    """A ``bytes32`` argument as ``0x`` and 64 lowercase hex digits."""
    return "0x" + _fingerprint(value).hex()


def _utc(event: ChainEvent, seconds: int) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise IndexerError(
            f"{_where(event)} carries the time {seconds}, which is not a representable date",
            block_number=event.log.block_number,
            log_index=event.log.log_index,
        ) from exc


def _block_time(event: ChainEvent, timestamp: int | None) -> datetime:
    if timestamp is None:
        raise IndexerError(
            f"{_where(event)} needs the timestamp of its block, and none was given",
            block_number=event.log.block_number,
            log_index=event.log.log_index,
        )
    return _utc(event, timestamp)


def _optional_time(seconds: Any) -> int | None:
    """A ``uint48`` time where 0 means "none" (kept as unix seconds)."""
    value = int(seconds)
    return value or None


def _member(event: ChainEvent, members: list[Any], index: Any, what: str) -> Any:
    try:
        return members[int(index)]
    except IndexError:
        raise IndexerError(
            f"{_where(event)} names {what} {index}, which the registry does not define",
            block_number=event.log.block_number,
            log_index=event.log.log_index,
        ) from None


def evidence_from_event(event: ChainEvent, _timestamp: int | None = None) -> EvidenceRecord:
    """The :class:`EvidenceRecord` an ``EvidenceAnchored`` event states."""
    args = event.args
    return EvidenceRecord(
        fingerprint=_fingerprint(args["fingerprint"]),
        anchorer=str(args["anchorer"]),
        relayer=str(args["relayer"]),
        anchored_at=EvidenceRecord.timestamp(int(args["anchoredAt"])),
        block_number=event.log.block_number,
        tx_hash=event.log.tx_hash,
    )


def _submitted(event: ChainEvent, timestamp: int | None) -> ApplicationSubmittedRecord:
    a = event.args
    reg_id = int(a["id"])
    submitted_at = _block_time(event, timestamp)
    data_source = int(a["dataSource"])
    applicant_type = int(a["applicantType"])
    stated = str(int(a["registrationNumber"]))
    computed = registration_number(
        int(submitted_at.timestamp()), data_source, applicant_type, reg_id
    )
    if computed != stated:
        raise IndexerError(
            f"{_where(event)} states registration number {stated} for registration {reg_id}, but "
            f"its fields and block time give {computed}: the contract and "
            "registry.domain.numbers disagree",
            block_number=event.log.block_number,
            log_index=event.log.log_index,
        )
    return ApplicationSubmittedRecord(
        registration_id=reg_id,
        applicant=str(a["applicant"]),
        registrar_code=int(a["registrarCode"]),
        registration_number=computed,
        kind=_member(event, list(AssetKind), a["kind"], "asset kind"),
        rights=int(a["rights"]),
        level=_member(event, list(Classification), a["level"], "classification"),
        data_source=data_source,
        applicant_type=applicant_type,
        source_agreement_end=_optional_time(a["sourceAgreementEnd"]),
        fingerprint=_hash(a["fingerprint"]),
        metadata_hash=_hash(a["metadataHash"]),
        parents=tuple(int(p) for p in a["parents"]),
        relayer=str(a["relayer"]),
        submitted_at=submitted_at,
    )


def _configured(event: ChainEvent, _timestamp: int | None) -> RegistrarConfiguredRecord:
    a = event.args
    return RegistrarConfiguredRecord(
        code=int(a["code"]),
        active=bool(a["active"]),
        objections_open_to_all=bool(a["objectionsOpenToAll"]),
        evidence_required=bool(a["evidenceRequired"]),
        notice_period=int(a["noticePeriod"]),
    )


def _account_set(event: ChainEvent, _timestamp: int | None) -> RegistrarAccountSetRecord:
    a = event.args
    return RegistrarAccountSetRecord(
        code=int(a["code"]), account=str(a["account"]), enabled=bool(a["enabled"])
    )


def _role_revoked(event: ChainEvent, _timestamp: int | None) -> RegistrarRoleRevokedRecord | None:
    if _hash(event.args["role"]) != REGISTRAR_ROLE:
        return None
    return RegistrarRoleRevokedRecord(account=str(event.args["account"]))


def _accepted(event: ChainEvent, _timestamp: int | None) -> ApplicationAcceptedRecord:
    a = event.args
    return ApplicationAcceptedRecord(registration_id=int(a["id"]), registrar=str(a["registrar"]))


def _returned(event: ChainEvent, _timestamp: int | None) -> ApplicationReturnedRecord:
    a = event.args
    return ApplicationReturnedRecord(
        registration_id=int(a["id"]),
        registrar=str(a["registrar"]),
        reason_code=int(a["reasonCode"]),
        reason_hash=_hash(a["reasonHash"]),
    )


def _resubmitted(event: ChainEvent, _timestamp: int | None) -> ApplicationResubmittedRecord:
    a = event.args
    return ApplicationResubmittedRecord(
        registration_id=int(a["id"]),
        fingerprint=_hash(a["fingerprint"]),
        metadata_hash=_hash(a["metadataHash"]),
    )


def _rejected(event: ChainEvent, _timestamp: int | None) -> ApplicationRejectedRecord:
    a = event.args
    return ApplicationRejectedRecord(
        registration_id=int(a["id"]),
        registrar=str(a["registrar"]),
        reason_code=int(a["reasonCode"]),
        reason_hash=_hash(a["reasonHash"]),
    )


def _notice(event: ChainEvent, _timestamp: int | None) -> NoticeOpenedRecord:
    a = event.args
    return NoticeOpenedRecord(
        registration_id=int(a["id"]),
        registrar=str(a["registrar"]),
        notice_start=_utc(event, int(a["noticeStart"])),
        notice_end=_utc(event, int(a["noticeEnd"])),
    )


def _filed(event: ChainEvent, timestamp: int | None) -> ObjectionFiledRecord:
    a = event.args
    return ObjectionFiledRecord(
        objection_id=int(a["objectionId"]),
        registration_id=int(a["id"]),
        objector=str(a["objector"]),
        evidence_hash=_hash(a["evidenceHash"]),
        filed_at=_block_time(event, timestamp),
    )


def _ruled(event: ChainEvent, timestamp: int | None) -> ObjectionRuledRecord:
    a = event.args
    return ObjectionRuledRecord(
        objection_id=int(a["objectionId"]),
        registration_id=int(a["id"]),
        upheld=bool(a["upheld"]),
        reason_hash=_hash(a["reasonHash"]),
        registrar=str(a["registrar"]),
        ruled_at=_block_time(event, timestamp),
    )


def _standing(event: ChainEvent, _timestamp: int | None) -> StandingGrantedRecord:
    a = event.args
    return StandingGrantedRecord(registration_id=int(a["id"]), party=str(a["party"]))


def _issued(event: ChainEvent, _timestamp: int | None) -> CertificateIssuedRecord:
    a = event.args
    return CertificateIssuedRecord(
        registration_id=int(a["id"]),
        holder=str(a["holder"]),
        certificate_number=str(int(a["certificateNumber"])),
        issued_at=_utc(event, int(a["issuedAt"])),
        valid_until=_utc(event, int(a["validUntil"])),
        fingerprint=_hash(a["fingerprint"]),
        metadata_hash=_hash(a["metadataHash"]),
    )


def _changed(event: ChainEvent, timestamp: int | None) -> AssetChangedRecord:
    a = event.args
    return AssetChangedRecord(
        registration_id=int(a["id"]),
        version=int(a["version"]),
        fingerprint=_hash(a["fingerprint"]),
        metadata_hash=_hash(a["metadataHash"]),
        correction=bool(a["correction"]),
        by=str(a["by"]),
        changed_at=_block_time(event, timestamp),
    )


def _renewed(event: ChainEvent, _timestamp: int | None) -> CertificateRenewedRecord:
    a = event.args
    return CertificateRenewedRecord(
        registration_id=int(a["id"]),
        valid_until=_utc(event, int(a["validUntil"])),
        source_agreement_end=_optional_time(a["sourceAgreementEnd"]),
    )


def _cancelled(event: ChainEvent, _timestamp: int | None) -> CertificateCancelledRecord:
    a = event.args
    return CertificateCancelledRecord(
        registration_id=int(a["id"]), holder=str(a["holder"]), reason_hash=_hash(a["reasonHash"])
    )


def _revoked(event: ChainEvent, _timestamp: int | None) -> CertificateRevokedRecord:
    a = event.args
    return CertificateRevokedRecord(
        registration_id=int(a["id"]),
        registrar=str(a["registrar"]),
        reason_code=int(a["reasonCode"]),
        reason_hash=_hash(a["reasonHash"]),
    )


def _address(value: Any) -> str:
    """An address from an event argument or a struct member (eth-abi leaves those lowercase)."""
    return str(to_checksum_address(str(value)))


def _optional_hash(value: Any) -> str | None:
    text = _hash(value)
    return None if int(text, 16) == 0 else text


def _ascii(event: ChainEvent, value: Any, what: str) -> str:
    raw = _fingerprint(value).rstrip(b"\0")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise IndexerError(
            f"{_where(event)} carries the {what} {raw!r}, which is not ASCII",
            block_number=event.log.block_number,
            log_index=event.log.log_index,
        ) from None


def _transferred(event: ChainEvent, timestamp: int | None) -> CertificateTransferredRecord:
    a = event.args
    return CertificateTransferredRecord(
        token_id=int(a["tokenId"]),
        from_=_address(a["from"]),
        to=_address(a["to"]),
        reason=_member(event, list(TransferReason), a["reason"], "transfer reason"),
        document_hash=_optional_hash(a["documentHash"]),
        transferred_at=_block_time(event, timestamp),
    )


def _pledge_registered(event: ChainEvent, _timestamp: int | None) -> PledgeRegisteredRecord:
    a = event.args
    token_id, pledgor, pledgee, amount, currency, registered_at, maturity, status, loan_ref = a[
        "record"
    ]
    if int(token_id) != int(a["tokenId"]) or _address(pledgee) != _address(a["pledgee"]):
        raise IndexerError(
            f"{_where(event)} indexes token {a['tokenId']} and pledgee {a['pledgee']} but its "
            f"record states token {token_id} and pledgee {pledgee}",
            block_number=event.log.block_number,
            log_index=event.log.log_index,
        )
    if int(status) != 1:
        raise IndexerError(
            f"{_where(event)} registers pledge {a['pledgeId']} with status {status}, not live",
            block_number=event.log.block_number,
            log_index=event.log.log_index,
        )
    return PledgeRegisteredRecord(
        pledge_id=int(a["pledgeId"]),
        token_id=int(token_id),
        pledgor=_address(pledgor),
        pledgee=_address(pledgee),
        secured_amount=int(amount),
        currency=_ascii(event, currency, "currency"),
        loan_ref=_hash(loan_ref),
        registered_at=_utc(event, int(registered_at)),
        maturity=_utc(event, int(maturity)),
        relayer=_address(a["relayer"]),
    )


def _pledge_released(event: ChainEvent, timestamp: int | None) -> PledgeReleasedRecord:
    a = event.args
    return PledgeReleasedRecord(
        pledge_id=int(a["pledgeId"]),
        token_id=int(a["tokenId"]),
        pledgee=_address(a["pledgee"]),
        released_at=_block_time(event, timestamp),
    )


def _pledge_enforced(event: ChainEvent, timestamp: int | None) -> PledgeEnforcedRecord:
    a = event.args
    return PledgeEnforcedRecord(
        pledge_id=int(a["pledgeId"]),
        token_id=int(a["tokenId"]),
        to=_address(a["to"]),
        pledgee=_address(a["pledgee"]),
        enforced_at=_block_time(event, timestamp),
    )


def _consent_granted(event: ChainEvent, timestamp: int | None) -> PledgeConsentGrantedRecord:
    a = event.args
    return PledgeConsentGrantedRecord(
        pledge_id=int(a["pledgeId"]),
        token_id=int(a["tokenId"]),
        action=_member(event, list(ConsentAction), a["action"], "consent action"),
        counterparty=_address(a["counterparty"]),
        at=_block_time(event, timestamp),
    )


def _consent_used(event: ChainEvent, timestamp: int | None) -> PledgeConsentUsedRecord:
    a = event.args
    return PledgeConsentUsedRecord(
        pledge_id=int(a["pledgeId"]),
        token_id=int(a["tokenId"]),
        action=_member(event, list(ConsentAction), a["action"], "consent action"),
        counterparty=_address(a["counterparty"]),
        at=_block_time(event, timestamp),
    )


def _pledgor_changed(event: ChainEvent, timestamp: int | None) -> PledgorChangedRecord:
    a = event.args
    return PledgorChangedRecord(
        pledge_id=int(a["pledgeId"]),
        token_id=int(a["tokenId"]),
        pledgor=_address(a["pledgor"]),
        at=_block_time(event, timestamp),
    )


def _frozen(event: ChainEvent, timestamp: int | None) -> CertificateFrozenRecord:
    a = event.args
    return CertificateFrozenRecord(
        token_id=int(a["tokenId"]),
        regulator=_address(a["regulator"]),
        case_ref=_hash(a["caseRef"]),
        at=_block_time(event, timestamp),
    )


def _unfrozen(event: ChainEvent, timestamp: int | None) -> CertificateUnfrozenRecord:
    a = event.args
    return CertificateUnfrozenRecord(
        token_id=int(a["tokenId"]),
        regulator=_address(a["regulator"]),
        case_ref=_hash(a["caseRef"]),
        at=_block_time(event, timestamp),
    )


def _approved(event: ChainEvent, _timestamp: int | None) -> TransferApprovedRecord:
    a = event.args
    expiry = int(a["expiry"])
    return TransferApprovedRecord(
        token_id=int(a["tokenId"]),
        to=_address(a["to"]),
        expiry=_utc(event, expiry) if expiry else None,
        regulator=_address(a["regulator"]),
    )


def _cross_border(event: ChainEvent, _timestamp: int | None) -> CrossBorderRecordedRecord:
    a = event.args
    expiry = int(a["expiry"])
    return CrossBorderRecordedRecord(
        token_id=int(a["tokenId"]),
        recipient=_address(a["recipient"]),
        mechanism=_member(event, list(CrossBorderMechanism), a["mechanism"], "mechanism"),
        expiry=_utc(event, expiry) if expiry else None,
        country=_ascii(event, a["country"], "country"),
        approval_number_hash=_hash(a["approvalNumberHash"]),
        regulator=_address(a["regulator"]),
    )


def _country(event: ChainEvent, _timestamp: int | None) -> PartyCountrySetRecord:
    a = event.args
    return PartyCountrySetRecord(
        party=_address(a["party"]),
        country=_ascii(event, a["country"], "country") or None,
        regulator=_address(a["regulator"]),
    )


def _licence_granted(event: ChainEvent, _timestamp: int | None) -> LicenceGrantedRecord:
    a = event.args
    licence_id = int(a["licenceId"])
    (
        token_id,
        parent_id,
        licensor,
        granted_at,
        start,
        licensee,
        end,
        right,
        exclusive,
        sublicensable,
        _status,
        purposes,
        territories,
        terms_hash,
        fee_terms_hash,
    ) = a["licence"]
    where = {"block_number": event.log.block_number, "log_index": event.log.log_index}
    if int(token_id) != int(a["tokenId"]) or _address(licensee) != _address(a["licensee"]):
        raise IndexerError(
            f"{_where(event)} indexes token {a['tokenId']} and licensee {a['licensee']} but its "
            f"record states token {token_id} and licensee {licensee}",
            **where,
        )
    try:
        licensed = right_of_bit(int(right))
    except InputError:
        raise IndexerError(
            f"{_where(event)} licenses right {right}, which is no right", **where
        ) from None
    stated = str(int(a["voucherNumber"]))
    computed = voucher_number(int(granted_at), licensed, bool(exclusive), licence_id)
    if stated != computed:
        raise IndexerError(
            f"{_where(event)} states voucher number {stated} for licence {licence_id}, but its "
            f"fields give {computed}: the contract and registry.domain.rights disagree",
            **where,
        )
    return LicenceGrantedRecord(
        licence_id=licence_id,
        token_id=int(token_id),
        parent_id=int(parent_id) or None,
        voucher_number=computed,
        licensor=_address(licensor),
        licensee=_address(licensee),
        right=licensed,
        exclusive=bool(exclusive),
        sublicensable=bool(sublicensable),
        purposes=int(purposes),
        territories=int(territories),
        granted_at=_utc(event, int(granted_at)),
        start=_utc(event, int(start)),
        end=_utc(event, int(end)),
        terms_hash=_hash(terms_hash),
        fee_terms_hash=_optional_hash(fee_terms_hash),
        relayer=_address(a["relayer"]),
    )


def _licence_terminated(event: ChainEvent, timestamp: int | None) -> LicenceTerminatedRecord:
    a = event.args
    return LicenceTerminatedRecord(
        licence_id=int(a["licenceId"]),
        token_id=int(a["tokenId"]),
        by=_address(a["by"]),
        reason_hash=_optional_hash(a["reasonHash"]),
        terminated_at=_block_time(event, timestamp),
    )


def _chosen(event: ChainEvent, members: list[Any], index: Any, what: str) -> Any:
    """A member of a valuation enum other than its ``None`` (which the contract refuses)."""
    member = _member(event, members, index, what)
    if member is members[0]:
        raise IndexerError(
            f"{_where(event)} names {what} {index} (none), which the contract refuses",
            block_number=event.log.block_number,
            log_index=event.log.log_index,
        )
    return member


def _accredited(event: ChainEvent, timestamp: int | None) -> AppraiserAccreditedRecord:
    a = event.args
    return AppraiserAccreditedRecord(
        appraiser=_address(a["appraiser"]),
        accreditation_hash=_hash(a["accreditationHash"]),
        by=_address(a["by"]),
        at=_block_time(event, timestamp),
    )


def _removed(event: ChainEvent, timestamp: int | None) -> AppraiserRemovedRecord:
    a = event.args
    return AppraiserRemovedRecord(
        appraiser=_address(a["appraiser"]),
        reason_hash=_optional_hash(a["reasonHash"]),
        by=_address(a["by"]),
        at=_block_time(event, timestamp),
    )


def _valuation_submitted(event: ChainEvent, _timestamp: int | None) -> ValuationSubmittedRecord:
    a = event.args
    (
        token_id,
        appraiser,
        asset_version,
        value,
        submitted_at,
        base_date,
        currency,
        method,
        value_type,
        purpose,
        status,
        withdrawn_at,
        report_hash,
        facts_hash,
    ) = a["valuation"]
    where = {"block_number": event.log.block_number, "log_index": event.log.log_index}
    if int(token_id) != int(a["tokenId"]) or _address(appraiser) != _address(a["appraiser"]):
        raise IndexerError(
            f"{_where(event)} indexes token {a['tokenId']} and appraiser {a['appraiser']} but "
            f"its record states token {token_id} and appraiser {appraiser}",
            **where,
        )
    if int(status) != 1 or int(withdrawn_at) != 0:
        raise IndexerError(
            f"{_where(event)} submits valuation {a['valuationId']} with status {status} and "
            f"withdrawal time {withdrawn_at}, not active",
            **where,
        )
    if int(value) <= 0:
        raise IndexerError(
            f"{_where(event)} submits valuation {a['valuationId']} of value {value}", **where
        )
    report_uri = str(a["reportURI"])
    return ValuationSubmittedRecord(
        valuation_id=int(a["valuationId"]),
        token_id=int(token_id),
        appraiser=_address(appraiser),
        asset_version=int(asset_version),
        value=int(value),
        currency=_ascii(event, currency, "currency"),
        method=_chosen(event, list(ValuationMethod), method, "valuation method"),
        value_type=_chosen(event, list(ValueType), value_type, "value type"),
        purpose=_chosen(event, list(ValuationPurpose), purpose, "valuation purpose"),
        base_date=_utc(event, int(base_date)),
        submitted_at=_utc(event, int(submitted_at)),
        report_hash=_hash(report_hash),
        facts_hash=_optional_hash(facts_hash),
        report_uri=report_uri or None,
    )


def _valuation_withdrawn(event: ChainEvent, timestamp: int | None) -> ValuationWithdrawnRecord:
    a = event.args
    return ValuationWithdrawnRecord(
        valuation_id=int(a["valuationId"]),
        token_id=int(a["tokenId"]),
        appraiser=_address(a["appraiser"]),
        reason_hash=_optional_hash(a["reasonHash"]),
        withdrawn_at=_block_time(event, timestamp),
    )


def _accounting_class(event: ChainEvent, timestamp: int | None) -> AccountingClassSetRecord:
    a = event.args
    return AccountingClassSetRecord(
        token_id=int(a["tokenId"]),
        accounting_class=_chosen(
            event, list(AccountingClass), a["accountingClass"], "accounting class"
        ),
        holder=_address(a["holder"]),
        set_at=_block_time(event, timestamp),
    )


#: How to make a domain record from an event and the timestamp of its block (``None`` when
#: the caller has no header; the records that need it then raise :class:`IndexerError`).
RecordMaker: TypeAlias = Callable[[ChainEvent, int | None], DomainRecord | None]

#: (contract, event) -> how to make its domain record.
RECORD_MAKERS: dict[tuple[str, str], RecordMaker] = {
    ("EvidenceRegistry", "EvidenceAnchored"): evidence_from_event,
    (REGISTRY, "RegistrarConfigured"): _configured,
    (REGISTRY, "RegistrarAccountSet"): _account_set,
    (REGISTRY, "RoleRevoked"): _role_revoked,
    (REGISTRY, "ApplicationSubmitted"): _submitted,
    (REGISTRY, "ApplicationAccepted"): _accepted,
    (REGISTRY, "ApplicationReturned"): _returned,
    (REGISTRY, "ApplicationResubmitted"): _resubmitted,
    (REGISTRY, "ApplicationRejected"): _rejected,
    (REGISTRY, "NoticeOpened"): _notice,
    (REGISTRY, "ObjectionFiled"): _filed,
    (REGISTRY, "ObjectionRuled"): _ruled,
    (REGISTRY, "StandingGranted"): _standing,
    (REGISTRY, "CertificateIssued"): _issued,
    (REGISTRY, "AssetChanged"): _changed,
    (REGISTRY, "CertificateRenewed"): _renewed,
    (REGISTRY, "CertificateCancelled"): _cancelled,
    (REGISTRY, "CertificateRevoked"): _revoked,
    (AGENT, "CertificateTransferred"): _transferred,
    (AGENT, "PledgeRegistered"): _pledge_registered,
    (AGENT, "PledgeReleased"): _pledge_released,
    (AGENT, "PledgeEnforced"): _pledge_enforced,
    (AGENT, "PledgeConsentGranted"): _consent_granted,
    (AGENT, "PledgeConsentUsed"): _consent_used,
    (AGENT, "PledgorChanged"): _pledgor_changed,
    (AGENT, "CertificateFrozen"): _frozen,
    (AGENT, "CertificateUnfrozen"): _unfrozen,
    (AGENT, "TransferApproved"): _approved,
    (AGENT, "CrossBorderRecorded"): _cross_border,
    (AGENT, "PartyCountrySet"): _country,
    (LICENCES, "LicenceGranted"): _licence_granted,
    (LICENCES, "LicenceTerminated"): _licence_terminated,
    (VALUATIONS, "AppraiserAccredited"): _accredited,
    (VALUATIONS, "AppraiserRemoved"): _removed,
    (VALUATIONS, "ValuationSubmitted"): _valuation_submitted,
    (VALUATIONS, "ValuationWithdrawn"): _valuation_withdrawn,
    (VALUATIONS, "AccountingClassSet"): _accounting_class,
}


def to_record(
    event: ChainEvent, contract: str | None = None, *, timestamp: int | None = None
) -> DomainRecord | None:
    """The domain record ``event`` states, or ``None`` if it has no domain meaning (yet).

    ``contract`` is the emitting contract's manifest name; it defaults to the contract whose
    ABI decoded the event. ``timestamp`` is the unix time of the event's block; records that
    carry the block time (applications, objections, rulings, changes) need it.
    """
    maker = RECORD_MAKERS.get((contract or event.contract, event.name))
    return None if maker is None else maker(event, timestamp)


def record_asset(record: DomainRecord | None) -> int | None:
    """The asset (registration / certificate id) ``record`` is about: its ``registration_id``
    (the registration lifecycle) or ``token_id`` (transfers, pledges, freezes, approvals,
    licences, valuations, accounting classes); ``None`` for the records of no one asset
    (evidence, registrars, parties' countries, appraisers). The store keeps it as
    ``raw_event.token_id``, the asset's timeline reads it."""
    for name in ("registration_id", "token_id"):
        value = getattr(record, name, None)
        if isinstance(value, int):
            return value
    return None


class Decoder:
    """Decodes the logs of one deployment.

    ``contracts`` maps the manifest's contract names to their addresses.
    """

    def __init__(self, codec: AbiCodec, contracts: Mapping[str, str]) -> None:
        self._codec = codec
        self._names = {address.lower(): name for name, address in contracts.items()}

    def decode_log(self, log: ChainLog, timestamp: int | None = None) -> DecodedLog:
        """Decode one log; a log of a known event that does not decode is an error.

        ``timestamp`` is the unix time of the log's block (see :func:`to_record`).
        """
        contract = self._names.get(log.address.lower())
        try:
            event = self._codec.decode_log(log)
        except Exception as exc:
            raise IndexerError(
                f"log {log.log_index} of block {log.block_number} (tx {log.tx_hash}) from "
                f"{log.address} carries a known event topic but does not decode against the "
                f"registry's ABI ({exc}); the artifacts do not match the deployed contracts",
                block_number=log.block_number,
                log_index=log.log_index,
            ) from exc
        record = None
        if event is not None and contract is not None:
            record = to_record(event, contract, timestamp=timestamp)
        return DecodedLog(log=log, contract=contract, event=event, record=record)

    def decode(self, batch: FetchedBatch) -> DecodedBatch:
        """Decode every log of ``batch``, with the block times of the batch's headers."""
        times = {h.number: h.timestamp for h in (*batch.headers, batch.tip)}
        return DecodedBatch(
            fetched=batch,
            logs=tuple(self.decode_log(x, times.get(x.block_number)) for x in batch.logs),
        )
