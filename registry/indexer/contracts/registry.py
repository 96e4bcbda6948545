"""DataAssetRegistry: registrars and the registration lifecycle.

Its events (registrars configured, accounts bound, applications submitted, reviewed, put on
notice, objected to, issued as certificates, changed, renewed, cancelled, revoked (under a
recorded ruling when the certificate was pledged or frozen) and closed at expiry) become one
frozen record each (:data:`RegistryRecord`), which :class:`RegistryApplier` applies to
``registration``, ``asset_version``, ``objection``, ``registrar`` and ``registrar_account``
exactly as the contract changes its storage: one event at a time, each checked against the
row's state (say ``CertificateIssued`` only for an application on notice without open
objections). Registrars and their staff accounts are configured in ``RegistryAuthority``, whose
``RegistrarConfigured`` and ``RegistrarAccountSet`` this module decodes too; roles are not
followed.

Numbers the contract computed are recomputed and must agree: an ``ApplicationSubmitted`` whose
``registrationNumber`` differs from :func:`registry.domain.numbers.registration_number` of its
own fields raises :class:`IndexerError`, and so does a certificate number that is not
:func:`registry.domain.numbers.certificate_number` of its issue time and registrar.

The other contracts read certificates from here: :class:`CertificateApplier` is the base of
their appliers, sharing the batch's ``registration`` rows (a transfer moves
``registration.holder``; a valuation reads the certificate's status and version).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TypeAlias, get_args

from sqlalchemy import Connection

from registry.db.models import (
    asset_version_table,
    objection_table,
    registrar_account_table,
    registrar_table,
    registration_table,
)
from registry.domain.chain import ChainEvent, ChainLog
from registry.domain.numbers import certificate_number, registration_number
from registry.domain.registration import AssetKind, Classification, ObjectionStatus, Status
from registry.indexer.contracts.fields import (
    BLOCK_TIME,
    Field,
    block_time,
    error,
    flag,
    hash32,
    member_at,
    number_text,
    optional_hash32,
    optional_seconds,
    record_maker,
    text,
    time,
    to_hash,
    uint,
)
from registry.indexer.decode import Record, RecordMaker, register
from registry.indexer.store import Applier, Row, Rows, Writes, event_name, register_applier

CONTRACT = "DataAssetRegistry"
AUTHORITY = "RegistryAuthority"

#: The family its records are counted in (:attr:`registry.indexer.store.StoreResult.applied`).
FAMILY = "registry"

#: The key of ``registration`` (the id is the certificate's token id once issued).
REGISTRATION_KEYS = ("chain_id", "id")


# --- records ----------------------------------------------------------------------------------
# Hashes are 0x-prefixed lowercase hex, addresses as the event gives them, times UTC.


class RegistrarConfiguredRecord(Record):
    code: int
    active: bool
    objections_open_to_all: bool
    evidence_required: bool
    notice_period: int


class RegistrarAccountSetRecord(Record):
    code: int
    account: str
    enabled: bool


class ApplicationSubmittedRecord(Record):
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


class _Ruling(Record):
    """A registrar's decision with a reason: a return, a rejection, a revocation."""

    registration_id: int
    registrar: str
    reason_code: int
    reason_hash: str


class ApplicationAcceptedRecord(Record):
    registration_id: int
    registrar: str


class ApplicationReturnedRecord(_Ruling):
    pass


class ApplicationResubmittedRecord(Record):
    registration_id: int
    fingerprint: str
    metadata_hash: str
    applicant: str


class ApplicationRejectedRecord(_Ruling):
    pass


class NoticeOpenedRecord(Record):
    registration_id: int
    registrar: str
    notice_start: datetime
    notice_end: datetime


class ObjectionFiledRecord(Record):
    objection_id: int
    registration_id: int
    objector: str
    evidence_hash: str
    filed_at: datetime


class ObjectionRuledRecord(Record):
    objection_id: int
    registration_id: int
    upheld: bool
    reason_hash: str
    registrar: str
    ruled_at: datetime


class StandingGrantedRecord(Record):
    registration_id: int
    party: str
    registrar: str


class CertificateIssuedRecord(Record):
    registration_id: int
    holder: str
    certificate_number: str
    issued_at: datetime
    valid_until: datetime
    fingerprint: str
    metadata_hash: str
    registrar: str


