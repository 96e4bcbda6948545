"""The facts statistics group certificates by that only an asset's metadata document holds.

The chain records each version's ``metadata_hash``; the document itself is service data
(:class:`registry.documents.DocumentStore`). :func:`refresh_facts` reads every metadata document
the mirror refers to and has not read yet, and keeps its name, industry, category and region in
``asset_facts``. A document never changes under its hash, so each is read once; one stored by
another service instance (absent here) is read by the first report after it arrives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, exists, select
from sqlalchemy.dialects import postgresql, sqlite

from registry.db.models import (
    FACT_LENGTH,
    asset_facts_table,
    asset_version_table,
    document_table,
    registration_table,
)

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
    """Metadata hashes the mirror names whose document is stored but not read yet (one index
    probe per registration and version when nothing is missing)."""
    f, d = asset_facts_table, document_table
    missing: set[str] = set()
    for column in (registration_table.c.metadata_hash, asset_version_table.c.metadata_hash):
        query = select(column).where(
            ~exists().where(f.c.metadata_hash == column), exists().where(d.c.hash == column)
        )
        missing.update(str(h) for h in connection.execute(query).scalars())
    return sorted(missing)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def refresh_facts(engine: Engine) -> int:
    """Read the metadata documents the mirror refers to and ``asset_facts`` lacks; the number
    read. Safe to run concurrently: a row another process wrote first is left alone."""
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
            if rows:
                added += _insert_new(connection, rows)
    return added


def _insert_new(connection: Connection, rows: list[dict[str, Any]]) -> int:
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        connection.execute(insert(asset_facts_table).on_conflict_do_nothing(), rows)
    else:
        connection.execute(asset_facts_table.insert(), rows)
    return len(rows)
