"""ValuationRegistry: appraisers accredited and removed, valuations submitted and withdrawn,
accounting classes set.

``ValuationSubmitted`` carries the valuation as a struct, which must agree with the event's
indexed token and appraiser, be active and of a positive value, and name a method, value type
and purpose other than none (else :class:`IndexerError`). :class:`ValuationApplier` applies the
records to ``appraiser``, ``valuation`` and ``accounting_class`` in the chain order of every
contract, because ``ValuationRegistry`` reads the certificate's state: a valuation is submitted
only by an accredited appraiser, of an issued certificate and one of its recorded asset
versions; only an active valuation is withdrawn, and only by its appraiser; only an accredited
appraiser is removed, only one not accredited now is accredited; an accounting class is set only
by the holder of an issued certificate (the mirror's ``registration.holder``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeAlias, get_args

from sqlalchemy import Connection

from registry.db.models import accounting_class_table, appraiser_table, valuation_table
from registry.domain.chain import ChainEvent, ChainLog
from registry.domain.valuation import (
    AccountingClass,
    ValuationMethod,
    ValuationPurpose,
    ValuationStatus,
    ValueType,
)
from registry.indexer.contracts.fields import (
    BLOCK_TIME,
    address,
    ascii_of,
    check_indexed,
    chosen,
    chosen_at,
    error,
    hash32,
    optional_hash32,
    record_maker,
    to_address,
    to_hash,
    to_optional_hash,
    uint,
    utc,
)
from registry.indexer.contracts.registry import CertificateApplier
from registry.indexer.decode import Record, RecordMaker, register
from registry.indexer.store import Writes, register_applier

CONTRACT = "ValuationRegistry"

#: The family its records are counted in.
FAMILY = "valuation"


class AppraiserAccreditedRecord(Record):
    appraiser: str
    accreditation_hash: str
    by: str
    at: datetime


class AppraiserRemovedRecord(Record):
    """``reason_hash`` ``None``: no reasons document (the zero hash)."""

    appraiser: str
    reason_hash: str | None
    by: str
    at: datetime


class ValuationSubmittedRecord(Record):
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


class ValuationWithdrawnRecord(Record):
    valuation_id: int
    token_id: int
    appraiser: str
    reason_hash: str | None
    withdrawn_at: datetime


class AccountingClassSetRecord(Record):
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
    check_indexed(event, token_id, appraiser, "appraiser")
    if int(status) != 1 or int(withdrawn_at) != 0:
        raise error(
            event,
            f"submits valuation {a['valuationId']} with status {status} and withdrawal time "
            f"{withdrawn_at}, not active",
        )
    if int(value) <= 0:
        raise error(event, f"submits valuation {a['valuationId']} of value {value}")
    report_uri = str(a["reportURI"])
    return ValuationSubmittedRecord(
        valuation_id=int(a["valuationId"]),
        token_id=int(token_id),
        appraiser=to_address(appraiser),
        asset_version=int(asset_version),
        value=int(value),
        currency=ascii_of(event, currency, "currency"),
        method=chosen_at(event, list(ValuationMethod), method, "valuation method"),
        value_type=chosen_at(event, list(ValueType), value_type, "value type"),
        purpose=chosen_at(event, list(ValuationPurpose), purpose, "valuation purpose"),
        base_date=utc(event, int(base_date)),
        submitted_at=utc(event, int(submitted_at)),
        report_hash=to_hash(report_hash),
        facts_hash=to_optional_hash(facts_hash),
        report_uri=report_uri or None,
    )


#: event -> how to make its record: field maps where the event is flat, else by hand.
DECODERS: dict[str, RecordMaker] = {
    "AppraiserAccredited": record_maker(
        AppraiserAccreditedRecord,
        appraiser=address,
        accreditation_hash=hash32,
        by=address,
        at=BLOCK_TIME,
    ),
    "AppraiserRemoved": record_maker(
        AppraiserRemovedRecord,
        appraiser=address,
        reason_hash=optional_hash32,
        by=address,
        at=BLOCK_TIME,
    ),
    "ValuationSubmitted": _valuation_submitted,
    "ValuationWithdrawn": record_maker(
        ValuationWithdrawnRecord,
        valuation_id=uint,
        token_id=uint,
        appraiser=address,
        reason_hash=optional_hash32,
        withdrawn_at=BLOCK_TIME,
    ),
    "AccountingClassSet": record_maker(
        AccountingClassSetRecord,
        token_id=uint,
        accounting_class=chosen(AccountingClass, "accounting class"),
        holder=address,
        set_at=BLOCK_TIME,
    ),
}


class ValuationApplier(CertificateApplier):
    """Applies the records of ValuationRegistry, one event at a time, beside the registration
    lifecycle (whose rows it reads: a certificate's status, version and holder)."""

    family = FAMILY

    def __init__(self, writes: Writes) -> None:
        super().__init__(writes)
        self.appraisers = self.own(appraiser_table, ("chain_id", "address"))
        self.valuations = self.own(valuation_table, ("chain_id", "id"))
        self.classes = self.own(accounting_class_table, ("chain_id", "token_id"))

    def load(
        self, connection: Connection, records: Sequence[tuple[ChainLog, ValuationRecord]]
    ) -> None:
        """Read the certificates, appraisers, valuations and classes ``records`` are about."""
        tokens: set[int] = set()
        appraisers: set[str] = set()
        valuation_ids: set[int] = set()
        classes: set[int] = set()
        for _, record in records:
            if isinstance(record, AppraiserAccreditedRecord | AppraiserRemovedRecord):
                appraisers.add(record.appraiser)
            elif isinstance(record, ValuationSubmittedRecord | ValuationWithdrawnRecord):
                valuation_ids.add(record.valuation_id)
                if isinstance(record, ValuationSubmittedRecord):
                    tokens.add(record.token_id)
                    appraisers.add(record.appraiser)
            else:
                tokens.add(record.token_id)
                classes.add(record.token_id)
        self.registrations.load(connection, self.chain_id, tokens)
        self.appraisers.load(connection, self.chain_id, appraisers)
        self.valuations.load(connection, self.chain_id, valuation_ids)
        self.classes.load(connection, self.chain_id, classes)

    def apply(self, log: ChainLog, record: ValuationRecord) -> None:
        if isinstance(record, AppraiserAccreditedRecord):
            self._accredited(log, record)
        elif isinstance(record, AppraiserRemovedRecord):
            self._removed(log, record)
        elif isinstance(record, ValuationSubmittedRecord):
            self._submitted(log, record)
        elif isinstance(record, ValuationWithdrawnRecord):
            self._withdrawn(log, record)
        else:
            self._accounting_class(log, record)

    def _accredited(self, log: ChainLog, record: AppraiserAccreditedRecord) -> None:
        row = self.appraisers.get(record.appraiser)
        if row is not None and row["accredited"]:
            raise self.mismatch(log, f"appraiser {record.appraiser} is accredited twice")
        values = {
            "accredited": True,
            "accredited_at": record.at,
            "accreditation_hash": record.accreditation_hash,
            "accredited_by": record.by,
            "removed_at": None,
            "removed_by": None,
            "removal_reason_hash": None,
        }
        key = {"address": record.appraiser}
        self.put(self.appraisers, log, row, key, values, f"appraiser {record.appraiser}")

    def _removed(self, log: ChainLog, record: AppraiserRemovedRecord) -> None:
        row = self.appraisers.get(record.appraiser)
        if row is None or not row["accredited"]:
            raise self.mismatch(
                log, f"appraiser {record.appraiser} is removed, but it is not accredited"
            )
        self.touch(self.appraisers, log, row, f"appraiser {record.appraiser}")
        row.update(
            accredited=False,
            removed_at=record.at,
            removed_by=record.by,
            removal_reason_hash=record.reason_hash,
        )

    def _submitted(self, log: ChainLog, record: ValuationSubmittedRecord) -> None:
        certificate = self.certificate(log, record.token_id, "ValuationSubmitted")
        if self.valuations.get(record.valuation_id) is not None:
            raise self.mismatch(log, f"valuation {record.valuation_id} is submitted a second time")
        appraiser = self.appraisers.get(record.appraiser)
        if appraiser is None or not appraiser["accredited"]:
            raise self.mismatch(
                log,
                f"valuation {record.valuation_id} is submitted by {record.appraiser}, which is "
                "not an accredited appraiser (the mirror's state)",
            )
        if not 1 <= record.asset_version <= certificate["version"]:
            raise self.mismatch(
                log,
                f"valuation {record.valuation_id} values version {record.asset_version} of "
                f"certificate {record.token_id}, which is at version {certificate['version']}",
            )
        self.valuations.add(
            record.valuation_id,
            {
                "chain_id": self.chain_id,
                "id": record.valuation_id,
                "token_id": record.token_id,
                "appraiser": record.appraiser,
                "asset_version": record.asset_version,
                "value": str(record.value),
                "currency": record.currency,
                "method": record.method.value,
                "value_type": record.value_type.value,
                "purpose": record.purpose.value,
                "base_date": record.base_date,
                "submitted_at": record.submitted_at,
                "report_hash": record.report_hash,
                "facts_hash": record.facts_hash,
                "report_uri": record.report_uri,
                "status": ValuationStatus.ACTIVE.value,
                "withdrawn_at": None,
                "withdraw_reason_hash": None,
                **self.created(log, "submitted"),
                "last_block": log.block_number,
                "last_log_index": log.log_index,
            },
        )

    def _withdrawn(self, log: ChainLog, record: ValuationWithdrawnRecord) -> None:
        message = f"ValuationWithdrawn ends valuation {record.valuation_id}"
        active = ValuationStatus.ACTIVE
        row = self.in_status(self.valuations, record.valuation_id, active, log, message)
        if (row["token_id"], row["appraiser"]) != (record.token_id, record.appraiser):
            raise self.mismatch(
                log,
                f"ValuationWithdrawn names certificate {record.token_id} and appraiser "
                f"{record.appraiser} for valuation {record.valuation_id} of certificate "
                f"{row['token_id']} by {row['appraiser']}",
            )
        self.touch(self.valuations, log, row, f"valuation {record.valuation_id}")
        row.update(
            status=ValuationStatus.WITHDRAWN.value,
            withdrawn_at=record.withdrawn_at,
            withdraw_reason_hash=record.reason_hash,
        )

    def _accounting_class(self, log: ChainLog, record: AccountingClassSetRecord) -> None:
        certificate = self.certificate(log, record.token_id, "AccountingClassSet")
        if certificate["holder"] != record.holder:
            raise self.mismatch(
                log,
                f"{record.holder} sets the accounting class of certificate {record.token_id}, "
                f"which is held by {certificate['holder']} (the mirror's state)",
            )
        values = {
            "accounting_class": record.accounting_class.value,
            "holder": record.holder,
            "set_at": record.set_at,
        }
        row = self.classes.get(record.token_id)
        what = f"the accounting class of certificate {record.token_id}"
        self.put(self.classes, log, row, {"token_id": record.token_id}, values, what)


#: The classes of :data:`ValuationRecord`.
RECORD_TYPES: tuple[type, ...] = get_args(ValuationRecord)
register(CONTRACT, FAMILY, DECODERS, RECORD_TYPES)
register_applier(ValuationApplier, RECORD_TYPES)
