"""The facts statistics group certificates by that only an asset's metadata document holds.

The chain records each version's ``metadata_hash``; the document itself is service data
(:class:`registry.documents.DocumentStore`). :func:`refresh_facts` reads every stored document
it has not read yet and keeps, for asset metadata, its name, industry, category and region in
``asset_facts`` (other documents get an unreadable row). A document never changes under its
hash, so each is read once; a certificate whose document is not stored here has no facts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, exists, func, select

from registry.db.models import (
    FACT_LENGTH,
    asset_facts_table,
    document_table,
)
from registry.db.writes import insert_new

METADATA_SCHEMA = "dareg.asset-metadata/1"
_BATCH = 2000


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


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def refresh_facts(engine: Engine) -> int:
    """Read the stored documents ``asset_facts`` lacks; the number read. Safe to run
    concurrently: a row another process wrote first is left alone."""
    added = 0
    with engine.begin() as connection:
        missing = _missing(connection)
        for chunk in _chunks(missing, _BATCH):
            bodies = connection.execute(
                select(document_table.c.hash, document_table.c.body).where(
                    document_table.c.hash.in_(chunk)
                )
            ).all()
            rows = [{"metadata_hash": str(h), **facts_of(bytes(body))} for h, body in bodies]
            insert_new(connection, asset_facts_table, rows)
            added += len(rows)
    return added