class AssetChangedRecord(Record):
    registration_id: int
    version: int
    fingerprint: str
    metadata_hash: str
    correction: bool
    by: str
    changed_at: datetime


class CertificateRenewedRecord(Record):
    registration_id: int
    valid_until: datetime
    source_agreement_end: int | None
    registrar: str


class CertificateCancelledRecord(Record):
    registration_id: int
    holder: str
    reason_hash: str


class CertificateRevokedRecord(_Ruling):
    """``ruling_hash`` is ``None`` for a plain revocation, the recorded ruling's hash for a
    pledged or frozen certificate (``revokeEncumbered``)."""

    ruling_hash: str | None


class CertificateExpiryClosedRecord(Record):
    """Anyone closed an expired certificate (burned; its pledge and licences settled)."""

    registration_id: int
    valid_until: datetime
    by: str


#: A record about one registration.
RegistrationEvent: TypeAlias = (
    ApplicationSubmittedRecord
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
    | CertificateExpiryClosedRecord
)

#: A record of the registration lifecycle (one per ``DataAssetRegistry`` event that has one).
RegistryRecord: TypeAlias = (
    RegistrarConfiguredRecord | RegistrarAccountSetRecord | RegistrationEvent
)


# --- decoders ---------------------------------------------------------------------------------


def _submitted(event: ChainEvent, timestamp: int | None) -> ApplicationSubmittedRecord:
    a = event.args
    reg_id = int(a["id"])
    submitted_at = block_time(event, timestamp)
    data_source = int(a["dataSource"])
    applicant_type = int(a["applicantType"])
    stated = str(int(a["registrationNumber"]))
    computed = registration_number(
        int(submitted_at.timestamp()), data_source, applicant_type, reg_id
    )
    if computed != stated:
        raise error(
            event,
            f"states registration number {stated} for registration {reg_id}, but its fields "
            f"and block time give {computed}: the contract and registry.domain.numbers disagree",
        )
    return ApplicationSubmittedRecord(
        registration_id=reg_id,
        applicant=str(a["applicant"]),
        registrar_code=int(a["registrarCode"]),
        registration_number=computed,
        kind=member_at(event, list(AssetKind), a["kind"], "asset kind"),
        rights=int(a["rights"]),
        level=member_at(event, list(Classification), a["level"], "classification"),
        data_source=data_source,
        applicant_type=applicant_type,
        source_agreement_end=optional_seconds(event, a["sourceAgreementEnd"]),
        fingerprint=to_hash(a["fingerprint"]),
        metadata_hash=to_hash(a["metadataHash"]),
        parents=tuple(int(p) for p in a["parents"]),
        relayer=str(a["relayer"]),
        submitted_at=submitted_at,
    )


# fields many events share
_ID: Field = ("id", uint)

#: the fields of returns, rejections and revocations
_RULING: dict[str, Field] = {
    "registration_id": _ID,
    "registrar": text,
    "reason_code": uint,
    "reason_hash": hash32,
}

#: RegistryAuthority's registrar events -> their records.
AUTHORITY_DECODERS: dict[str, RecordMaker] = {
    "RegistrarConfigured": record_maker(
        RegistrarConfiguredRecord,
        code=uint,
        active=flag,
        objections_open_to_all=flag,
        evidence_required=flag,
        notice_period=uint,
    ),
    "RegistrarAccountSet": record_maker(
        RegistrarAccountSetRecord,
        code=uint,
        account=text,
        enabled=flag,
    ),
}

