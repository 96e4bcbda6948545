"""The regulator's provenance tools over the SQL mirror: timeline, lineage, custody and party
traces, each "as of" a block or a time (docs/provenance.md).

Every route depends on :func:`api.deps.require_regulator`, the one place the role is checked
(it lets everyone through until authentication lands).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from api.deps import AnswerAsOf, Registry, RegulatorOnly, download
from api.schemas.common import ErrorPublic
from api.schemas.regulator import CustodyPublic, LineagePublic, PartyTracePublic, TimelinePublic
from registry.domain.numbers import SqlInteger
from registry.provenance import (
    TraceFilter,
    custody,
    lineage,
    timeline,
    trace_party,
)
from registry.provenance.exports import (
    custody_csv,
    custody_json,
    lineage_json,
    timeline_csv,
    timeline_json,
    trace_csv,
    trace_json,
)

router = APIRouter(prefix="/regulator", tags=["regulator"], dependencies=[RegulatorOnly])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorPublic} for code in (403, 404, 422)
}
_NUMBER = "17-digit certificate number or 16-digit registration number (check digit verified)"
Number = Annotated[str, Path(description=_NUMBER)]
_CSV: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"},
}
"""The responses of an answer that comes as JSON or CSV."""

Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]
FromBlock = Annotated[SqlInteger | None, Query(description="window start (block)")]
ToBlock = Annotated[SqlInteger | None, Query(description="window end (block)")]
FromTime = Annotated[datetime | None, Query(description="window start (time)")]
ToTime = Annotated[datetime | None, Query(description="window end (time)")]
Level = Annotated[str | None, Query(description="classification level of the asset")]
Reason = Annotated[
    str | None, Query(description="how a holding was acquired: issued, sale, inheritance, ...")
]


def trace_filter(
    from_block: FromBlock = None,
    to_block: ToBlock = None,
    from_time: FromTime = None,
    to_time: ToTime = None,
    level: Level = None,
    reason: Reason = None,
) -> TraceFilter:
    """The window, level and reason query parameters of custody and party traces."""
    return TraceFilter(from_block, to_block, from_time, to_time, level, reason)


Filters = Annotated[TraceFilter, Depends(trace_filter)]


def _csv(body: str, name: str) -> Response:
    return download(body.encode("utf-8"), "text/csv; charset=utf-8", name)


@router.get("/assets/{number}/timeline", response_model=TimelinePublic, responses=_CSV)
def asset_timeline(
    number: Number,
    registry: Registry,
    as_of: AnswerAsOf,
    format: Format = "json",
) -> Any:
    """Every event about the asset in chain order (evidence, application and review, notice,
    objections, issue, versions, licences, transfers, pledges, freezes, approvals, cross-border
    records, valuations, accounting class), each with block, log index, transaction, time,
    actor and details; cut at the answer's block."""
    answer = timeline(registry.engine, registry.manifest.chain_id, number, as_of)
    if format == "csv":
        return _csv(timeline_csv(answer), f"timeline-{number}-{as_of.block}.csv")
    return timeline_json(answer)


@router.get("/assets/{number}/lineage", response_model=LineagePublic, responses=_ERRORS)
def asset_lineage(
    number: Number,
    registry: Registry,
    as_of: AnswerAsOf,
) -> Any:
    """The graph of products and the assets they derive from, both directions and transitive:
    nodes, and edges from each product to its parents."""
    return lineage_json(lineage(registry.engine, registry.manifest.chain_id, number, as_of))


@router.get("/assets/{number}/custody", response_model=CustodyPublic, responses=_CSV)
def asset_custody(
    number: Number,
    registry: Registry,
    as_of: AnswerAsOf,
    filters: Filters,
    format: Format = "json",
) -> Any:
    """The chain of custody: each holder with its period [from, to) and how it acquired the
    certificate; filtered by window, level and reason."""
    answer = custody(registry.engine, registry.manifest.chain_id, number, as_of, filters)
    if format == "csv":
        return _csv(custody_csv(answer), f"custody-{number}-{as_of.block}.csv")
    return custody_json(answer)


@router.get("/parties/{address}/trace", response_model=PartyTracePublic, responses=_CSV)
def party_trace(
    address: Annotated[str, Path(description="the party's address (0x + 40 hex digits)")],
    registry: Registry,
    as_of: AnswerAsOf,
    filters: Filters,
    format: Format = "json",
) -> Any:
    """Everything the party held, licensed (as licensor or licensee) or pledged (as pledgor
    or pledgee), each with its period; filtered by window, level and reason."""
    answer = trace_party(registry.engine, registry.manifest.chain_id, address, as_of, filters)
    if format == "csv":
        return _csv(trace_csv(answer), f"trace-{answer.party}-{as_of.block}.csv")
    return trace_json(answer)
