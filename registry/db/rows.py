"""Rows as JSON: the codec shared by the mirror's writer and its readers.

The writer (:mod:`registry.indexer.store`, :mod:`registry.indexer.reorg`) keeps images of
derived rows in ``row_version`` (every version of a row, for answers "as of" a block) and
``mirror_undo`` (what a reorganisation restores), both as JSON; the read side
(:mod:`registry.mirror.history`, :mod:`registry.provenance.timeline`) decodes them again. Both
go through this module, so a row comes back exactly as it was stored: values JSON has no type
for (datetimes, dates, bytes, decimals, dicts) are tagged (``{"$datetime": "..."}``), and a
row's primary key has one canonical text (:func:`history_key`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table

from registry.errors import IndexerError

#: A decoded row: column name to value.
Row = dict[str, Any]


def encode_value(value: Any) -> Any:
    """A row value as JSON, tagged where JSON has no type for it (exactly reversible)."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dict):
        return {"$dict": {str(k): encode_value(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    return value


def decode_value(value: Any) -> Any:
    """The inverse of :func:`encode_value`."""
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, dict):
        ((tag, body),) = value.items()
        if tag == "$datetime":
            return datetime.fromisoformat(body)
        if tag == "$date":
            return date.fromisoformat(body)
        if tag == "$bytes":
            return base64.b64decode(body)
        if tag == "$decimal":
            return Decimal(body)
        if tag == "$dict":
            return {k: decode_value(v) for k, v in body.items()}
        raise IndexerError(f"undo journal holds an unknown value tag {tag!r}")
    return value


def encode_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: encode_value(v) for k, v in row.items()}


def decode_row(row: Mapping[str, Any]) -> Row:
    return {k: decode_value(v) for k, v in row.items()}


def primary_key(table: Table, row: Mapping[str, Any]) -> Row:
    """The primary-key columns of ``row`` of ``table``."""
    return {c.name: row[c.name] for c in table.primary_key.columns}


def history_key(key: Mapping[str, Any]) -> str:
    """A row's primary key as canonical JSON (sorted keys, no spaces): ``row_version.row_key``."""
    return json.dumps(encode_row(key), sort_keys=True, separators=(",", ":"))