#: event -> how to make its record: field maps where the event is flat, else by hand.
DECODERS: dict[str, RecordMaker] = {
    "ApplicationSubmitted": _submitted,
    "ApplicationAccepted": record_maker(
        ApplicationAcceptedRecord, registration_id=_ID, registrar=text
    ),
    "ApplicationReturned": record_maker(ApplicationReturnedRecord, **_RULING),
    "ApplicationResubmitted": record_maker(
        ApplicationResubmittedRecord,
        registration_id=_ID,
        fingerprint=hash32,
        metadata_hash=hash32,
        applicant=text,
    ),
    "ApplicationRejected": record_maker(ApplicationRejectedRecord, **_RULING),
    "NoticeOpened": record_maker(
        NoticeOpenedRecord,
        registration_id=_ID,
        registrar=text,
        notice_start=time,
        notice_end=time,
    ),
    "ObjectionFiled": record_maker(
        ObjectionFiledRecord,
        objection_id=uint,
        registration_id=_ID,
        objector=text,
        evidence_hash=hash32,
        filed_at=BLOCK_TIME,
    ),
    "ObjectionRuled": record_maker(
        ObjectionRuledRecord,
        objection_id=uint,
        registration_id=_ID,
        upheld=flag,
        reason_hash=hash32,
        registrar=text,
        ruled_at=BLOCK_TIME,
    ),
    "StandingGranted": record_maker(
        StandingGrantedRecord, registration_id=_ID, party=text, registrar=text
    ),
    "CertificateIssued": record_maker(
        CertificateIssuedRecord,
        registration_id=_ID,
        holder=text,
        certificate_number=number_text,
        issued_at=time,
        valid_until=time,
        fingerprint=hash32,
        metadata_hash=hash32,
        registrar=text,
    ),
    "AssetChanged": record_maker(
        AssetChangedRecord,
        registration_id=_ID,
        version=uint,
        fingerprint=hash32,
        metadata_hash=hash32,
        correction=flag,
        by=text,
        changed_at=BLOCK_TIME,
    ),
    "CertificateRenewed": record_maker(
        CertificateRenewedRecord,
        registration_id=_ID,
        valid_until=time,
        source_agreement_end=optional_seconds,
        registrar=text,
    ),
    "CertificateCancelled": record_maker(
        CertificateCancelledRecord,
        registration_id=_ID,
        holder=text,
        reason_hash=hash32,
    ),
    "CertificateRevoked": record_maker(
        CertificateRevokedRecord, **_RULING, ruling_hash=optional_hash32
    ),
    "CertificateExpiryClosed": record_maker(
        CertificateExpiryClosedRecord, registration_id=_ID, valid_until=time, by=text
    ),
}


# --- applying ---------------------------------------------------------------------------------

#: Where review can return or reject an application.
_REVIEWABLE = frozenset({Status.SUBMITTED, Status.ACCEPTED})

#: Records that only move a registration between statuses: from any of these, to this.
_TRANSITIONS: dict[type, tuple[frozenset[Status], Status]] = {
    ApplicationAcceptedRecord: (frozenset({Status.SUBMITTED}), Status.ACCEPTED),
    ApplicationReturnedRecord: (_REVIEWABLE, Status.RETURNED),
    ApplicationResubmittedRecord: (frozenset({Status.RETURNED}), Status.SUBMITTED),
    NoticeOpenedRecord: (frozenset({Status.ACCEPTED}), Status.IN_NOTICE),
    CertificateCancelledRecord: (frozenset({Status.ISSUED}), Status.CANCELLED),
    CertificateRevokedRecord: (frozenset({Status.ISSUED}), Status.REVOKED),
    CertificateExpiryClosedRecord: (frozenset({Status.ISSUED}), Status.EXPIRED),
}


