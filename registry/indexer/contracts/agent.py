"""TransferAgent: transfers, pledges, consents, freezes, approvals, cross-border records and
parties' countries.

Its events become one frozen record each (:data:`AgentRecord`), which :class:`AgentApplier`
applies to ``transfer``, ``pledge``, ``pledge_event``, ``freeze``, ``freeze_event``,
``transfer_approval``, ``cross_border_record`` and ``party_country``, in the same pass and chain
order as the registration lifecycle, because they touch the same rows
(``CertificateTransferred`` moves ``registration.holder``; a cancellation may follow a pledgee's
consent in the same transaction). The checks mirror the contract: a transfer moves a certificate
from its mirrored holder, a pledge is registered only while no other pledge of the certificate
is live, only a live pledge is released, enforced, settled or consented on, only a frozen
certificate is unfrozen. Approvals, cross-border records and countries are kept as last set; an
approval a move spends (``TransferApprovalUsed``) keeps when and by whom.

A ``PledgeRegistered`` carries the pledge as a struct, which must agree with the event's indexed
token and pledgee and be live.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias, get_args

from sqlalchemy import Connection

from registry.db.models import (
    cross_border_record_table,
    freeze_event_table,
    freeze_table,
    party_country_table,
    pledge_event_table,
    pledge_table,
    transfer_approval_table,
    transfer_table,
)
from registry.domain.chain import ChainEvent, ChainLog
from registry.domain.registration import Status
from registry.domain.rights import ConsentAction, CrossBorderMechanism, PledgeStatus, TransferReason
from registry.indexer.contracts.fields import (
    BLOCK_TIME,
    Field,
    address,
    ascii_of,
    ascii_text,
    check_indexed,
    error,
    hash32,
    member,
    optional_hash32,
    optional_time,
    record_maker,
    time,
    to_address,
    to_hash,
    uint,
    utc,
)
from registry.indexer.contracts.registry import CertificateApplier
from registry.indexer.decode import Record, RecordMaker, register
from registry.indexer.store import Row, Writes, event_name, register_applier

CONTRACT = "TransferAgent"

#: The family its records are counted in (shared with LicenceRegistry).
FAMILY = "rights"


# --- records ----------------------------------------------------------------------------------


class CertificateTransferredRecord(Record):
    """A movement of a certificate; ``document_hash`` is ``None`` for the zero hash (for an
    enforcement it is the pledge id as 32 bytes)."""

    token_id: int
    from_: str
    to: str
    reason: TransferReason
    document_hash: str | None
    transferred_at: datetime
    actor: str


class _PledgeRecord(Record):
    """A record about one pledge (of one certificate)."""

    pledge_id: int
    token_id: int


class PledgeRegisteredRecord(_PledgeRecord):
    pledgor: str
    pledgee: str
    secured_amount: int
    currency: str
    loan_ref: str
    registered_at: datetime
    maturity: datetime
    relayer: str


class PledgeReleasedRecord(_PledgeRecord):
    pledgee: str
    released_at: datetime


class PledgeEnforcedRecord(_PledgeRecord):
    to: str
    pledgee: str
    enforced_at: datetime


class PledgeSettledRecord(_PledgeRecord):
    """The certificate ended (``end_status``: cancelled, revoked or expired) and closed its
    pledge."""

    end_status: Status
    at: datetime


class _Consent(_PledgeRecord):
    """What a pledgee's consent states (granted, used up, or withdrawn)."""

    action: ConsentAction
    counterparty: str
    at: datetime


class PledgeConsentGrantedRecord(_Consent):
    """Given to ``pledgor`` (the pledgor then) until ``deadline`` by ``pledgee``."""

    pledgor: str
    deadline: datetime
    pledgee: str


class PledgeConsentUsedRecord(_Consent):
    """Spent by ``pledgor`` (the holder acting)."""

    pledgor: str


class PledgeConsentWithdrawnRecord(_Consent):
    pledgee: str


class PledgorChangedRecord(_PledgeRecord):
    pledgor: str
    at: datetime
    actor: str


class _Freeze(Record):
    """What a freeze or an unfreeze states; ``regulator`` is who acted (for an unfreeze, the
    regulator that froze or the admin)."""

    token_id: int
    regulator: str
    case_ref: str
    at: datetime


