"""Rights over certificates as mirrored: pledges (lien searches by asset and by holder, with
each pledge's history), licences and sublicences (liveness judged as ``LicenceRegistry.isLive``
does), transfers, freezes, cross-border records, transfer approvals and party countries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, Table, func, select

from registry.db.models import (
    cross_border_record_table,
    freeze_event_table,
    freeze_table,
    licence_table,
    party_country_table,
    pledge_event_table,
    pledge_table,
    registration_table,
    transfer_approval_table,
    transfer_table,
)
from registry.domain.registration import Status
from registry.domain.rights import (
    ConsentAction,
    CrossBorderRecord,
    Freeze,
    Licence,
    LicenceStatus,
    Pledge,
    PledgeStatus,
    Purpose,
    Territory,
    Transfer,
    parse_voucher_number,
)
from registry.mirror.common import (
    certificate_numbers,
    check_page,
    normalise_address,
    query_time,
    row_of,
    text_order,
)
from registry.mirror.registrations import effective_status

#: A row dataclass kept once per recipient.
R = TypeVar("R")


@dataclass(frozen=True)
class PledgeRow(Pledge):
    """One mirrored pledge (current state): the :class:`~registry.domain.rights.Pledge` with
    what the mirror adds; ``history`` is every event of it, in chain order.

    ``status`` is effective, as ``TransferAgent.pledge`` reports it: a pledge the chain still
    keeps live on a certificate no longer in force (expired, or ended before the ledger settled
    it) is ``settled``, with ``end_status`` the certificate's end (``expired`` ...);
    ``end_status`` is also the end that settled a pledge (``PledgeSettled``)."""

    certificate_number: str | None
    relayer: str
    closed_at: datetime | None
    enforced_to: str | None
    end_status: Status | None
    registered_block: int
    registered_log_index: int
    registered_tx_hash: str
    history: tuple[PledgeEventRow, ...]


@dataclass(frozen=True)
class PledgeEventRow:
    """``kind``: registered, released, enforced, settled, consent_granted, consent_used,
    consent_withdrawn, pledgor_changed; ``action``: the consent's :class:`ConsentAction`;
    ``party``, ``actor`` and ``deadline``: see ``pledge_event``."""

    pledge_id: int
    kind: str
    action: ConsentAction | None
    party: str
    at: datetime
    block_number: int
    log_index: int
    tx_hash: str
    actor: str | None
    deadline: datetime | None


@dataclass(frozen=True)
class LicenceRow(Licence):
    """One mirrored licence or sublicence: the :class:`~registry.domain.rights.Licence` with
    what the mirror adds. ``live`` is judged at the query's ``now`` exactly as
    ``LicenceRegistry.isLive`` does: active, ``start <= now <= end``, every parent live, and
    the certificate issued and unexpired. ``unknown_*_bits`` are bits no code names.
    ``licensor`` of a direct licence is the certificate's current holder (its licensor powers
    pass with the certificate); ``granted_by`` is the licensor that granted it. ``settled_*``
    say when and with which end of the certificate (``LicencesSettled``) a licence ended."""

    certificate_number: str | None
    unknown_purpose_bits: int
    unknown_territory_bits: int
    relayer: str
    terminated_at: datetime | None
    terminated_by: str | None
    termination_reason_hash: str | None
    settled_at: datetime | None
    settled_end: str | None
    granted_by: str
    granted_block: int
    granted_log_index: int
    granted_tx_hash: str


@dataclass(frozen=True)
class TransferRow(Transfer):
    """A :class:`~registry.domain.rights.Transfer` with when and where in its block it was,
    and who moved it (``None`` before contracts v2)."""

    transferred_at: datetime
    log_index: int
    actor: str | None


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
class FreezeRow(Freeze):
    """Whether a certificate is frozen (the :class:`~registry.domain.rights.Freeze`: ``since``,
    ``by``, ``case_ref`` of the current freeze) and every freeze and unfreeze of it, in chain
    order."""

    history: tuple[FreezeEventRow, ...]


@dataclass(frozen=True)
class CrossBorderRow(CrossBorderRecord):
    """A :class:`~registry.domain.rights.CrossBorderRecord` as the regulator last set it (the
    mirror keeps ``country`` and ``approval_number_hash`` as the event gave them, never
    ``None``)."""

    country: str
    approval_number_hash: str
    regulator: str


@dataclass(frozen=True)
class TransferApprovalRow:
    """An approval of one move from ``from_address`` to ``recipient``; ``used_at`` and
    ``used_by``: the move that spent it (then it allows nothing more)."""

    token_id: int
    recipient: str
    expiry: datetime | None
    regulator: str
    from_address: str | None
    used_at: datetime | None
    used_by: str | None


def _pledge_rows(
    engine: Engine, where: list[ColumnElement[bool]], now: datetime, live_only: bool
) -> list[PledgeRow]:
    """The pledges ``where`` selects, their status effective at ``now`` (see :class:`PledgeRow`);
    only those live at ``now`` with ``live_only``."""
    t, e, reg = pledge_table, pledge_event_table, registration_table
    if live_only:
        where = [*where, t.c.status == PledgeStatus.LIVE.value]
    with engine.connect() as connection:
        rows = connection.execute(select(t).where(*where).order_by(t.c.id)).all()
        tokens = sorted({int(r.token_id) for r in rows})
        ends: dict[int, Status] = {}
        if tokens:
            for cert in connection.execute(
                select(reg.c.id, reg.c.status, reg.c.valid_until).where(reg.c.id.in_(tokens))
            ):
                ends[int(cert.id)] = effective_status(Status(cert.status), cert.valid_until, now)
        rows = [
            r
            for r in rows
            if not live_only or ends.get(int(r.token_id), Status.ISSUED) is Status.ISSUED
        ]
        ids = sorted({int(r.id) for r in rows})
        history: dict[int, list[PledgeEventRow]] = {}
        if ids:
            events = connection.execute(
                select(e).where(e.c.pledge_id.in_(ids)).order_by(e.c.block_number, e.c.log_index)
            )
            for ev in events:
                history.setdefault(int(ev.pledge_id), []).append(row_of(PledgeEventRow, ev))
        numbers = certificate_numbers(connection, {int(r.token_id) for r in rows})
    out = []
    for r in rows:
        computed: dict[str, Any] = {}
        end = ends.get(int(r.token_id), Status.ISSUED)
        if r.status == PledgeStatus.LIVE.value and end is not Status.ISSUED:
            computed = {"status": PledgeStatus.SETTLED, "end_status": end}
        out.append(
            row_of(
                PledgeRow,
                r,
                certificate_number=numbers.get(r.token_id),
                history=tuple(history.get(int(r.id), ())),
                **computed,
            )
        )
    return out


def pledges_of_token(
    engine: Engine, token_id: int, live_only: bool = False, now: datetime | None = None
) -> list[PledgeRow]:
    """Lien search by asset: the pledges of certificate ``token_id`` in filing order (first to
    file first), each with its history; only the live one with ``live_only`` (none once the
    certificate is not in force at ``now``, timezone-aware, default the current time)."""
    where = [pledge_table.c.token_id == token_id]
    return _pledge_rows(engine, where, query_time(now), live_only)


def pledges_of_holder(
    engine: Engine, address: str, live_only: bool = False, now: datetime | None = None
) -> list[PledgeRow]:
    """Lien search by holder: the pledges ``address`` (any letter case) gave as pledgor (a
    certificate's pledgor follows it when it is transferred), in filing order; ``live_only``
    and ``now`` as in :func:`pledges_of_token`."""
    where = [pledge_table.c.pledgor == normalise_address(address)]
    return _pledge_rows(engine, where, query_time(now), live_only)


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
            select(
                reg.c.id, reg.c.status, reg.c.valid_until, reg.c.certificate_number, reg.c.holder
            ).where(reg.c.id.in_(sorted({int(r.token_id) for r in by_id.values()})))
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
            row_of(
                LicenceRow,
                r,
                certificate_number=None if cert is None else cert.certificate_number,
                licensor=r.licensor if r.parent_id is not None or cert is None else cert.holder,
                granted_by=r.licensor,
                purposes=Purpose.of_mask(purposes),
                territories=Territory.of_mask(territories),
                unknown_purpose_bits=Purpose.unknown_bits(purposes),
                unknown_territory_bits=Territory.unknown_bits(territories),
                live=is_live(int(r.id)),
            )
        )
    return out


def licences_of_token(
    engine: Engine, token_id: int, live_only: bool = False, now: datetime | None = None
) -> list[LicenceRow]:
    """The licences and sublicences of certificate ``token_id`` in the order granted; with
    ``live_only`` only those live at ``now`` (timezone-aware; default: the current time)."""
    as_of = query_time(now)
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
    check_page(limit, offset)
    as_of = query_time(now)
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
        found = _licence_rows(connection, rows, query_time(now))
    return found[0] if found else None


def transfers_of_token(engine: Engine, token_id: int) -> list[TransferRow]:
    """Every movement of certificate ``token_id``, in chain order (the regulator's trace)."""
    t = transfer_table
    statement = select(t).where(t.c.token_id == token_id).order_by(t.c.block_number, t.c.log_index)
    with engine.connect() as connection:
        return [
            row_of(TransferRow, r, from_=r.from_address, to=r.to_address)
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
    history = tuple(row_of(FreezeEventRow, ev) for ev in events)
    if row is None:
        return FreezeRow(token_id, False, None, None, None, history)
    return row_of(FreezeRow, row, by=row.frozen_by, history=history)


def _per_recipient(engine: Engine, table: Table, cls: type[R], token_id: int) -> list[R]:
    """The rows of ``table`` (one per recipient) of certificate ``token_id`` as ``cls``, by
    recipient."""
    statement = select(table).where(table.c.token_id == token_id)
    with engine.connect() as connection:
        rows = sorted(connection.execute(statement), key=lambda r: text_order(r.recipient))
    return [row_of(cls, r) for r in rows]


def cross_border_records(engine: Engine, token_id: int) -> list[CrossBorderRow]:
    """The cross-border records of certificate ``token_id``, one per recipient, as last set."""
    return _per_recipient(engine, cross_border_record_table, CrossBorderRow, token_id)


def transfer_approvals(engine: Engine, token_id: int) -> list[TransferApprovalRow]:
    """The regulator's transfer approvals of certificate ``token_id``, one per recipient."""
    return _per_recipient(engine, transfer_approval_table, TransferApprovalRow, token_id)


def party_country(engine: Engine, party: str) -> str | None:
    """The country recorded for ``party`` (ISO 3166-1 alpha-2); ``None``: none recorded, and no
    certificate moves to the party (fail closed)."""
    t = party_country_table
    with engine.connect() as connection:
        value = connection.execute(
            select(t.c.country).where(t.c.party == normalise_address(party))
        ).scalar_one_or_none()
    return str(value) if value else None