class RegistryApplier(Applier):
    """Applies the records of DataAssetRegistry to the mirror, one event at a time, as the
    contract does."""

    family = FAMILY

    def __init__(self, writes: Writes) -> None:
        super().__init__(writes)
        # in flush order: objections point at their registration
        self.registrars = self.own(registrar_table, ("chain_id", "code"))
        self.accounts = self.own(registrar_account_table, ("chain_id", "account"))
        self.registrations = self.own(registration_table, REGISTRATION_KEYS)
        self.objections = self.own(objection_table, ("chain_id", "objection_id"))
        self.versions = self.appended(asset_version_table)

    # --- loading ---------------------------------------------------------------------------

    def load(
        self, connection: Connection, records: Sequence[tuple[ChainLog, RegistryRecord]]
    ) -> None:
        """Read the registrations, objections, registrars and accounts ``records`` are about."""
        reg_ids: set[int] = set()
        objection_ids: set[int] = set()
        codes: set[int] = set()
        accounts: set[str] = set()
        for _, record in records:
            if isinstance(record, RegistrarConfiguredRecord):
                codes.add(record.code)
            elif isinstance(record, RegistrarAccountSetRecord):
                accounts.add(record.account)
            else:
                reg_ids.add(record.registration_id)
                if isinstance(record, ObjectionFiledRecord | ObjectionRuledRecord):
                    objection_ids.add(record.objection_id)
        self.registrations.load(connection, self.chain_id, reg_ids)
        self.objections.load(connection, self.chain_id, objection_ids)
        self.registrars.load(connection, self.chain_id, codes)
        self.accounts.load(connection, self.chain_id, accounts)

    # --- consistency ----------------------------------------------------------------------

    def _registration(
        self, log: ChainLog, record: RegistrationEvent, allowed: Collection[Status] | None
    ) -> Row:
        """The row ``record`` is about, checked to be in a status its event can leave."""
        reg_id = record.registration_id
        event = event_name(record)
        row = self.registrations.get(reg_id)
        if row is None:
            raise self.mismatch(
                log, f"{event} refers to registration {reg_id}, which the mirror does not hold"
            )
        if allowed is not None and row["status"] not in allowed:
            raise self.mismatch(
                log,
                f"{event} cannot happen to registration {reg_id} while it is "
                f"{row['status']} (the mirror's state)",
            )
        return row

    def _touch(self, log: ChainLog, row: Row) -> None:
        self.touch(self.registrations, log, row, f"registration {row['id']}")

    # --- applying -------------------------------------------------------------------------

    def apply(self, log: ChainLog, record: RegistryRecord) -> None:
        if isinstance(record, RegistrarConfiguredRecord):
            self._registrar(log, record)
        elif isinstance(record, RegistrarAccountSetRecord):
            self._account(log, record.account, record.code, record.enabled)
        elif isinstance(record, ApplicationSubmittedRecord):
            self._submitted(log, record)
        elif isinstance(record, ApplicationRejectedRecord):
            self._rejected(log, record)
        elif isinstance(record, ObjectionFiledRecord):
            self._filed(log, record)
        elif isinstance(record, ObjectionRuledRecord):
            self._ruled(log, record)
        elif isinstance(record, StandingGrantedRecord):
            # changes nothing the mirror keeps; only check the contract could have emitted it
            self._registration(log, record, {Status.ACCEPTED, Status.IN_NOTICE})
        elif isinstance(record, CertificateIssuedRecord):
            self._issued(log, record)
        elif isinstance(record, AssetChangedRecord):
            self._changed(log, record)
        elif isinstance(record, CertificateRenewedRecord):
            row = self._registration(log, record, {Status.ISSUED})
            self._touch(log, row)
            row["valid_until"] = record.valid_until
            row["source_agreement_end"] = record.source_agreement_end
        else:
            self._transition(log, record)

    def _transition(
        self,
        log: ChainLog,
        record: ApplicationAcceptedRecord
        | ApplicationReturnedRecord
        | ApplicationResubmittedRecord
        | NoticeOpenedRecord
        | CertificateCancelledRecord
        | CertificateRevokedRecord
        | CertificateExpiryClosedRecord,
    ) -> None:
        allowed, status = _TRANSITIONS[type(record)]
        row = self._registration(log, record, allowed)
        self._touch(log, row)
        row["status"] = status.value
        if isinstance(record, CertificateCancelledRecord):
            row["ended_by"] = record.holder
        elif isinstance(record, CertificateRevokedRecord):
            row["ended_by"] = record.registrar
            row["end_ruling_hash"] = record.ruling_hash
        elif isinstance(record, CertificateExpiryClosedRecord):
            row["ended_by"] = record.by
        elif isinstance(record, ApplicationResubmittedRecord):
            row["fingerprint"] = record.fingerprint
            row["metadata_hash"] = record.metadata_hash
        elif isinstance(record, NoticeOpenedRecord):
            row["notice_start"] = record.notice_start
            row["notice_end"] = record.notice_end

    def _registrar(self, log: ChainLog, record: RegistrarConfiguredRecord) -> None:
        self.upsert(
            self.registrars,
            log,
            {
                "chain_id": self.chain_id,
                "code": record.code,
                "active": record.active,
                "objections_open_to_all": record.objections_open_to_all,
                "evidence_required": record.evidence_required,
                "notice_period": record.notice_period,
            },
            f"registrar {record.code}",
        )

    def _account(self, log: ChainLog, account: str, code: int, enabled: bool) -> None:
        self.upsert(
            self.accounts,
            log,
            {"chain_id": self.chain_id, "account": account, "code": code, "enabled": enabled},
            f"registrar account {account}",
        )

    def _submitted(self, log: ChainLog, record: ApplicationSubmittedRecord) -> None:
        reg_id = record.registration_id
        if self.registrations.get(reg_id) is not None:
            raise self.mismatch(log, f"registration {reg_id} is submitted a second time")
        self.registrations.add(
            reg_id,
            {
                "chain_id": self.chain_id,
                "id": reg_id,
                "registration_number": record.registration_number,
                "holder": record.applicant,
                "registrar_code": record.registrar_code,
                "kind": record.kind.value,
                "rights": record.rights,
                "level": record.level.value,
                "data_source": record.data_source,
                "applicant_type": record.applicant_type,
                "source_agreement_end": record.source_agreement_end,
                "fingerprint": record.fingerprint,
                "metadata_hash": record.metadata_hash,
                "parents": list(record.parents),
                "relayer": record.relayer,
                "status": Status.SUBMITTED.value,
                "submitted_at": record.submitted_at,
                "notice_start": None,
                "notice_end": None,
                "issued_at": None,
                "valid_until": None,
                "certificate_number": None,
                "version": 0,
                "open_objections": 0,
                "issued_by": None,
                "ended_by": None,
                "end_ruling_hash": None,
                **self.created(log, "submitted"),
                "last_block": log.block_number,
                "last_log_index": log.log_index,
            },
        )

    def _rejected(self, log: ChainLog, record: ApplicationRejectedRecord) -> None:
        row = self._registration(log, record, None)
        # ruleObjection(upheld) on an application in notice emits ObjectionRuled and then, as the
        # very next log, ApplicationRejected; the ruling already rejected it here
        echo = row["status"] == Status.REJECTED and (
            row["last_block"],
            row["last_log_index"],
        ) == (log.block_number, log.log_index - 1)
        if not echo and row["status"] not in _REVIEWABLE:
            raise self.mismatch(
                log,
                f"ApplicationRejected cannot happen to registration {row['id']} while it is "
                f"{row['status']} (the mirror's state)",
            )
        self._touch(log, row)
        row["status"] = Status.REJECTED.value

    def _filed(self, log: ChainLog, record: ObjectionFiledRecord) -> None:
        row = self._registration(log, record, {Status.IN_NOTICE})
        if self.objections.get(record.objection_id) is not None:
            raise self.mismatch(log, f"objection {record.objection_id} is filed a second time")
        self._touch(log, row)
        row["open_objections"] += 1
        self.objections.add(
            record.objection_id,
            {
                "chain_id": self.chain_id,
                "objection_id": record.objection_id,
                "registration_id": record.registration_id,
                "objector": record.objector,
                "evidence_hash": record.evidence_hash,
                "status": ObjectionStatus.OPEN.value,
                "filed_at": record.filed_at,
                "filed_tx_hash": log.tx_hash,
                "filed_block": log.block_number,
                "filed_log_index": log.log_index,
                "ruled_at": None,
                "ruling_reason_hash": None,
                "ruled_by": None,
                "ruled_block": None,
                "ruled_log_index": None,
            },
        )

    def _ruled(self, log: ChainLog, record: ObjectionRuledRecord) -> None:
        message = f"ObjectionRuled rules on objection {record.objection_id}"
        is_open = ObjectionStatus.OPEN
        objection = self.in_status(self.objections, record.objection_id, is_open, log, message)
        if objection["registration_id"] != record.registration_id:
            raise self.mismatch(
                log,
                f"objection {record.objection_id} concerns registration "
                f"{objection['registration_id']}, not {record.registration_id}",
            )
        row = self._registration(log, record, None)
        if row["open_objections"] < 1:
            raise self.mismatch(log, f"registration {row['id']} has no open objection to rule on")
        self._touch(log, row)
        row["open_objections"] -= 1
        if record.upheld and row["status"] == Status.IN_NOTICE:
            row["status"] = Status.REJECTED.value
        objection.update(
            status=(ObjectionStatus.UPHELD if record.upheld else ObjectionStatus.DISMISSED).value,
            ruled_at=record.ruled_at,
            ruling_reason_hash=record.reason_hash,
            ruled_by=record.registrar,
            ruled_block=log.block_number,
            ruled_log_index=log.log_index,
        )
        self.objections.touch(record.objection_id)

    def _issued(self, log: ChainLog, record: CertificateIssuedRecord) -> None:
        reg_id = record.registration_id
        row = self._registration(log, record, {Status.IN_NOTICE})
        if row["open_objections"] != 0:
            raise self.mismatch(
                log,
                f"registration {reg_id} is issued with {row['open_objections']} open objections",
            )
        if record.holder != row["holder"]:
            raise self.mismatch(
                log,
                f"registration {reg_id} is issued to {record.holder}, not to its holder "
                f"{row['holder']}",
            )
        if (record.fingerprint, record.metadata_hash) != (row["fingerprint"], row["metadata_hash"]):
            raise self.mismatch(
                log, f"registration {reg_id} is issued with content other than its application's"
            )
        expected = certificate_number(
            int(record.issued_at.timestamp()), row["registrar_code"], reg_id
        )
        if record.certificate_number != expected:
            raise self.mismatch(
                log,
                f"certificate number {record.certificate_number} of registration {reg_id} is not "
                f"the {expected} its issue time and registrar give",
            )
        self._touch(log, row)
        row.update(
            status=Status.ISSUED.value,
            issued_at=record.issued_at,
            valid_until=record.valid_until,
            certificate_number=record.certificate_number,
            version=1,
            issued_by=record.registrar,
        )
        self._version(log, row, record.holder, correction=False, changed_at=record.issued_at)

    def _changed(self, log: ChainLog, record: AssetChangedRecord) -> None:
        row = self._registration(log, record, {Status.ISSUED})
        if record.version != row["version"] + 1:
            raise self.mismatch(
                log,
                f"AssetChanged records version {record.version} of registration {row['id']}, "
                f"which is at version {row['version']}",
            )
        self._touch(log, row)
        row.update(
            fingerprint=record.fingerprint,
            metadata_hash=record.metadata_hash,
            version=record.version,
        )
        self._version(
            log, row, record.by, correction=record.correction, changed_at=record.changed_at
        )

    def _version(
        self, log: ChainLog, row: Row, by: str, *, correction: bool, changed_at: datetime
    ) -> None:
        self.versions.append(
            {
                "chain_id": self.chain_id,
                "registration_id": row["id"],
                "version": row["version"],
                "fingerprint": row["fingerprint"],
                "metadata_hash": row["metadata_hash"],
                "correction": correction,
                "changed_by": by,
                "block_number": log.block_number,
                "log_index": log.log_index,
                "tx_hash": log.tx_hash,
                "changed_at": changed_at,
            }
        )


