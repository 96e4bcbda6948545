"""LicenceRegistry: licences and sublicences granted, terminated and settled.

``LicenceGranted`` carries the licence as a struct, which must agree with the event's indexed
token and licensee; its right must be one right, and its ``voucherNumber`` must be
:func:`registry.domain.rights.voucher_number` of its own fields (else :class:`IndexerError`).
:class:`LicenceApplier` applies the records to ``licence`` in the chain order of every contract:
a licence is granted only on an issued certificate (a sublicence only under a licence of the same
certificate), and only an active licence is terminated, and only by a party to it: its licensee,
or its licensor, which for a direct licence is whoever holds the certificate now (v2: licensor
powers pass with the certificate). ``LicencesSettled`` (the certificate was cancelled, revoked
or closed as expired) settles every still active licence and sublicence of the certificate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeAlias, get_args

from sqlalchemy import Connection

from registry.db.models import licence_table
from registry.domain.chain import ChainEvent, ChainLog
from registry.domain.registration import Right, Status
from registry.domain.rights import LicenceStatus, right_of_bit, voucher_number
from registry.errors import InputError
from registry.indexer.contracts.agent import FAMILY
from registry.indexer.contracts.fields import (
    BLOCK_TIME,
    address,
    check_indexed,
    error,
    member,
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

CONTRACT = "LicenceRegistry"


class LicenceGrantedRecord(Record):
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


class LicenceTerminatedRecord(Record):
    licence_id: int
    token_id: int
    by: str
    reason_hash: str | None
    terminated_at: datetime


class LicencesSettledRecord(Record):
    token_id: int
    end_status: Status
    settled_at: datetime


#: The certificate ends that settle licences.
SETTLING_ENDS = (Status.CANCELLED, Status.REVOKED, Status.EXPIRED)

#: A record of LicenceRegistry (one per event).
LicenceRecord: TypeAlias = LicenceGrantedRecord | LicenceTerminatedRecord | LicencesSettledRecord


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
    check_indexed(event, token_id, licensee, "licensee")
    try:
        licensed = right_of_bit(int(right))
    except InputError:
        raise error(event, f"licenses right {right}, which is no right") from None
    stated = str(int(a["voucherNumber"]))
    computed = voucher_number(int(granted_at), licensed, bool(exclusive), licence_id)
    if stated != computed:
        raise error(
            event,
            f"states voucher number {stated} for licence {licence_id}, but its fields give "
            f"{computed}: the contract and registry.domain.rights disagree",
        )
    return LicenceGrantedRecord(
        licence_id=licence_id,
        token_id=int(token_id),
        parent_id=int(parent_id) or None,
        voucher_number=computed,
        licensor=to_address(licensor),
        licensee=to_address(licensee),
        right=licensed,
        exclusive=bool(exclusive),
        sublicensable=bool(sublicensable),
        purposes=int(purposes),
        territories=int(territories),
        granted_at=utc(event, int(granted_at)),
        start=utc(event, int(start)),
        end=utc(event, int(end)),
        terms_hash=to_hash(terms_hash),
        fee_terms_hash=to_optional_hash(fee_terms_hash),
        relayer=to_address(a["relayer"]),
    )


#: event -> how to make its record.
DECODERS: dict[str, RecordMaker] = {
    "LicenceGranted": _licence_granted,
    "LicenceTerminated": record_maker(
        LicenceTerminatedRecord,
        licence_id=uint,
        token_id=uint,
        by=address,
        reason_hash=optional_hash32,
        terminated_at=BLOCK_TIME,
    ),
    "LicencesSettled": record_maker(
        LicencesSettledRecord,
        token_id=uint,
        end_status=member(Status, "certificate status"),
        settled_at=BLOCK_TIME,
    ),
}


class LicenceApplier(CertificateApplier):
    """Applies the records of LicenceRegistry, one event at a time, beside the registration
    lifecycle (whose certificates it licenses)."""

    family = FAMILY

    def __init__(self, writes: Writes) -> None:
        super().__init__(writes)
        self.licences = self.own(licence_table, ("chain_id", "id"))

    def load(
        self, connection: Connection, records: Sequence[tuple[ChainLog, LicenceRecord]]
    ) -> None:
        """Read the certificates and licences (sublicences' parents too, every licence of a
        settled certificate) ``records`` are about."""
        tokens: set[int] = set()
        licence_ids: set[int] = set()
        settled: set[int] = set()
        for _, record in records:
            tokens.add(record.token_id)
            if isinstance(record, LicencesSettledRecord):
                settled.add(record.token_id)
                continue
            licence_ids.add(record.licence_id)
            if isinstance(record, LicenceGrantedRecord) and record.parent_id is not None:
                licence_ids.add(record.parent_id)
        self.registrations.load(connection, self.chain_id, tokens)
        self.licences.load(connection, self.chain_id, licence_ids)
        if settled:
            t = licence_table
            self.licences.load_where(
                connection, t.c.chain_id == self.chain_id, t.c.token_id.in_(sorted(settled))
            )

    def apply(self, log: ChainLog, record: LicenceRecord) -> None:
        if isinstance(record, LicenceGrantedRecord):
            self._licence_granted(log, record)
        elif isinstance(record, LicenceTerminatedRecord):
            self._licence_terminated(log, record)
        else:
            self._licences_settled(log, record)

    def _licence_granted(self, log: ChainLog, record: LicenceGrantedRecord) -> None:
        self.certificate(log, record.token_id, "LicenceGranted")
        if self.licences.get(record.licence_id) is not None:
            raise self.mismatch(log, f"licence {record.licence_id} is granted a second time")
        if record.parent_id is not None:
            parent = self.licences.get(record.parent_id)
            if parent is None or parent["token_id"] != record.token_id:
                raise self.mismatch(
                    log,
                    f"sublicence {record.licence_id} of certificate {record.token_id} names "
                    f"parent {record.parent_id}, which the mirror does not hold for it",
                )
        self.licences.add(
            record.licence_id,
            {
                "chain_id": self.chain_id,
                "id": record.licence_id,
                "voucher_number": record.voucher_number,
                "token_id": record.token_id,
                "parent_id": record.parent_id,
                "licensor": record.licensor,
                "licensee": record.licensee,
                "right": record.right.value,
                "exclusive": record.exclusive,
                "sublicensable": record.sublicensable,
                "purposes": str(record.purposes),
                "territories": str(record.territories),
                "granted_at": record.granted_at,
                "start": record.start,
                "end": record.end,
                "status": LicenceStatus.ACTIVE.value,
                "terms_hash": record.terms_hash,
                "fee_terms_hash": record.fee_terms_hash,
                "relayer": record.relayer,
                **self.created(log, "granted"),
                "terminated_at": None,
                "terminated_by": None,
                "termination_reason_hash": None,
                "settled_at": None,
                "settled_end": None,
                "last_block": log.block_number,
                "last_log_index": log.log_index,
            },
        )

    def _licence_terminated(self, log: ChainLog, record: LicenceTerminatedRecord) -> None:
        message = f"LicenceTerminated ends licence {record.licence_id}"
        row = self.in_status(self.licences, record.licence_id, LicenceStatus.ACTIVE, log, message)
        if record.by not in (self._licensor(row), row["licensee"]):
            raise self.mismatch(
                log, f"{record.by} terminates licence {record.licence_id} without being a party"
            )
        self.touch(self.licences, log, row, f"licence {record.licence_id}")
        row.update(
            status=LicenceStatus.TERMINATED.value,
            terminated_at=record.terminated_at,
            terminated_by=record.by,
            termination_reason_hash=record.reason_hash,
        )

    def _licensor(self, row: dict[str, object]) -> object:
        """A sublicence's licensor is its parent's licensee (stored); a direct licence's is
        whoever holds the certificate now."""
        if row["parent_id"] is not None:
            return row["licensor"]
        registration = self.registrations.get(row["token_id"])
        return None if registration is None else registration["holder"]

    def _licences_settled(self, log: ChainLog, record: LicencesSettledRecord) -> None:
        if record.end_status not in SETTLING_ENDS:
            raise self.mismatch(
                log,
                f"LicencesSettled settles certificate {record.token_id} with the end "
                f"{record.end_status}, which does not end a certificate",
            )
        if self.registrations.get(record.token_id) is None:
            raise self.mismatch(
                log,
                f"LicencesSettled refers to certificate {record.token_id}, which the mirror "
                "does not hold",
            )
        for row in list(self.licences.rows.values()):
            if row["token_id"] != record.token_id or row["status"] != LicenceStatus.ACTIVE:
                continue
            self.touch(self.licences, log, row, f"licence {row['id']}")
            row.update(
                status=LicenceStatus.SETTLED.value,
                settled_at=record.settled_at,
                settled_end=record.end_status.value,
            )


#: The classes of :data:`LicenceRecord`.
RECORD_TYPES: tuple[type, ...] = get_args(LicenceRecord)
register(CONTRACT, FAMILY, DECODERS, RECORD_TYPES)
register_applier(LicenceApplier, RECORD_TYPES)
