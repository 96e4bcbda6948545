"""The statistics cache: one row of small integers per certificate (``report_certificate``).

A report at the mirror's head reads this table alone instead of joining registrations, asset
facts, accounting classes, freezes and latest valuations for every certificate. :func:`refresh`
keeps it in step with the mirror before each report, touching only what changed:

* the certificates whose registration, valuations, accounting class or freeze row was written
  after the block the cache is current to (every derived row carries ``last_block``);
* when new asset facts arrived, the certificates still without facts;
* after a reorg rollback (a new ``reorg_rollback`` row: rows may have gone back to older
  images), or when asset facts were removed, everything.

Expiry is not cached: the report derives it from ``valid_until`` at its own time. The cache is
derived data: deleting its rows (or ``report_state``) only makes the next report rebuild it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select

from registry.db.models import (
    accounting_class_table,
    asset_facts_table,
    freeze_table,
    registration_table,
    reorg_rollback_table,
    report_certificate_table,
    report_label_table,
    report_state_table,
    valuation_table,
)
from registry.db.writes import insert_new
from registry.domain.registration import AssetKind, Classification, Status
from registry.domain.valuation import AccountingClass, ValuationStatus
from registry.mirror import head_in
from registry.reports.months import month_number, month_of

LEVELS: tuple[str, ...] = tuple(c.value for c in Classification)
KINDS: tuple[str, ...] = tuple(k.value for k in AssetKind)
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
CLASSES: tuple[str, ...] = tuple(c.value for c in AccountingClass)
_CHUNK = 500


def _position(values: Sequence[str], value: str) -> int:
    try:
        return values.index(value)
    except ValueError:  # a value this version does not know: kept apart, never mislabelled
        return len(values)


def _month(moment: datetime | None) -> int | None:
    return None if moment is None else month_number(month_of(moment))


def _labels(connection: Connection, texts: Iterable[str]) -> dict[str, int]:
    """The ``report_label`` id of each text, adding the texts not stored yet."""
    wanted = set(texts)
    t = report_label_table
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(wanted)):
        found.update(
            (str(text), int(i))
            for i, text in connection.execute(select(t.c.id, t.c.text).where(t.c.text.in_(chunk)))
        )
    new = sorted(wanted - set(found))
    if new:  # a concurrent report may add the same texts: theirs are kept
        insert_new(connection, t, [{"text": text} for text in new])
        for chunk in _chunks(new):
            found.update(
                (str(text), int(i))
                for i, text in connection.execute(
                    select(t.c.id, t.c.text).where(t.c.text.in_(chunk))
                )
            )
    return found


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _compute(connection: Connection, chain_id: int, tokens: Sequence[int] | None) -> int:
    """Write the rows of ``tokens`` (every certificate: ``None``); how many were written."""
    r, f, a, fz, v = (
        registration_table,
        asset_facts_table,
        accounting_class_table,
        freeze_table,
        valuation_table,
    )
    newest = (
        select(v.c.token_id, func.max(v.c.id).label("id"))
        .where(v.c.chain_id == chain_id, v.c.status == ValuationStatus.ACTIVE.value)
        .group_by(v.c.token_id)
        .subquery()
    )
    latest = v.alias("latest")
    sources = (
        r.outerjoin(f, and_(f.c.metadata_hash == r.c.metadata_hash, f.c.readable.is_(True)))
        .outerjoin(
            a, and_(a.c.chain_id == r.c.chain_id, a.c.token_id == r.c.id, a.c.holder == r.c.holder)
        )
        .outerjoin(fz, and_(fz.c.chain_id == r.c.chain_id, fz.c.token_id == r.c.id))
        .outerjoin(newest, newest.c.token_id == r.c.id)
        .outerjoin(latest, and_(latest.c.chain_id == r.c.chain_id, latest.c.id == newest.c.id))
    )
    query = (
        select(
            r.c.id,
            f.c.industry,
            f.c.category,
            f.c.region,
            r.c.level,
            r.c.kind,
            r.c.status,
            r.c.valid_until,
            r.c.registrar_code,
            a.c.accounting_class,
            fz.c.frozen,
            r.c.issued_at,
            latest.c.currency,
            latest.c.value,
        )
        .select_from(sources)
        .where(r.c.chain_id == chain_id, r.c.certificate_number.is_not(None))
    )
    chunks: Iterable[Sequence[int] | None] = [None] if tokens is None else _chunks(tokens)
    written = 0
    c = report_certificate_table
    for chunk in chunks:
        rows = connection.execute(query if chunk is None else query.where(r.c.id.in_(chunk))).all()
        labels = _labels(
            connection,
            (
                text
                for row in rows
                for text in (row.industry, row.category, row.region, row.currency)
                if text is not None
            ),
        )
        if chunk is not None:
            connection.execute(delete(c).where(c.c.chain_id == chain_id, c.c.token_id.in_(chunk)))
        records = [
            {
                "chain_id": chain_id,
                "token_id": int(row.id),
                "industry": None if row.industry is None else labels[row.industry],
                "category": None if row.category is None else labels[row.category],
                "region": None if row.region is None else labels[row.region],
                "level": _position(LEVELS, row.level),
                "kind": _position(KINDS, row.kind),
                "status": _position(STATUSES, row.status),
                "valid_until": None
                if row.valid_until is None
                else int(row.valid_until.timestamp()),
                "registrar": int(row.registrar_code),
                "accounting_class": _position(
                    CLASSES, row.accounting_class or AccountingClass.NONE.value
                ),
                "frozen": bool(row.frozen),
                "issued_month": _month(row.issued_at),
                "currency": None if row.currency is None else labels[row.currency],
                "value": row.value,
            }
            for row in rows
        ]
        if records:
            connection.execute(insert(c), records)
        written += len(records)
    return written


def _changed(connection: Connection, chain_id: int, since: int) -> list[int]:
    """Certificates whose rows were written after block ``since``."""
    found: set[int] = set()
    for table, column in (
        (registration_table, registration_table.c.id),
        (valuation_table, valuation_table.c.token_id),
        (accounting_class_table, accounting_class_table.c.token_id),
        (freeze_table, freeze_table.c.token_id),
    ):
        found.update(
            int(token)
            for token in connection.execute(
                select(column).where(table.c.chain_id == chain_id, table.c.last_block > since)
            ).scalars()
        )
    return sorted(found)


def refresh(connection: Connection, chain_id: int) -> int:
    """Bring the cache of ``chain_id`` up to the mirror in ``connection``'s transaction; the
    number of certificate rows written (0 when it was current)."""
    block = head_in(connection, chain_id) or 0
    rollbacks = int(
        connection.execute(
            select(func.count())
            .select_from(reorg_rollback_table)
            .where(reorg_rollback_table.c.chain_id == chain_id)
        ).scalar_one()
    )
    facts = int(
        connection.execute(select(func.count()).select_from(asset_facts_table)).scalar_one()
    )
    s = report_state_table
    state = connection.execute(select(s).where(s.c.chain_id == chain_id)).one_or_none()
    c = report_certificate_table
    if state is None or state.rollbacks != rollbacks or facts < state.facts:
        connection.execute(delete(c).where(c.c.chain_id == chain_id))
        written = _compute(connection, chain_id, None)
    elif state.block == block and state.facts == facts:
        return 0
    else:
        tokens = set(_changed(connection, chain_id, int(state.block)))
        if state.facts != facts:
            tokens.update(
                int(token)
                for token in connection.execute(
                    select(c.c.token_id).where(c.c.chain_id == chain_id, c.c.region.is_(None))
                ).scalars()
            )
        written = _compute(connection, chain_id, sorted(tokens)) if tokens else 0
    row = {"chain_id": chain_id, "block": block, "rollbacks": rollbacks, "facts": facts}
    if state is None:
        connection.execute(insert(s), [row])
    else:
        connection.execute(s.update().where(s.c.chain_id == chain_id).values(row))
    return written
