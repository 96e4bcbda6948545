"""Serve: read-only queries over the chain mirror.

Last stage of the indexer pipeline (fetch -> decode -> store -> serve). Nothing here writes;
the API and the CLI read the mirror only through these functions, so the schema stays private
to :mod:`registry.db` and :mod:`registry.indexer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import is_address, to_checksum_address
from sqlalchemy import ColumnElement, Engine, Select, and_, func, select

from registry.db.models import (
    asset_version_table,
    cursor_table,
    evidence_table,
    objection_table,
    registrar_account_table,
    registrar_table,
    registration_table,
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


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit must be between 1 and {MAX_PAGE}, not {limit}", limit=limit)
    if offset < 0:
        raise InputError(f"offset must not be negative, not {offset}", offset=offset)


def indexer_head(engine: Engine, chain_id: int) -> int | None:
    """The last block of ``chain_id`` the mirror holds completely (``None``: never synced)."""
    with engine.connect() as connection:
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
            select(accounts_table.c.code, accounts_table.c.account)
            .where(accounts_table.c.enabled.is_(True))
            .order_by(accounts_table.c.account)
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
            accounts=tuple(bound.get(row.code, ())),
            updated_block=row.updated_block,
            updated_log_index=row.updated_log_index,
        )
        for row in rows
    ]
