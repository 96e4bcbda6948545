"""Serve: read-only queries over the chain mirror.

Last stage of the indexer pipeline (fetch -> decode -> store -> serve). Nothing here writes;
the API and the CLI read the mirror only through these functions, so the schema stays private
to :mod:`registry.db` and :mod:`registry.indexer`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import is_address, to_checksum_address
from sqlalchemy import ColumnElement, Connection, Engine, Select, and_, func, select

from registry.db.models import (
    accounting_class_table,
    appraiser_table,
    asset_version_table,
    cross_border_record_table,
    cursor_table,
    evidence_table,
    freeze_event_table,
    freeze_table,
    licence_table,
    objection_table,
    party_country_table,
    pledge_event_table,
    pledge_table,
    registrar_account_table,
    registrar_table,
    registration_table,
    transfer_approval_table,
    transfer_table,
    valuation_table,
)
from registry.domain.evidence import EvidenceRecord, format_fingerprint
from registry.domain.numbers import (
    CERTIFICATE_DIGITS,
    parse_certificate_number,
    parse_registration_number,
)
from registry.domain.registration import (
    AssetKind,
    Classification,
    ObjectionStatus,
    Right,
    Status,
    rights_of,
)
from registry.domain.rights import (
    ConsentAction,
    CrossBorderMechanism,
    LicenceStatus,
    PledgeStatus,
    Purpose,
    Territory,
    TransferReason,
    parse_voucher_number,
)
from registry.domain.valuation import (
    ValuationMethod,
    ValuationPurpose,
    ValuationStatus,
    ValueType,
)
from registry.errors import InputError, MalformedFingerprintError

#: Largest page :func:`list_evidence` serves.
MAX_PAGE = 1000


def _record(row: Any) -> EvidenceRecord:
    return EvidenceRecord(
        fingerprint=bytes.fromhex(row.fingerprint.removeprefix("0x")),
        anchorer=row.anchorer,
        anchored_at=row.anchored_at,
        block_number=row.block_number,
        tx_hash=row.tx_hash,
        relayer=row.relayer,
    )


def normalise_address(address: str) -> str:
    """``address`` in the EIP-55 checksummed form the mirror stores; :class:`InputError` if bad."""
    candidate = address.strip()
    if not is_address(candidate):
        raise InputError(
            f"malformed address {address[:80]!r}: expected 0x followed by 40 hex digits",
            address=address[:80],
        )
    return str(to_checksum_address(candidate))


def _text_order(value: str) -> bytes:
    """Sort key of text such as EIP-55 addresses, the same on every database: lists ordered by
    text are sorted here, because ``ORDER BY`` on text follows the database's collation
    (SQLite compares bytes; PostgreSQL's ``en_US.UTF-8`` puts ``0xab`` before ``0xAC``)."""
    return value.encode("utf-8")


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit must be between 1 and {MAX_PAGE}, not {limit}", limit=limit)
    if offset < 0:
        raise InputError(f"offset must not be negative, not {offset}", offset=offset)


def indexer_head(engine: Engine, chain_id: int) -> int | None:
    """The last block of ``chain_id`` the mirror holds completely (``None``: never synced)."""
    with engine.connect() as connection:
        return head_in(connection, chain_id)


def head_in(connection: Connection, chain_id: int) -> int | None:
    """:func:`indexer_head` read in ``connection`` (inside a caller's transaction)."""
    value = connection.execute(
        select(cursor_table.c.last_block).where(cursor_table.c.chain_id == chain_id)
    ).scalar_one_or_none()
    return None if value is None else int(value)


def evidence_by_fingerprint(engine: Engine, fingerprint: bytes) -> EvidenceRecord | None:
    """The mirrored evidence of ``fingerprint`` (32 bytes), or ``None`` if it is not anchored
    (as far as the mirror has seen)."""
    if len(fingerprint) != 32:
        raise MalformedFingerprintError(
            f"malformed fingerprint: expected 32 bytes, got {len(fingerprint)}"
        )
    with engine.connect() as connection:
        row = connection.execute(
            select(evidence_table).where(
                evidence_table.c.fingerprint == format_fingerprint(fingerprint)
            )
        ).one_or_none()
    return None if row is None else _record(row)


def list_evidence(
    engine: Engine, *, anchorer: str | None = None, limit: int = 50, offset: int = 0
) -> list[EvidenceRecord]:
    """Mirrored evidence, newest first (by block, then position in the block).

    ``anchorer`` (any letter case) keeps only that party's anchors. ``limit`` is 1 to
    :data:`MAX_PAGE`; ``offset`` skips that many records.
    """
    _page(limit, offset)
    statement = select(evidence_table)
    if anchorer is not None:
        statement = statement.where(evidence_table.c.anchorer == normalise_address(anchorer))
    statement = (
        statement.order_by(
            evidence_table.c.block_number.desc(),
            evidence_table.c.log_index.desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as connection:
        return [_record(row) for row in connection.execute(statement)]


def count_evidence(engine: Engine, *, anchorer: str | None = None) -> int:
    """How many fingerprints the mirror holds (only ``anchorer``'s, if given)."""
    statement = select(func.count()).select_from(evidence_table)
    if anchorer is not None:
        statement = statement.where(evidence_table.c.anchorer == normalise_address(anchorer))
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


# --- the registration lifecycle ----------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationRow:
    """One mirrored registration.

    ``status`` is the stored lifecycle status; ``effective_status`` is what the contract's
    ``statusOf`` reports at the time of the query: :attr:`Status.EXPIRED` for an issued
    certificate whose ``valid_until`` has passed, ``status`` otherwise. ``source_agreement_end``
    is unix seconds (``None``: no source agreement). ``submitted_*`` is where the application's
    ``ApplicationSubmitted`` log is on chain, ``last_*`` the position of the last event applied.
    """

    chain_id: int
    id: int
    registration_number: str
    holder: str
    registrar_code: int
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
    status: Status
    effective_status: Status
    submitted_at: datetime
    notice_start: datetime | None
    notice_end: datetime | None
    issued_at: datetime | None
    valid_until: datetime | None
    certificate_number: str | None
    version: int
    open_objections: int
    submitted_block: int
    submitted_log_index: int
    submitted_tx_hash: str
    last_block: int
    last_log_index: int

    @property
    def rights_set(self) -> frozenset[Right]:
        """The certified rights named by :attr:`rights`."""
        return rights_of(self.rights)


@dataclass(frozen=True)
class AssetVersionRow:
    """One version of an issued asset's content (1: as issued; later: changes, corrections)."""

    registration_id: int
    version: int
    fingerprint: str
    metadata_hash: str
    correction: bool
    changed_by: str
    changed_at: datetime
    block_number: int
    log_index: int
    tx_hash: str


@dataclass(frozen=True)
class ObjectionRow:
    """An objection and, once ruled, its ruling."""

    id: int
    registration_id: int
    objector: str
    evidence_hash: str
    status: ObjectionStatus
    filed_at: datetime
    filed_block: int
    filed_log_index: int
    filed_tx_hash: str
    ruled_at: datetime | None
    ruling_reason_hash: str | None
    ruled_by: str | None


@dataclass(frozen=True)
class RegistrarRow:
    """A registration agency's policy, with the staff accounts bound to it now."""

    code: int
    active: bool
    objections_open_to_all: bool
    evidence_required: bool
    notice_period: int
    accounts: tuple[str, ...]
    updated_block: int
    updated_log_index: int


#: Statuses :func:`list_registrations` filters by (``expired`` and ``issued`` by time too).
STATUS_FILTERS = frozenset(s.value for s in Status if s is not Status.NONE)


def _as_of(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(tz=UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError(f"the time {now.isoformat()} has no timezone; pass an aware datetime")
    return now


def effective_status(status: Status, valid_until: datetime | None, now: datetime) -> Status:
    """``status`` as ``statusOf`` would report it at ``now`` (expiry is derived, never stored)."""
    if status is Status.ISSUED and valid_until is not None and valid_until < now:
        return Status.EXPIRED
    return status


def _registration(row: Any, now: datetime) -> RegistrationRow:
    status = Status(row.status)
    return RegistrationRow(
        chain_id=row.chain_id,
        id=row.id,
        registration_number=row.registration_number,
        holder=row.holder,
        registrar_code=row.registrar_code,
        kind=AssetKind(row.kind),
        rights=row.rights,
        level=Classification(row.level),
        data_source=row.data_source,
        applicant_type=row.applicant_type,
        source_agreement_end=row.source_agreement_end,
        fingerprint=row.fingerprint,
        metadata_hash=row.metadata_hash,
        parents=tuple(int(p) for p in row.parents),
        relayer=row.relayer,
        status=status,
        effective_status=effective_status(status, row.valid_until, now),
        submitted_at=row.submitted_at,
        notice_start=row.notice_start,
        notice_end=row.notice_end,
        issued_at=row.issued_at,
        valid_until=row.valid_until,
        certificate_number=row.certificate_number,
        version=row.version,
        open_objections=row.open_objections,
        submitted_block=row.submitted_block,
        submitted_log_index=row.submitted_log_index,
        submitted_tx_hash=row.submitted_tx_hash,
        last_block=row.last_block,
        last_log_index=row.last_log_index,
    )


def _registration_filters(
    *,
    status: str | None,
    holder: str | None,
    registrar_code: int | None,
    kind: str | None,
    now: datetime,
) -> list[ColumnElement[bool]]:
    t = registration_table
    where: list[ColumnElement[bool]] = []
    if status is not None:
        if status not in STATUS_FILTERS:
            raise InputError(
                f"unknown status {status[:40]!r}; one of {', '.join(sorted(STATUS_FILTERS))}",
                status=status[:40],
            )
        if status == Status.EXPIRED:
            where.append(and_(t.c.status == Status.ISSUED.value, t.c.valid_until < now))
        elif status == Status.ISSUED:
            where.append(and_(t.c.status == Status.ISSUED.value, t.c.valid_until >= now))
        else:
            where.append(t.c.status == status)
    if holder is not None:
        where.append(t.c.holder == normalise_address(holder))
    if registrar_code is not None:
        where.append(t.c.registrar_code == registrar_code)
    if kind is not None:
        if kind not in {k.value for k in AssetKind}:
            raise InputError(
                f"unknown asset kind {kind[:40]!r}; one of {', '.join(k.value for k in AssetKind)}",
                kind=kind[:40],
            )
        where.append(t.c.kind == kind)
    return where


def list_registrations(
    engine: Engine,
    *,
    status: str | None = None,
    holder: str | None = None,
    registrar_code: int | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> list[RegistrationRow]:
    """Mirrored registrations, newest first (by registration id).

    ``status`` is a lifecycle status as :attr:`RegistrationRow.effective_status` reports it:
    ``expired`` keeps issued certificates whose ``valid_until`` is before ``now``, ``issued``
    only those still valid at ``now``. ``holder`` (any letter case), ``registrar_code`` and
    ``kind`` (``resource`` / ``product``) narrow further. ``now`` (timezone-aware; default: the
    current time) is the moment expiry is judged at. ``limit`` is 1 to :data:`MAX_PAGE`;
    ``offset`` skips that many rows.
    """
    as_of = _as_of(now)
    _page(limit, offset)
    where = _registration_filters(
        status=status, holder=holder, registrar_code=registrar_code, kind=kind, now=as_of
    )
    statement = (
        select(registration_table)
        .where(*where)
        .order_by(registration_table.c.id.desc(), registration_table.c.chain_id)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as connection:
        return [_registration(row, as_of) for row in connection.execute(statement)]


def count_registrations(
    engine: Engine,
    *,
    status: str | None = None,
    holder: str | None = None,
    registrar_code: int | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> int:
    """How many registrations :func:`list_registrations` with the same filters would page over."""
    where = _registration_filters(
        status=status, holder=holder, registrar_code=registrar_code, kind=kind, now=_as_of(now)
    )
    statement = select(func.count()).select_from(registration_table).where(*where)
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def _one_registration(
    engine: Engine, statement: Select[Any], now: datetime | None
) -> RegistrationRow | None:
    as_of = _as_of(now)
    with engine.connect() as connection:
        row = connection.execute(statement).one_or_none()
    return None if row is None else _registration(row, as_of)


def registration_row(
    engine: Engine, reg_id: int, *, now: datetime | None = None
) -> RegistrationRow | None:
    """Registration ``reg_id`` as mirrored, or ``None`` if the mirror does not hold it."""
    statement = select(registration_table).where(registration_table.c.id == reg_id)
    return _one_registration(engine, statement, now)


def registration_by_number(
    engine: Engine, number: str, *, now: datetime | None = None
) -> RegistrationRow | None:
    """The registration with registration number (16 digits) or certificate number (17 digits)
    ``number``; spaces and hyphens are ignored, a wrong check digit is a
    :class:`~registry.errors.MalformedNumberError`."""
    if len(re.sub(r"[\s-]", "", number)) == CERTIFICATE_DIGITS:
        column = registration_table.c.certificate_number
        digits = parse_certificate_number(number).text
    else:
        column = registration_table.c.registration_number
        digits = parse_registration_number(number).text
    return _one_registration(engine, select(registration_table).where(column == digits), now)


def versions_of(engine: Engine, reg_id: int) -> list[AssetVersionRow]:
    """Every version of registration ``reg_id``'s content, oldest first (none before issue)."""
    t = asset_version_table
    statement = select(t).where(t.c.registration_id == reg_id).order_by(t.c.version)
    with engine.connect() as connection:
        return [
            AssetVersionRow(
                registration_id=row.registration_id,
                version=row.version,
                fingerprint=row.fingerprint,
                metadata_hash=row.metadata_hash,
                correction=bool(row.correction),
                changed_by=row.changed_by,
                changed_at=row.changed_at,
                block_number=row.block_number,
                log_index=row.log_index,
                tx_hash=row.tx_hash,
            )
            for row in connection.execute(statement)
        ]


def _objection(row: Any) -> ObjectionRow:
    return ObjectionRow(
        id=row.objection_id,
        registration_id=row.registration_id,
        objector=row.objector,
        evidence_hash=row.evidence_hash,
        status=ObjectionStatus(row.status),
        filed_at=row.filed_at,
        filed_block=row.filed_block,
        filed_log_index=row.filed_log_index,
        filed_tx_hash=row.filed_tx_hash,
        ruled_at=row.ruled_at,
        ruling_reason_hash=row.ruling_reason_hash,
        ruled_by=row.ruled_by,
    )


def objections_of(engine: Engine, reg_id: int) -> list[ObjectionRow]:
    """The objections filed against registration ``reg_id``, in the order they were filed."""
    t = objection_table
    statement = select(t).where(t.c.registration_id == reg_id).order_by(t.c.objection_id)
    with engine.connect() as connection:
        return [_objection(row) for row in connection.execute(statement)]


def objection_row(engine: Engine, objection_id: int) -> ObjectionRow | None:
    """Objection ``objection_id`` as mirrored, or ``None``."""
    t = objection_table
    with engine.connect() as connection:
        row = connection.execute(select(t).where(t.c.objection_id == objection_id)).one_or_none()
    return None if row is None else _objection(row)


def registrars(engine: Engine) -> list[RegistrarRow]:
    """Every registrar the registry configured, by code, with its currently bound accounts."""
    accounts_table = registrar_account_table
    with engine.connect() as connection:
        bound: dict[int, list[str]] = {}
        for code, account in connection.execute(
            select(accounts_table.c.code, accounts_table.c.account).where(
                accounts_table.c.enabled.is_(True)
            )
        ):
            bound.setdefault(int(code), []).append(account)
        rows = connection.execute(select(registrar_table).order_by(registrar_table.c.code)).all()
    return [
        RegistrarRow(
            code=row.code,
            active=bool(row.active),
            objections_open_to_all=bool(row.objections_open_to_all),
            evidence_required=bool(row.evidence_required),
            notice_period=row.notice_period,
            accounts=tuple(sorted(bound.get(row.code, ()), key=_text_order)),
            updated_block=row.updated_block,
            updated_log_index=row.updated_log_index,
        )
        for row in rows
    ]


# --- rights: pledges, licences, transfers, freezes -------------------------------------------


@dataclass(frozen=True)
class PledgeRow:
    """One mirrored pledge (current state); ``history`` is every event of it, in chain order."""

    id: int
    token_id: int
    certificate_number: str | None
    pledgor: str
    pledgee: str
    secured_amount: int
    currency: str
    loan_ref: str
    registered_at: datetime
    maturity: datetime
    status: PledgeStatus
    relayer: str
    closed_at: datetime | None
    enforced_to: str | None
    registered_block: int
    registered_log_index: int
    registered_tx_hash: str
    history: tuple[PledgeEventRow, ...]

    @property
    def live(self) -> bool:
        return self.status is PledgeStatus.LIVE


@dataclass(frozen=True)
class PledgeEventRow:
    """``kind``: registered, released, enforced, consent_granted, consent_used, pledgor_changed;
    ``action``: the consent's :class:`ConsentAction`; ``party``: see ``pledge_event``."""

    pledge_id: int
    kind: str
    action: ConsentAction | None
    party: str
    at: datetime
    block_number: int
    log_index: int
    tx_hash: str


@dataclass(frozen=True)
class LicenceRow:
    """One mirrored licence or sublicence; ``live`` is judged at the query's ``now`` exactly as
    ``LicenceRegistry.isLive`` does: active, ``start <= now <= end``, every parent live, and
    the certificate issued and unexpired. ``unknown_*_bits`` are bits no code names."""

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
    purposes: frozenset[Purpose]
    territories: frozenset[Territory]
    unknown_purpose_bits: int
    unknown_territory_bits: int
    granted_at: datetime
    start: datetime
    end: datetime
    status: LicenceStatus
    live: bool
    terms_hash: str
    fee_terms_hash: str | None
    relayer: str
    terminated_at: datetime | None
    terminated_by: str | None
    termination_reason_hash: str | None
    granted_block: int
    granted_log_index: int
    granted_tx_hash: str


@dataclass(frozen=True)
class TransferRow:
    token_id: int
    from_: str
    to: str
    reason: TransferReason
    document_hash: str | None
    transferred_at: datetime
    block_number: int
    log_index: int
    tx_hash: str


@dataclass(frozen=True)
class FreezeEventRow:
    frozen: bool
    regulator: str
    case_ref: str
    at: datetime
    block_number: int
    log_index: int
    tx_hash: str


@dataclass(frozen=True)
class FreezeRow:
    """Whether a certificate is frozen (``since``, ``by``, ``case_ref`` of the current freeze)
    and every freeze and unfreeze of it, in chain order."""

    token_id: int
    frozen: bool
    since: datetime | None
    by: str | None
    case_ref: str | None
    history: tuple[FreezeEventRow, ...]


@dataclass(frozen=True)
class CrossBorderRow:
    token_id: int
    recipient: str
    mechanism: CrossBorderMechanism
    expiry: datetime | None
    country: str
    approval_number_hash: str
    regulator: str


@dataclass(frozen=True)
class TransferApprovalRow:
    token_id: int
    recipient: str
    expiry: datetime | None
    regulator: str


def _certificate_numbers(connection: Connection, token_ids: set[int]) -> dict[int, str | None]:
    if not token_ids:
        return {}
    t = registration_table
    rows = connection.execute(
        select(t.c.id, t.c.certificate_number).where(t.c.id.in_(sorted(token_ids)))
    )
    return {int(r.id): r.certificate_number for r in rows}


def _pledge_rows(engine: Engine, where: list[ColumnElement[bool]]) -> list[PledgeRow]:
    t, e = pledge_table, pledge_event_table
    with engine.connect() as connection:
        rows = connection.execute(select(t).where(*where).order_by(t.c.id)).all()
        ids = sorted({int(r.id) for r in rows})
        history: dict[int, list[PledgeEventRow]] = {}
        if ids:
            events = connection.execute(
                select(e).where(e.c.pledge_id.in_(ids)).order_by(e.c.block_number, e.c.log_index)
            )
            for ev in events:
                history.setdefault(int(ev.pledge_id), []).append(
                    PledgeEventRow(
                        pledge_id=ev.pledge_id,
                        kind=ev.kind,
                        action=None if ev.action is None else ConsentAction(ev.action),
                        party=ev.party,
                        at=ev.at,
                        block_number=ev.block_number,
                        log_index=ev.log_index,
                        tx_hash=ev.tx_hash,
                    )
                )
        numbers = _certificate_numbers(connection, {int(r.token_id) for r in rows})
    return [
        PledgeRow(
            id=r.id,
            token_id=r.token_id,
            certificate_number=numbers.get(r.token_id),
            pledgor=r.pledgor,
            pledgee=r.pledgee,
            secured_amount=int(r.secured_amount),
            currency=r.currency,
            loan_ref=r.loan_ref,
            registered_at=r.registered_at,
            maturity=r.maturity,
            status=PledgeStatus(r.status),
            relayer=r.relayer,
            closed_at=r.closed_at,
            enforced_to=r.enforced_to,
            registered_block=r.registered_block,
            registered_log_index=r.registered_log_index,
            registered_tx_hash=r.registered_tx_hash,
            history=tuple(history.get(int(r.id), ())),
        )
        for r in rows
    ]


def pledges_of_token(engine: Engine, token_id: int, live_only: bool = False) -> list[PledgeRow]:
    """Lien search by asset: the pledges of certificate ``token_id`` in filing order (first to
    file first), each with its history; only the live one with ``live_only``."""
    where = [pledge_table.c.token_id == token_id]
    if live_only:
        where.append(pledge_table.c.status == PledgeStatus.LIVE.value)
    return _pledge_rows(engine, where)


def pledges_of_holder(engine: Engine, address: str, live_only: bool = False) -> list[PledgeRow]:
    """Lien search by holder: the pledges ``address`` (any letter case) gave as pledgor (a
    certificate's pledgor follows it when it is transferred), in filing order."""
    where = [pledge_table.c.pledgor == normalise_address(address)]
    if live_only:
        where.append(pledge_table.c.status == PledgeStatus.LIVE.value)
    return _pledge_rows(engine, where)


def _licence_rows(connection: Connection, rows: Sequence[Any], now: datetime) -> list[LicenceRow]:
    """Rows of ``licence`` as :class:`LicenceRow`, their liveness judged at ``now`` (reading
    the parents and certificates it depends on)."""
    by_id: dict[int, Any] = {int(r.id): r for r in rows}
    missing = {int(r.parent_id) for r in rows if r.parent_id is not None} - set(by_id)
    while missing:  # the ancestors of sublicences, up the chain
        t = licence_table
        found = connection.execute(select(t).where(t.c.id.in_(sorted(missing)))).all()
        for r in found:
            by_id[int(r.id)] = r
        missing = {int(r.parent_id) for r in found if r.parent_id is not None} - set(by_id)
        if not found:
            break
    reg = registration_table
    certificates = {
        int(r.id): r
        for r in connection.execute(
            select(reg.c.id, reg.c.status, reg.c.valid_until, reg.c.certificate_number).where(
                reg.c.id.in_(sorted({int(r.token_id) for r in by_id.values()}))
            )
        )
    }
    live: dict[int, bool] = {}

    def is_live(licence_id: int) -> bool:
        if licence_id not in live:
            r = by_id.get(licence_id)
            if r is None or r.status != LicenceStatus.ACTIVE or not r.start <= now <= r.end:
                live[licence_id] = False
            elif r.parent_id is not None:
                live[licence_id] = is_live(int(r.parent_id))
            else:
                cert = certificates.get(int(r.token_id))
                live[licence_id] = cert is not None and (
                    effective_status(Status(cert.status), cert.valid_until, now) is Status.ISSUED
                )
        return live[licence_id]

    out = []
    for r in rows:
        purposes, territories = int(r.purposes), int(r.territories)
        cert = certificates.get(int(r.token_id))
        out.append(
            LicenceRow(
                id=r.id,
                voucher_number=r.voucher_number,
                token_id=r.token_id,
                certificate_number=None if cert is None else cert.certificate_number,
                parent_id=r.parent_id,
                licensor=r.licensor,
                licensee=r.licensee,
                right=Right(r.right),
                exclusive=bool(r.exclusive),
                sublicensable=bool(r.sublicensable),
                purposes=Purpose.of_mask(purposes),
                territories=Territory.of_mask(territories),
                unknown_purpose_bits=Purpose.unknown_bits(purposes),
                unknown_territory_bits=Territory.unknown_bits(territories),
                granted_at=r.granted_at,
                start=r.start,
                end=r.end,
                status=LicenceStatus(r.status),
                live=is_live(int(r.id)),
                terms_hash=r.terms_hash,
                fee_terms_hash=r.fee_terms_hash,
                relayer=r.relayer,
                terminated_at=r.terminated_at,
                terminated_by=r.terminated_by,
                termination_reason_hash=r.termination_reason_hash,
                granted_block=r.granted_block,
                granted_log_index=r.granted_log_index,
                granted_tx_hash=r.granted_tx_hash,
            )
        )
    return out


def licences_of_token(
    engine: Engine, token_id: int, live_only: bool = False, now: datetime | None = None
) -> list[LicenceRow]:
    """The licences and sublicences of certificate ``token_id`` in the order granted; with
    ``live_only`` only those live at ``now`` (timezone-aware; default: the current time)."""
    as_of = _as_of(now)
    t = licence_table
    with engine.connect() as connection:
        rows = connection.execute(select(t).where(t.c.token_id == token_id).order_by(t.c.id)).all()
        found = _licence_rows(connection, rows, as_of)
    return [r for r in found if r.live] if live_only else found


def public_licences(
    engine: Engine, limit: int = 50, offset: int = 0, now: datetime | None = None
) -> list[LicenceRow]:
    """Every licence, newest first: the public disclosure of authorised operation (授权运营
    公示). ``live`` is judged at ``now``; ``limit`` is 1 to :data:`MAX_PAGE`."""
    _page(limit, offset)
    as_of = _as_of(now)
    t = licence_table
    with engine.connect() as connection:
        rows = connection.execute(
            select(t).order_by(t.c.id.desc(), t.c.chain_id).limit(limit).offset(offset)
        ).all()
        return _licence_rows(connection, rows, as_of)


def count_licences(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(licence_table)).scalar_one())


def licence_by_voucher_number(
    engine: Engine, number: str, now: datetime | None = None
) -> LicenceRow | None:
    """The licence with voucher number ``number`` (check digit validated first)."""
    digits = parse_voucher_number(number).text
    t = licence_table
    with engine.connect() as connection:
        rows = connection.execute(select(t).where(t.c.voucher_number == digits)).all()
        found = _licence_rows(connection, rows, _as_of(now))
    return found[0] if found else None


def transfers_of_token(engine: Engine, token_id: int) -> list[TransferRow]:
    """Every movement of certificate ``token_id``, in chain order (the regulator's trace)."""
    t = transfer_table
    statement = select(t).where(t.c.token_id == token_id).order_by(t.c.block_number, t.c.log_index)
    with engine.connect() as connection:
        return [
            TransferRow(
                token_id=r.token_id,
                from_=r.from_address,
                to=r.to_address,
                reason=TransferReason(r.reason),
                document_hash=r.document_hash,
                transferred_at=r.transferred_at,
                block_number=r.block_number,
                log_index=r.log_index,
                tx_hash=r.tx_hash,
            )
            for r in connection.execute(statement)
        ]


def freeze_of(engine: Engine, token_id: int) -> FreezeRow:
    """Whether certificate ``token_id`` is frozen, with its freeze history (never frozen: not
    frozen, no history)."""
    t, e = freeze_table, freeze_event_table
    with engine.connect() as connection:
        row = connection.execute(select(t).where(t.c.token_id == token_id)).one_or_none()
        events = connection.execute(
            select(e).where(e.c.token_id == token_id).order_by(e.c.block_number, e.c.log_index)
        ).all()
    history = tuple(
        FreezeEventRow(
            frozen=bool(ev.frozen),
            regulator=ev.regulator,
            case_ref=ev.case_ref,
            at=ev.at,
            block_number=ev.block_number,
            log_index=ev.log_index,
            tx_hash=ev.tx_hash,
        )
        for ev in events
    )
    if row is None:
        return FreezeRow(token_id, False, None, None, None, history)
    return FreezeRow(token_id, bool(row.frozen), row.since, row.frozen_by, row.case_ref, history)


def cross_border_records(engine: Engine, token_id: int) -> list[CrossBorderRow]:
    """The cross-border records of certificate ``token_id``, one per recipient, as last set."""
    t = cross_border_record_table
    statement = select(t).where(t.c.token_id == token_id)
    with engine.connect() as connection:
        rows = sorted(connection.execute(statement), key=lambda r: _text_order(r.recipient))
        return [
            CrossBorderRow(
                token_id=r.token_id,
                recipient=r.recipient,
                mechanism=CrossBorderMechanism(r.mechanism),
                expiry=r.expiry,
                country=r.country,
                approval_number_hash=r.approval_number_hash,
                regulator=r.regulator,
            )
            for r in rows
        ]


def transfer_approvals(engine: Engine, token_id: int) -> list[TransferApprovalRow]:
    """The regulator's transfer approvals of certificate ``token_id``, one per recipient."""
    t = transfer_approval_table
    statement = select(t).where(t.c.token_id == token_id)
    with engine.connect() as connection:
        rows = sorted(connection.execute(statement), key=lambda r: _text_order(r.recipient))
        return [TransferApprovalRow(r.token_id, r.recipient, r.expiry, r.regulator) for r in rows]


def party_country(engine: Engine, party: str) -> str:
    """The country recorded for ``party`` (ISO 3166-1 alpha-2; ``CN`` unless one was set)."""
    t = party_country_table
    with engine.connect() as connection:
        value = connection.execute(
            select(t.c.country).where(t.c.party == normalise_address(party))
        ).scalar_one_or_none()
    return str(value) if value else "CN"


# --- valuations: appraisers, valuations, accounting classes -----------------------------------


@dataclass(frozen=True)
class AppraiserRow:
    """An appraiser's accreditation as its events leave it: ``accredited`` now or not;
    ``accredited_at``, ``accreditation_hash`` and ``accredited_by`` of the latest accreditation;
    ``removed_*`` of the removal while removed (``None`` while accredited)."""

    address: str
    accredited: bool
    accredited_at: datetime
    accreditation_hash: str
    accredited_by: str
    removed_at: datetime | None
    removed_by: str | None
    removal_reason_hash: str | None
    last_block: int
    last_log_index: int

    @property
    def removed(self) -> bool:
        return not self.accredited


@dataclass(frozen=True)
class ValuationRow:
    """One mirrored valuation. ``value`` is in minor units of ``currency`` (fen for CNY);
    ``appraiser_removed`` is whether its appraiser's accreditation is withdrawn now (the
    valuation stays; a client judges it). ``facts_hash`` and ``report_uri`` are ``None`` when
    none was given; ``withdrawn_at`` and ``withdraw_reason_hash`` are set once withdrawn.
    ``submitted_*`` is where its ``ValuationSubmitted`` log is, ``last_*`` the last event applied.
    """

    id: int
    token_id: int
    certificate_number: str | None
    appraiser: str
    appraiser_removed: bool
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
    status: ValuationStatus
    withdrawn_at: datetime | None
    withdraw_reason_hash: str | None
    submitted_block: int
    submitted_log_index: int
    submitted_tx_hash: str
    last_block: int
    last_log_index: int

    @property
    def active(self) -> bool:
        return self.status is ValuationStatus.ACTIVE


def _valuation_rows(engine: Engine, where: list[ColumnElement[bool]]) -> list[ValuationRow]:
    """Valuations matching ``where``, oldest first, with their appraiser's standing."""
    v, a = valuation_table, appraiser_table
    statement = (
        select(v, a.c.accredited.label("appraiser_accredited"))
        .select_from(
            v.outerjoin(a, and_(a.c.chain_id == v.c.chain_id, a.c.address == v.c.appraiser))
        )
        .where(*where)
        .order_by(v.c.id, v.c.chain_id)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
        numbers = _certificate_numbers(connection, {int(r.token_id) for r in rows})
    return [
        ValuationRow(
            id=r.id,
            token_id=r.token_id,
            certificate_number=numbers.get(r.token_id),
            appraiser=r.appraiser,
            appraiser_removed=r.appraiser_accredited is not None and not r.appraiser_accredited,
            asset_version=r.asset_version,
            value=int(r.value),
            currency=r.currency,
            method=ValuationMethod(r.method),
            value_type=ValueType(r.value_type),
            purpose=ValuationPurpose(r.purpose),
            base_date=r.base_date,
            submitted_at=r.submitted_at,
            report_hash=r.report_hash,
            facts_hash=r.facts_hash,
            report_uri=r.report_uri,
            status=ValuationStatus(r.status),
            withdrawn_at=r.withdrawn_at,
            withdraw_reason_hash=r.withdraw_reason_hash,
            submitted_block=r.submitted_block,
            submitted_log_index=r.submitted_log_index,
            submitted_tx_hash=r.submitted_tx_hash,
            last_block=r.last_block,
            last_log_index=r.last_log_index,
        )
        for r in rows
    ]


def valuations_of_token(engine: Engine, token_id: int) -> list[ValuationRow]:
    """Every valuation of certificate ``token_id``, active or withdrawn, oldest first (as
    ``ValuationRegistry.valuationsOf``)."""
    return _valuation_rows(engine, [valuation_table.c.token_id == token_id])


def latest_valuation_of_token(engine: Engine, token_id: int) -> ValuationRow | None:
    """The newest active valuation of certificate ``token_id`` (a withdrawn one never counts),
    or ``None`` (as ``ValuationRegistry.latestValuationOf``)."""
    v = valuation_table
    with engine.connect() as connection:
        newest = connection.execute(
            select(func.max(v.c.id)).where(
                v.c.token_id == token_id, v.c.status == ValuationStatus.ACTIVE.value
            )
        ).scalar_one_or_none()
    if newest is None:
        return None
    found = _valuation_rows(engine, [v.c.id == newest])
    return found[0] if found else None


def valuation_row(engine: Engine, valuation_id: int) -> ValuationRow | None:
    """Valuation ``valuation_id`` as mirrored, or ``None`` if the mirror does not hold it."""
    found = _valuation_rows(engine, [valuation_table.c.id == valuation_id])
    return found[0] if found else None


def appraiser_row(engine: Engine, address: str) -> AppraiserRow | None:
    """The accreditation record of ``address`` (any letter case; :class:`InputError` if
    malformed), or ``None`` if it was never accredited."""
    t = appraiser_table
    with engine.connect() as connection:
        r = connection.execute(
            select(t).where(t.c.address == normalise_address(address))
        ).one_or_none()
    if r is None:
        return None
    return AppraiserRow(
        address=r.address,
        accredited=bool(r.accredited),
        accredited_at=r.accredited_at,
        accreditation_hash=r.accreditation_hash,
        accredited_by=r.accredited_by,
        removed_at=r.removed_at,
        removed_by=r.removed_by,
        removal_reason_hash=r.removal_reason_hash,
        last_block=r.last_block,
        last_log_index=r.last_log_index,
    )


def accounting_class_of(engine: Engine, token_id: int) -> str | None:
    """The accounting class the current holder of certificate ``token_id`` recorded
    (``intangible_asset`` or ``inventory``), or ``None`` if it recorded none: a choice lapses
    when the certificate moves to another holder (as ``ValuationRegistry.accountingClassOf``)."""
    c, reg = accounting_class_table, registration_table
    statement = (
        select(c.c.accounting_class)
        .select_from(c.join(reg, and_(reg.c.chain_id == c.c.chain_id, reg.c.id == c.c.token_id)))
        .where(c.c.token_id == token_id, c.c.holder == reg.c.holder)
    )
    with engine.connect() as connection:
        value = connection.execute(statement).scalar_one_or_none()
    return None if value is None else str(value)
