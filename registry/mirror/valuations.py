"""Valuations as mirrored: appraisers' accreditations, valuations (with whether their appraiser
is still accredited), the newest active valuation of a certificate, and the accounting class
its current holder recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, func, select

from registry.db.models import (
    accounting_class_table,
    appraiser_table,
    registration_table,
    valuation_table,
)
from registry.domain.valuation import (
    Valuation,
    ValuationStatus,
)
from registry.mirror.common import certificate_numbers, normalise_address, row_of


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
class ValuationRow(Valuation):
    """One mirrored valuation: the :class:`~registry.domain.valuation.Valuation` with what the
    mirror adds (``base_date`` is kept as the time the contract stored). ``value`` is in minor
    units of ``currency`` (fen for CNY); ``appraiser_removed`` is whether its appraiser's
    accreditation is withdrawn now (the valuation stays; a client judges it). ``facts_hash`` and
    ``report_uri`` are ``None`` when none was given; ``withdrawn_at`` and
    ``withdraw_reason_hash`` are set once withdrawn. ``submitted_*`` is where its
    ``ValuationSubmitted`` log is, ``last_*`` the last event applied.
    """

    base_date: datetime
    certificate_number: str | None
    appraiser_removed: bool
    report_uri: str | None
    withdraw_reason_hash: str | None
    submitted_block: int
    submitted_log_index: int
    submitted_tx_hash: str
    last_block: int
    last_log_index: int


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
        numbers = certificate_numbers(connection, {int(r.token_id) for r in rows})
    return [
        row_of(
            ValuationRow,
            r,
            certificate_number=numbers.get(r.token_id),
            appraiser_removed=r.appraiser_accredited is not None and not r.appraiser_accredited,
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
    return row_of(AppraiserRow, r)


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
