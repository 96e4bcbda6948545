"""Derived tables: asset facts and the statistics cache, written by the indexer only.

Two tables are computed from the mirror and the service's documents rather than stated by an
event; both are kept here, on the write side, so that a report (a GET) only ever reads:

* ``asset_facts``: the facts statistics group certificates by that only an asset's metadata
  document holds. The chain records each version's ``metadata_hash``; the document itself is
  service data (:class:`registry.documents.DocumentStore`). :func:`refresh_facts` reads every
  stored document it has not read yet and keeps, for asset metadata, its name, industry,
  category and region (other documents get an unreadable row). A document never changes under
  its hash, so each is read once; a certificate whose document is not stored has no facts.
* the statistics cache: one row of small integers per certificate (``report_certificate``,
  texts in ``report_label``, its position in ``report_state``; layout in
  :mod:`registry.reports.cache`). A report at the mirror's head reads it alone instead of
  joining registrations, asset facts, accounting classes, freezes and latest valuations for
  every certificate. :func:`refresh_statistics` touches only what changed: the certificates
  whose registration, valuations, accounting class or freeze row was written after the block
  the cache is current to (every derived row carries ``last_block``); when new asset facts
  arrived, the certificates still without facts; when asset facts were removed (or the cache was
  never built), everything. Expiry is not cached: the report derives it from ``valid_until`` at
  its own time.

When. :func:`refresh` (both) runs in the transaction of every stored batch
(:func:`registry.indexer.store.store_batch`), so the cache is never behind the cursor a reader
sees: the cursor and the cache move together or not at all. The indexer also runs it once per
pass (:meth:`registry.indexer.follow.Indexer.sync_once` and every poll of ``follow``), even
without new blocks, because the service usually stores a document before its event is indexed
but may store it after; when nothing changed that costs a few counts and writes nothing. A reorg
rollback restores derived rows to older images, so :func:`rebuild` recomputes the whole cache in
the rollback's transaction (:func:`registry.indexer.reorg.rollback`). Both tables are derived
data: deleting their rows only makes the next refresh compute them again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, exists, func, insert, select

from registry.db.models import (
    FACT_LENGTH,
    accounting_class_table,
    asset_facts_table,
    document_table,
    freeze_table,
    registration_table,
    report_certificate_table,
    report_label_table,
    report_state_table,
    valuation_table,
)
from registry.db.writes import insert_new
from registry.domain.valuation import AccountingClass, ValuationStatus
from registry.mirror import head_in
from registry.reports.cache import CLASSES, KINDS, LEVELS, STATUSES
from registry.reports.months import month_number, month_of

METADATA_SCHEMA = "dareg.asset-metadata/1"
_CHUNK = 500
_BATCH = 2000


@dataclass(frozen=True)
class Refreshed:
    """What one refresh wrote: documents read into ``asset_facts``, certificate rows of the
    statistics cache written."""

    facts: int
    certificates: int


# --- asset facts ---------------------------------------------------------------------------------


def _text(value: Any, limit: int = FACT_LENGTH) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:limit] if value else None


def facts_of(body: bytes) -> dict[str, Any]:
    """The ``asset_facts`` columns (but the hash) of one document's bytes; ``readable`` is false
    for anything that is not a JSON asset-metadata document."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        document = None
    if not isinstance(document, Mapping) or document.get("schema") != METADATA_SCHEMA:
        return {"readable": False, "name": None, "industry": None, "category": None, "region": None}
    region = document.get("region")
    if not (isinstance(region, str) and len(region) == 6 and region.isdigit()):
        region = None
    return {
        "readable": True,
        "name": _text(document.get("name")),
        "industry": _text(document.get("industry")),
        "category": _text(document.get("category")),
        "region": region,
    }


def _missing(connection: Connection) -> list[str]:
    """Stored documents not read yet. Every document gets a row (one that is not asset metadata
    an unreadable one), and documents are never deleted, so equal counts mean none is missing
    and the common case costs two counts."""
    f, d = asset_facts_table, document_table
    documents = connection.execute(select(func.count()).select_from(d)).scalar_one()
    facts = connection.execute(select(func.count()).select_from(f)).scalar_one()
    if documents == facts:
        return []
    query = select(d.c.hash).where(~exists().where(f.c.metadata_hash == d.c.hash))
    return sorted(str(h) for h in connection.execute(query).scalars())


def refresh_facts(connection: Connection) -> int:
    """Read the stored documents ``asset_facts`` lacks, in ``connection``'s transaction; the
    number read. A row another writer stored first is left alone."""
    added = 0
    for chunk in _chunks(_missing(connection), _BATCH):
        bodies = connection.execute(
            select(document_table.c.hash, document_table.c.body).where(
                document_table.c.hash.in_(chunk)
            )
        ).all()
        rows = [{"metadata_hash": str(h), **facts_of(bytes(body))} for h, body in bodies]
        insert_new(connection, asset_facts_table, rows)
        added += len(rows)
    return added


# --- the statistics cache ------------------------------------------------------------------------


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
    if new:  # texts another writer added first are kept
        insert_new(connection, t, [{"text": text} for text in new])
        for chunk in _chunks(new):
            found.update(
                (str(text), int(i))
                for i, text in connection.execute(
                    select(t.c.id, t.c.text).where(t.c.text.in_(chunk))
                )
            )
    return found


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


def refresh_statistics(connection: Connection, chain_id: int) -> int:
    """Bring the statistics cache of ``chain_id`` up to the mirror in ``connection``'s
    transaction; the number of certificate rows written (0 when it was current)."""
    block = head_in(connection, chain_id) or 0
    facts = int(
        connection.execute(select(func.count()).select_from(asset_facts_table)).scalar_one()
    )
    s = report_state_table
    state = connection.execute(select(s).where(s.c.chain_id == chain_id)).one_or_none()
    c = report_certificate_table
    if state is None or facts < state.facts:
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
    # ``rollbacks`` is no longer read: a rollback rebuilds the cache itself (:func:`rebuild`)
    row = {"chain_id": chain_id, "block": block, "rollbacks": 0, "facts": facts}
    if state is None:
        connection.execute(insert(s), [row])
    else:
        connection.execute(s.update().where(s.c.chain_id == chain_id).values(row))
    return written


def rebuild_statistics(connection: Connection, chain_id: int) -> int:
    """Recompute the whole statistics cache of ``chain_id`` (after a rollback, whose restored
    rows carry older positions than the cache's); the number of certificate rows written."""
    s = report_state_table
    connection.execute(delete(s).where(s.c.chain_id == chain_id))
    return refresh_statistics(connection, chain_id)


# --- both ----------------------------------------------------------------------------------------


def refresh(connection: Connection, chain_id: int) -> Refreshed:
    """Bring both derived tables up to the mirror and the stored documents, in ``connection``'s
    transaction (facts first: the cache groups by them)."""
    facts = refresh_facts(connection)
    return Refreshed(facts=facts, certificates=refresh_statistics(connection, chain_id))


def refresh_in(engine: Engine, chain_id: int) -> Refreshed:
    """:func:`refresh` in a transaction of its own."""
    with engine.begin() as connection:
        return refresh(connection, chain_id)


def rebuild(connection: Connection, chain_id: int) -> Refreshed:
    """Refresh the facts and recompute the whole statistics cache (after a rollback)."""
    facts = refresh_facts(connection)
    return Refreshed(facts=facts, certificates=rebuild_statistics(connection, chain_id))