class CertificateFrozenRecord(_Freeze):
    pass


class CertificateUnfrozenRecord(_Freeze):
    pass


class TransferApprovedRecord(Record):
    """``expiry`` ``None``: the approval was withdrawn (set to 0); ``from_``: the exporter (the
    holder when approved; the zero address when withdrawing one that did not exist)."""

    token_id: int
    to: str
    from_: str
    expiry: datetime | None
    regulator: str


class TransferApprovalUsedRecord(Record):
    """A move from ``from_`` to ``to`` spent the approval ``regulator`` gave; ``actor`` moved."""

    token_id: int
    to: str
    from_: str
    regulator: str
    actor: str
    at: datetime


class CrossBorderRecordedRecord(Record):
    token_id: int
    recipient: str
    mechanism: CrossBorderMechanism
    expiry: datetime | None
    country: str
    approval_number_hash: str
    exporter: str
    regulator: str


class PartyCountrySetRecord(Record):
    """``country`` ``None``: cleared (no certificate moves to the party until one is set)."""

    party: str
    country: str | None
    regulator: str


#: A record of TransferAgent (one per event that has one).
AgentRecord: TypeAlias = (
    CertificateTransferredRecord
    | PledgeRegisteredRecord
    | PledgeReleasedRecord
    | PledgeEnforcedRecord
    | PledgeSettledRecord
    | PledgeConsentGrantedRecord
    | PledgeConsentUsedRecord
    | PledgeConsentWithdrawnRecord
    | PledgorChangedRecord
    | CertificateFrozenRecord
    | CertificateUnfrozenRecord
    | TransferApprovedRecord
    | TransferApprovalUsedRecord
    | CrossBorderRecordedRecord
    | PartyCountrySetRecord
)


# --- decoders ---------------------------------------------------------------------------------


def _pledge_registered(event: ChainEvent, _timestamp: int | None) -> PledgeRegisteredRecord:
    a = event.args
    token_id, pledgor, pledgee, amount, currency, registered_at, maturity, status, loan_ref = a[
        "record"
    ]
    check_indexed(event, token_id, pledgee, "pledgee")
    if int(status) != 1:
        raise error(event, f"registers pledge {a['pledgeId']} with status {status}, not live")
    return PledgeRegisteredRecord(
        pledge_id=int(a["pledgeId"]),
        token_id=int(token_id),
        pledgor=to_address(pledgor),
        pledgee=to_address(pledgee),
        secured_amount=int(amount),
        currency=ascii_of(event, currency, "currency"),
        loan_ref=to_hash(loan_ref),
        registered_at=utc(event, int(registered_at)),
        maturity=utc(event, int(maturity)),
        relayer=to_address(a["relayer"]),
    )


_COUNTRY = ascii_text("country")

#: the fields of consents granted and used
_CONSENT: dict[str, Field] = {
    "pledge_id": uint,
    "token_id": uint,
    "action": ("action", member(ConsentAction, "consent action")),
    "counterparty": ("counterparty", address),
    "at": BLOCK_TIME,
}

#: the fields of freezes and unfreezes (an unfreeze names its ``actor``)
_FREEZE: dict[str, Field] = {
    "token_id": uint,
    "regulator": address,
    "case_ref": ("caseRef", hash32),
    "at": BLOCK_TIME,
}

#: The certificate ends a pledge is settled by.
_ENDS = (Status.CANCELLED, Status.REVOKED, Status.EXPIRED)


def _end_status(event: ChainEvent, value: Any) -> Status:
    end = member(Status, "registration status")(event, value)
    if end not in _ENDS:
        raise error(event, f"settles a pledge by the certificate's status {end}, not an end")
    return Status(end)


def _country(event: ChainEvent, _timestamp: int | None) -> PartyCountrySetRecord:
    a = event.args
    return PartyCountrySetRecord(
        party=to_address(a["party"]),
        country=ascii_of(event, a["country"], "country") or None,
        regulator=to_address(a["regulator"]),
    )