def registrations(writes: Writes) -> Rows:
    """The batch's ``registration`` rows (shared by every applier)."""
    return writes.rows(registration_table, REGISTRATION_KEYS)


class CertificateApplier(Applier):
    """An applier of a contract that acts on certificates: the batch's registrations, and the
    check that a certificate is issued."""

    def __init__(self, writes: Writes) -> None:
        super().__init__(writes)
        self.registrations = registrations(writes)

    def certificate(self, log: ChainLog, token_id: int, event: str) -> Row:
        """The registration of ``token_id``, which must be an issued certificate."""
        row = self.registrations.get(token_id)
        if row is None:
            raise self.mismatch(
                log, f"{event} refers to certificate {token_id}, which the mirror does not hold"
            )
        if row["status"] != Status.ISSUED:
            raise self.mismatch(
                log,
                f"{event} cannot happen to registration {token_id} while it is {row['status']} "
                "(the mirror's state)",
            )
        return row

    def touch_registration(self, log: ChainLog, row: Row) -> None:
        """Mark a registration changed by the event at ``log`` (as the lifecycle does)."""
        self.touch(self.registrations, log, row, f"registration {row['id']}")


#: The classes of :data:`RegistryRecord`.
RECORD_TYPES: tuple[type, ...] = get_args(RegistryRecord)
register(CONTRACT, FAMILY, DECODERS, RECORD_TYPES)
register(AUTHORITY, FAMILY, AUTHORITY_DECODERS, ())
register_applier(RegistryApplier, RECORD_TYPES)
