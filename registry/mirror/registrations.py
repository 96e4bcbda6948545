"""The registration lifecycle as mirrored: registrations (with the status ``statusOf`` would
report at the query's time), the versions of an issued asset's content, objections and their
rulings, and the registrars with their bound staff accounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import ColumnElement, Engine, Select, and_, func, or_, select

from registry.db.models import (
    asset_version_table,
    objection_table,
    registrar_account_table,
    registrar_table,
    registration_table,
)
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
from registry.errors import InputError
from registry.mirror.common import (
    check_page,
    normalise_address,
    query_time,
    row_of,
    text_order,
)


@dataclass(frozen=True)
class RegistrationRow:
    """One mirrored registration.

    ``status`` is the stored lifecycle status; ``effective_status`` is what the contract's
    ``statusOf`` reports at the time of the query: :attr:`Status.EXPIRED` for an issued
    certificate whose ``valid_until`` has passed (or one closed at expiry, whose stored status is
    already ``expired``), ``status`` otherwise. ``issued_by`` is the registrar account that
    issued it; ``ended_by`` the account that cancelled, revoked or closed it, and
    ``end_ruling_hash`` the ruling recorded when a pledged or frozen certificate was revoked.
    ``source_agreement_end``
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
    issued_by: str | None
    ended_by: str | None
    end_ruling_hash: str | None
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


def effective_status(status: Status, valid_until: datetime | None, now: datetime) -> Status:
    """``status`` as ``statusOf`` would report it at ``now`` (expiry is derived from the time,
    and stored only once the certificate was closed)."""
    if status is Status.ISSUED and valid_until is not None and valid_until < now:
        return Status.EXPIRED
    return status


def _registration(row: Any, now: datetime) -> RegistrationRow:
    return row_of(
        RegistrationRow,
        row,
        parents=tuple(int(p) for p in row.parents),
        effective_status=effective_status(Status(row.status), row.valid_until, now),
    )


class RegistrationFilters(TypedDict, total=False):
    """The filters :func:`list_registrations` and :func:`count_registrations` share (each
    ``None`` or left out: not filtered on)."""

    status: str | None
    holder: str | None
    registrar_code: int | None
    kind: str | None


def _registration_filters(
    query: str, filters: RegistrationFilters, now: datetime
) -> list[ColumnElement[bool]]:
    for name in filters.keys() - RegistrationFilters.__optional_keys__:
        raise TypeError(f"{query}() got an unexpected keyword argument {name!r}")
    status, holder = filters.get("status"), filters.get("holder")
    registrar_code, kind = filters.get("registrar_code"), filters.get("kind")
    t = registration_table
    where: list[ColumnElement[bool]] = []
    if status is not None:
        if status not in STATUS_FILTERS:
            raise InputError(
                f"unknown status {status[:40]!r}; one of {', '.join(sorted(STATUS_FILTERS))}",
                status=status[:40],
            )
        if status == Status.EXPIRED:
            where.append(
                or_(
                    t.c.status == Status.EXPIRED.value,
                    and_(t.c.status == Status.ISSUED.value, t.c.valid_until < now),
                )
            )
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
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
    **filters: Unpack[RegistrationFilters],
) -> list[RegistrationRow]:
    """Mirrored registrations, newest first (by registration id).

    ``status`` is a lifecycle status as :attr:`RegistrationRow.effective_status` reports it:
    ``expired`` keeps issued certificates whose ``valid_until`` is before ``now``, ``issued``
    only those still valid at ``now``. ``holder`` (any letter case), ``registrar_code`` and
    ``kind`` (``resource`` / ``product``) narrow further. ``now`` (timezone-aware; default: the
    current time) is the moment expiry is judged at. ``limit`` is 1 to :data:`MAX_PAGE`;
    ``offset`` skips that many rows.
    """
    as_of = query_time(now)
    check_page(limit, offset)
    where = _registration_filters("list_registrations", filters, as_of)
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
    engine: Engine, *, now: datetime | None = None, **filters: Unpack[RegistrationFilters]
) -> int:
    """How many registrations :func:`list_registrations` with the same filters would page over."""
    where = _registration_filters("count_registrations", filters, query_time(now))
    statement = select(func.count()).select_from(registration_table).where(*where)
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def _one_registration(
    engine: Engine, statement: Select[Any], now: datetime | None
) -> RegistrationRow | None:
    as_of = query_time(now)
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
        return [row_of(AssetVersionRow, row) for row in connection.execute(statement)]


def _objection(row: Any) -> ObjectionRow:
    return row_of(ObjectionRow, row, id=row.objection_id)


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
        row_of(RegistrarRow, row, accounts=tuple(sorted(bound.get(row.code, ()), key=text_order)))
        for row in rows
    ]