#: event -> how to make its record: field maps where the event is flat, else by hand.
DECODERS: dict[str, RecordMaker] = {
    "CertificateTransferred": record_maker(
        CertificateTransferredRecord,
        token_id=uint,
        from_=address,
        to=address,
        reason=member(TransferReason, "transfer reason"),
        document_hash=optional_hash32,
        transferred_at=BLOCK_TIME,
        actor=address,
    ),
    "PledgeRegistered": _pledge_registered,
    "PledgeReleased": record_maker(
        PledgeReleasedRecord,
        pledge_id=uint,
        token_id=uint,
        pledgee=address,
        released_at=BLOCK_TIME,
    ),
    "PledgeEnforced": record_maker(
        PledgeEnforcedRecord,
        pledge_id=uint,
        token_id=uint,
        to=address,
        pledgee=address,
        enforced_at=BLOCK_TIME,
    ),
    "PledgeSettled": record_maker(
        PledgeSettledRecord,
        pledge_id=uint,
        token_id=uint,
        end_status=("endStatus", _end_status),
        at=BLOCK_TIME,
    ),
    "PledgeConsentGranted": record_maker(
        PledgeConsentGrantedRecord, **_CONSENT, pledgor=address, deadline=time, pledgee=address
    ),
    "PledgeConsentUsed": record_maker(PledgeConsentUsedRecord, **_CONSENT, pledgor=address),
    "PledgeConsentWithdrawn": record_maker(
        PledgeConsentWithdrawnRecord, **_CONSENT, pledgee=address
    ),
    "PledgorChanged": record_maker(
        PledgorChangedRecord,
        pledge_id=uint,
        token_id=uint,
        pledgor=address,
        at=BLOCK_TIME,
        actor=address,
    ),
    "CertificateFrozen": record_maker(CertificateFrozenRecord, **_FREEZE),
    "CertificateUnfrozen": record_maker(
        CertificateUnfrozenRecord, **{**_FREEZE, "regulator": ("actor", address)}
    ),
    "TransferApproved": record_maker(
        TransferApprovedRecord,
        token_id=uint,
        to=address,
        from_=address,
        expiry=optional_time,
        regulator=address,
    ),
    "TransferApprovalUsed": record_maker(
        TransferApprovalUsedRecord,
        token_id=uint,
        to=address,
        from_=address,
        regulator=address,
        actor=address,
        at=BLOCK_TIME,
    ),
    "CrossBorderRecorded": record_maker(
        CrossBorderRecordedRecord,
        token_id=uint,
        recipient=address,
        mechanism=member(CrossBorderMechanism, "mechanism"),
        expiry=optional_time,
        country=_COUNTRY,
        approval_number_hash=hash32,
        exporter=address,
        regulator=address,
    ),
    "PartyCountrySet": _country,
}


# --- applying ---------------------------------------------------------------------------------


#: ``pledge_event.kind`` of each pledge record.
_PLEDGE_EVENT_KINDS: dict[type, str] = {
    PledgeRegisteredRecord: "registered",
    PledgeReleasedRecord: "released",
    PledgeEnforcedRecord: "enforced",
    PledgeSettledRecord: "settled",
    PledgeConsentGrantedRecord: "consent_granted",
    PledgeConsentUsedRecord: "consent_used",
    PledgeConsentWithdrawnRecord: "consent_withdrawn",
    PledgorChangedRecord: "pledgor_changed",
}

#: A record about one existing pledge.
PledgeChange = (
    PledgeReleasedRecord
    | PledgeEnforcedRecord
    | PledgeSettledRecord
    | PledgeConsentGrantedRecord
    | PledgeConsentUsedRecord
    | PledgeConsentWithdrawnRecord
    | PledgorChangedRecord
)


