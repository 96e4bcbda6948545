"""Exports of the provenance answers: JSON-ready dicts and CSV text (UTF-8, header row, one
row per entry, times ISO 8601 in UTC, empty cells for ``None``; ``details`` as compact JSON).

CSV columns (also in ``docs/provenance.md``):

* timeline: :data:`TIMELINE_COLUMNS`
* custody: :data:`CUSTODY_COLUMNS`
* party trace: :data:`TRACE_COLUMNS`

Every CSV row also carries the answer's ``as_of_block``, so a file states what it is as of.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from registry.mirror import AsOf
from registry.provenance.lineage import Lineage
from registry.provenance.timeline import Asset, Timeline
from registry.provenance.tracing import Custody, PartyTrace

#: When a holding (or a licence, a pledge) began and, if it did, ended.
_SPAN_FIELDS = ("from_block", "from_time", "from_tx_hash", "to_block", "to_time")
#: The fields of each entry of the JSON exports, in order. The CSV columns of custody and party
#: traces are the answer's head columns and then these (a trace's CSV leaves out ``token_id``).
_CUSTODY_FIELDS = ("holder", "reason", "previous_holder", "document_hash", *_SPAN_FIELDS)
_TRACE_FIELDS = (
    "relation",
    "token_id",
    "certificate_number",
    "registration_number",
    "level",
    "reason",
    "counterparty",
    "reference",
    *_SPAN_FIELDS,
    "details",
)
_TIMELINE_FIELDS = (
    "kind",
    "event",
    "contract",
    "block_number",
    "log_index",
    "tx_hash",
    "time",
    "actor",
    "details",
)

TIMELINE_COLUMNS = (
    "as_of_block",
    "certificate_number",
    "registration_number",
    "block_number",
    "log_index",
    "time",
    "kind",
    "event",
    "contract",
    "actor",
    "tx_hash",
    "details",
)
CUSTODY_COLUMNS = ("as_of_block", "certificate_number", "registration_number", *_CUSTODY_FIELDS)
TRACE_COLUMNS = ("as_of_block", "party", *(f for f in _TRACE_FIELDS if f != "token_id"))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV (RFC 4180 line ends) with a header row; cells as :func:`_cell` writes them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def as_of_json(as_of: AsOf) -> dict[str, Any]:
    return {"as_of_block": as_of.block, "as_of_time": _time(as_of.time)}


def asset_json(asset: Asset) -> dict[str, Any]:
    return {
        "token_id": asset.token_id,
        "registration_number": asset.registration_number,
        "certificate_number": asset.certificate_number,
        "name": asset.name,
        "kind": asset.kind.value,
        "level": asset.level.value,
        "parents": list(asset.parents),
        "status": None if asset.status is None else asset.status.value,
        "holder": asset.holder,
        "version": asset.version,
    }


def csv_records(
    columns: Sequence[str], head: dict[str, Any], records: Iterable[dict[str, Any]]
) -> str:
    """:func:`csv_text` of ``records`` (JSON-ready dicts, as the ``*_json`` exports list them),
    each preceded by the answer's ``head`` fields, in the order of ``columns``."""
    return csv_text(columns, ([{**head, **r}[c] for c in columns] for r in records))


def _record(x: object, fields: Sequence[str]) -> dict[str, Any]:
    """The attributes ``fields`` of an entry, in that order, JSON-ready: times as ISO 8601 text
    (``None`` stays ``None``), other values as they are."""
    return {
        name: _time(value) if isinstance(value := getattr(x, name), datetime) else value
        for name in fields
    }


def _records(entries: Iterable[object], fields: Sequence[str]) -> list[dict[str, Any]]:
    return [_record(x, fields) for x in entries]


def _asset_json(
    answer: Timeline | Custody, key: str, records: list[dict[str, Any]]
) -> dict[str, Any]:
    """An answer about one asset as JSON: as of, the asset, and its ``records`` under ``key``."""
    return {**as_of_json(answer.as_of), "asset": asset_json(answer.asset), key: records}


def _asset_csv(
    answer: Timeline | Custody, columns: Sequence[str], records: list[dict[str, Any]]
) -> str:
    """An answer about one asset as CSV: each row starts with as of and the asset's numbers."""
    head = {
        "as_of_block": answer.as_of.block,
        "certificate_number": answer.asset.certificate_number,
        "registration_number": answer.asset.registration_number,
    }
    return csv_records(columns, head, records)


def timeline_json(answer: Timeline) -> dict[str, Any]:
    return _asset_json(answer, "entries", _records(answer.entries, _TIMELINE_FIELDS))


def timeline_csv(answer: Timeline) -> str:
    return _asset_csv(answer, TIMELINE_COLUMNS, _records(answer.entries, _TIMELINE_FIELDS))


def custody_json(answer: Custody) -> dict[str, Any]:
    return _asset_json(answer, "periods", _records(answer.periods, _CUSTODY_FIELDS))


def custody_csv(answer: Custody) -> str:
    return _asset_csv(answer, CUSTODY_COLUMNS, _records(answer.periods, _CUSTODY_FIELDS))


def trace_json(answer: PartyTrace) -> dict[str, Any]:
    return {
        **as_of_json(answer.as_of),
        "party": answer.party,
        "entries": _records(answer.entries, _TRACE_FIELDS),
    }


def trace_csv(answer: PartyTrace) -> str:
    head = {"as_of_block": answer.as_of.block, "party": answer.party}
    return csv_records(TRACE_COLUMNS, head, _records(answer.entries, _TRACE_FIELDS))


def lineage_json(answer: Lineage) -> dict[str, Any]:
    return {**as_of_json(answer.as_of), "asset": asset_json(answer.asset), **answer.as_json()}
