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
CUSTODY_COLUMNS = (
    "as_of_block",
    "certificate_number",
    "registration_number",
    "holder",
    "reason",
    "previous_holder",
    "document_hash",
    "from_block",
    "from_time",
    "from_tx_hash",
    "to_block",
    "to_time",
)
TRACE_COLUMNS = (
    "as_of_block",
    "party",
    "relation",
    "certificate_number",
    "registration_number",
    "level",
    "reason",
    "counterparty",
    "reference",
    "from_block",
    "from_time",
    "from_tx_hash",
    "to_block",
    "to_time",
    "details",
)


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


def timeline_json(answer: Timeline) -> dict[str, Any]:
    return {
        **as_of_json(answer.as_of),
        "asset": asset_json(answer.asset),
        "entries": [
            {
                "kind": e.kind,
                "event": e.event,
                "contract": e.contract,
                "block_number": e.block_number,
                "log_index": e.log_index,
                "tx_hash": e.tx_hash,
                "time": e.time.isoformat(),
                "actor": e.actor,
                "details": e.details,
            }
            for e in answer.entries
        ],
    }


def timeline_csv(answer: Timeline) -> str:
    a = answer.asset
    return csv_text(
        TIMELINE_COLUMNS,
        (
            (
                answer.as_of.block,
                a.certificate_number,
                a.registration_number,
                e.block_number,
                e.log_index,
                e.time,
                e.kind,
                e.event,
                e.contract,
                e.actor,
                e.tx_hash,
                e.details,
            )
            for e in answer.entries
        ),
    )


def custody_json(answer: Custody) -> dict[str, Any]:
    return {
        **as_of_json(answer.as_of),
        "asset": asset_json(answer.asset),
        "periods": [
            {
                "holder": p.holder,
                "reason": p.reason,
                "previous_holder": p.previous_holder,
                "document_hash": p.document_hash,
                "from_block": p.from_block,
                "from_time": p.from_time.isoformat(),
                "from_tx_hash": p.from_tx_hash,
                "to_block": p.to_block,
                "to_time": _time(p.to_time),
            }
            for p in answer.periods
        ],
    }


def custody_csv(answer: Custody) -> str:
    a = answer.asset
    return csv_text(
        CUSTODY_COLUMNS,
        (
            (
                answer.as_of.block,
                a.certificate_number,
                a.registration_number,
                p.holder,
                p.reason,
                p.previous_holder,
                p.document_hash,
                p.from_block,
                p.from_time,
                p.from_tx_hash,
                p.to_block,
                p.to_time,
            )
            for p in answer.periods
        ),
    )


def trace_json(answer: PartyTrace) -> dict[str, Any]:
    return {
        **as_of_json(answer.as_of),
        "party": answer.party,
        "entries": [
            {
                "relation": e.relation,
                "token_id": e.token_id,
                "certificate_number": e.certificate_number,
                "registration_number": e.registration_number,
                "level": e.level,
                "reason": e.reason,
                "counterparty": e.counterparty,
                "reference": e.reference,
                "from_block": e.from_block,
                "from_time": e.from_time.isoformat(),
                "from_tx_hash": e.from_tx_hash,
                "to_block": e.to_block,
                "to_time": _time(e.to_time),
                "details": e.details,
            }
            for e in answer.entries
        ],
    }


def trace_csv(answer: PartyTrace) -> str:
    return csv_text(
        TRACE_COLUMNS,
        (
            (
                answer.as_of.block,
                answer.party,
                e.relation,
                e.certificate_number,
                e.registration_number,
                e.level,
                e.reason,
                e.counterparty,
                e.reference,
                e.from_block,
                e.from_time,
                e.from_tx_hash,
                e.to_block,
                e.to_time,
                e.details,
            )
            for e in answer.entries
        ),
    )


def lineage_json(answer: Lineage) -> dict[str, Any]:
    return {**as_of_json(answer.as_of), "asset": asset_json(answer.asset), **answer.as_json()}