class AgentApplier(CertificateApplier):
    """Applies the records of TransferAgent, one event at a time, beside the registration
    lifecycle (whose rows it shares: a transfer moves ``registration.holder``)."""

    family = FAMILY

    def __init__(self, writes: Writes) -> None:
        super().__init__(writes)
        self.pledges = self.own(pledge_table, ("chain_id", "id"))
        self.freezes = self.own(freeze_table, ("chain_id", "token_id"))
        self.approvals = self.own(transfer_approval_table, ("chain_id", "token_id", "recipient"))
        self.cross_border = self.own(
            cross_border_record_table, ("chain_id", "token_id", "recipient")
        )
        self.countries = self.own(party_country_table, ("chain_id", "party"))
        self.transfers = self.appended(transfer_table)
        self.pledge_events = self.appended(pledge_event_table)
        self.freeze_events = self.appended(freeze_event_table)

    def load(self, connection: Connection, records: Sequence[tuple[ChainLog, AgentRecord]]) -> None:
        """Read the certificates, pledges, freezes, approvals, cross-border records and parties
        ``records`` are about (and the live pledges of certificates pledged again)."""
        tokens: set[int] = set()
        pledging: set[int] = set()
        pledge_ids: set[int] = set()
        frozen: set[int] = set()
        approvals: set[tuple[int, str]] = set()
        cross_border: set[tuple[int, str]] = set()
        parties: set[str] = set()
        for _, record in records:
            if isinstance(record, CertificateTransferredRecord | CertificateFrozenRecord):
                tokens.add(record.token_id)
            if isinstance(record, PledgeRegisteredRecord):
                tokens.add(record.token_id)
                pledging.add(record.token_id)
            if isinstance(record, PledgeRegisteredRecord | PledgeChange):
                pledge_ids.add(record.pledge_id)
            elif isinstance(record, CertificateFrozenRecord | CertificateUnfrozenRecord):
                frozen.add(record.token_id)
            elif isinstance(record, TransferApprovedRecord | TransferApprovalUsedRecord):
                approvals.add((record.token_id, record.to))
            elif isinstance(record, CrossBorderRecordedRecord):
                cross_border.add((record.token_id, record.recipient))
            elif isinstance(record, PartyCountrySetRecord):
                parties.add(record.party)
        self.registrations.load(connection, self.chain_id, tokens)
        self.pledges.load(connection, self.chain_id, pledge_ids)
        if pledging:  # the live pledges of certificates pledged again, to refuse a second one
            t = pledge_table
            self.pledges.load_where(
                connection,
                t.c.chain_id == self.chain_id,
                t.c.token_id.in_(sorted(pledging)),
                t.c.status == PledgeStatus.LIVE.value,
            )
        self.freezes.load(connection, self.chain_id, frozen)
        self.approvals.load(connection, self.chain_id, approvals)
        self.cross_border.load(connection, self.chain_id, cross_border)
        self.countries.load(connection, self.chain_id, parties)

    # --- helpers --------------------------------------------------------------------------

    def _pledge(self, log: ChainLog, record: PledgeChange) -> Row:
        """The live pledge ``record`` is about."""
        event = event_name(record)
        message = f"{event} refers to pledge {record.pledge_id}"
        row = self.in_status(self.pledges, record.pledge_id, PledgeStatus.LIVE, log, message)
        if row["token_id"] != record.token_id:
            raise self.mismatch(
                log,
                f"{event} names certificate {record.token_id} for pledge {record.pledge_id} of "
                f"certificate {row['token_id']}",
            )
        return row

    def _pledge_event(
        self,
        log: ChainLog,
        record: PledgeRegisteredRecord | PledgeChange,
        party: str,
        at: datetime,
        action: str | None = None,
        actor: str | None = None,
        deadline: datetime | None = None,
    ) -> None:
        self.pledge_events.append(
            {
                "chain_id": self.chain_id,
                "block_number": log.block_number,
                "log_index": log.log_index,
                "pledge_id": record.pledge_id,
                "token_id": record.token_id,
                "kind": _PLEDGE_EVENT_KINDS[type(record)],
                "action": action,
                "party": party,
                "tx_hash": log.tx_hash,
                "at": at,
                "actor": actor,
                "deadline": deadline,
            }
        )

    # --- applying -------------------------------------------------------------------------

    def apply(self, log: ChainLog, record: AgentRecord) -> None:
        if isinstance(record, CertificateTransferredRecord):
            self._transferred(log, record)
        elif isinstance(record, PledgeRegisteredRecord):
            self._pledge_registered(log, record)
        elif isinstance(record, PledgeChange):
            self._pledge_changed(log, record)
        elif isinstance(record, CertificateFrozenRecord | CertificateUnfrozenRecord):
            self._freeze(log, record)
        elif isinstance(record, TransferApprovedRecord):
            self.upsert(
                self.approvals,
                log,
                {
                    "chain_id": self.chain_id,
                    "token_id": record.token_id,
                    "recipient": record.to,
                    "expiry": record.expiry,
                    "regulator": record.regulator,
                    "from_address": None if record.expiry is None else record.from_,
                    "used_at": None,
                    "used_by": None,
                },
                f"the approval of certificate {record.token_id} to {record.to}",
            )
        elif isinstance(record, TransferApprovalUsedRecord):
            self._approval_used(log, record)
        elif isinstance(record, CrossBorderRecordedRecord):
            self.upsert(
                self.cross_border,
                log,
                {
                    "chain_id": self.chain_id,
                    "token_id": record.token_id,
                    "recipient": record.recipient,
                    "mechanism": record.mechanism.value,
                    "expiry": record.expiry,
                    "country": record.country,
                    "approval_number_hash": record.approval_number_hash,
                    "regulator": record.regulator,
                    "exporter": record.exporter,
                },
                f"the cross-border record of certificate {record.token_id} to {record.recipient}",
            )
        else:
            self.upsert(
                self.countries,
                log,
                {
                    "chain_id": self.chain_id,
                    "party": record.party,
                    "country": record.country,
                    "regulator": record.regulator,
                },
                f"the country of {record.party}",
            )

    def _transferred(self, log: ChainLog, record: CertificateTransferredRecord) -> None:
        row = self.certificate(log, record.token_id, "CertificateTransferred")
        if row["holder"] != record.from_:
            raise self.mismatch(
                log,
                f"certificate {record.token_id} moves from {record.from_}, but its holder is "
                f"{row['holder']} (the mirror's state)",
            )
        self.touch_registration(log, row)
        row["holder"] = record.to
        self.transfers.append(
            {
                "chain_id": self.chain_id,
                "block_number": log.block_number,
                "log_index": log.log_index,
                "token_id": record.token_id,
                "from_address": record.from_,
                "to_address": record.to,
                "reason": record.reason.value,
                "document_hash": record.document_hash,
                "tx_hash": log.tx_hash,
                "transferred_at": record.transferred_at,
                "actor": record.actor,
            }
        )

    def _approval_used(self, log: ChainLog, record: TransferApprovalUsedRecord) -> None:
        what = f"the approval of certificate {record.token_id} to {record.to}"
        row = self.approvals.get((record.token_id, record.to))
        if row is None or row["expiry"] is None or row["used_at"] is not None:
            raise self.mismatch(log, f"a move spends {what}, which the mirror does not hold live")
        if row["from_address"] not in (None, record.from_):
            raise self.mismatch(
                log, f"{record.from_} spends {what}, given for moves from {row['from_address']}"
            )
        self.upsert(
            self.approvals,
            log,
            {**row, "used_at": record.at, "used_by": record.actor},
            what,
        )

    def _pledge_registered(self, log: ChainLog, record: PledgeRegisteredRecord) -> None:
        row = self.certificate(log, record.token_id, "PledgeRegistered")
        if row["holder"] != record.pledgor:
            raise self.mismatch(
                log,
                f"pledge {record.pledge_id} is given by {record.pledgor}, but certificate "
                f"{record.token_id} is held by {row['holder']} (the mirror's state)",
            )
        if self.pledges.get(record.pledge_id) is not None:
            raise self.mismatch(log, f"pledge {record.pledge_id} is registered a second time")
        live = [
            p["id"]
            for p in self.pledges.rows.values()
            if p["token_id"] == record.token_id and p["status"] == PledgeStatus.LIVE
        ]
        if live:
            raise self.mismatch(
                log,
                f"pledge {record.pledge_id} is registered on certificate {record.token_id}, "
                f"which is already pledged (pledge {live[0]})",
            )
        self.pledges.add(
            record.pledge_id,
            {
                "chain_id": self.chain_id,
                "id": record.pledge_id,
                "token_id": record.token_id,
                "pledgor": record.pledgor,
                "pledgee": record.pledgee,
                "secured_amount": str(record.secured_amount),
                "currency": record.currency,
                "loan_ref": record.loan_ref,
                "registered_at": record.registered_at,
                "maturity": record.maturity,
                "status": PledgeStatus.LIVE.value,
                "relayer": record.relayer,
                **self.created(log, "registered"),
                "closed_at": None,
                "enforced_to": None,
                "end_status": None,
                "last_block": log.block_number,
                "last_log_index": log.log_index,
            },
        )
        self._pledge_event(log, record, record.pledgor, record.registered_at)

    def _pledge_changed(self, log: ChainLog, record: PledgeChange) -> None:
        row = self._pledge(log, record)
        what = f"pledge {record.pledge_id}"
        if isinstance(record, PledgeReleasedRecord | PledgeEnforcedRecord):
            if record.pledgee != row["pledgee"]:
                raise self.mismatch(
                    log, f"{record.pledgee} closes {what}, whose pledgee is {row['pledgee']}"
                )
            self.touch(self.pledges, log, row, what)
            if isinstance(record, PledgeReleasedRecord):
                row.update(status=PledgeStatus.RELEASED.value, closed_at=record.released_at)
                self._pledge_event(log, record, record.pledgee, record.released_at)
            else:
                row.update(
                    status=PledgeStatus.ENFORCED.value,
                    closed_at=record.enforced_at,
                    enforced_to=record.to,
                )
                self._pledge_event(log, record, record.to, record.enforced_at)
        elif isinstance(record, PledgeSettledRecord):
            self.touch(self.pledges, log, row, what)
            row.update(
                status=PledgeStatus.SETTLED.value,
                closed_at=record.at,
                end_status=record.end_status.value,
            )
            self._pledge_event(log, record, row["pledgor"], record.at)
        elif isinstance(record, PledgorChangedRecord):
            self.touch(self.pledges, log, row, what)
            row["pledgor"] = record.pledgor
            self._pledge_event(log, record, record.pledgor, record.at, actor=record.actor)
        elif isinstance(record, PledgeConsentGrantedRecord):
            # consents change nothing the pledge row keeps; the history records them
            self._pledge_event(
                log,
                record,
                record.counterparty,
                record.at,
                record.action.value,
                actor=record.pledgee,
                deadline=record.deadline,
            )
        elif isinstance(record, PledgeConsentUsedRecord):
            self._pledge_event(
                log, record, record.counterparty, record.at, record.action.value, record.pledgor
            )
        else:
            self._pledge_event(
                log, record, record.counterparty, record.at, record.action.value, record.pledgee
            )

    def _freeze(
        self, log: ChainLog, record: CertificateFrozenRecord | CertificateUnfrozenRecord
    ) -> None:
        freezing = isinstance(record, CertificateFrozenRecord)
        row = self.freezes.get(record.token_id)
        what = f"the freeze of certificate {record.token_id}"
        if freezing:
            if self.registrations.get(record.token_id) is None:
                raise self.mismatch(
                    log,
                    f"CertificateFrozen refers to certificate {record.token_id}, which the "
                    "mirror does not hold",
                )
            if row is not None and row["frozen"]:
                raise self.mismatch(log, f"certificate {record.token_id} is frozen twice")
        elif row is None or not row["frozen"]:
            raise self.mismatch(
                log, f"certificate {record.token_id} is unfrozen, but it is not frozen"
            )
        values = {
            "frozen": freezing,
            "since": record.at if freezing else None,
            "frozen_by": record.regulator if freezing else None,
            "case_ref": record.case_ref if freezing else None,
        }
        self.put(self.freezes, log, row, {"token_id": record.token_id}, values, what)
        self.freeze_events.append(
            {
                "chain_id": self.chain_id,
                "block_number": log.block_number,
                "log_index": log.log_index,
                "token_id": record.token_id,
                "frozen": freezing,
                "regulator": record.regulator,
                "case_ref": record.case_ref,
                "tx_hash": log.tx_hash,
                "at": record.at,
            }
        )


#: The classes of :data:`AgentRecord`.
RECORD_TYPES: tuple[type, ...] = get_args(AgentRecord)
register(CONTRACT, FAMILY, DECODERS, RECORD_TYPES)
register_applier(AgentApplier, RECORD_TYPES)
