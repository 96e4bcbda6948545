"""The access log for regulators: every write, append-only (``GET /regulator/access-log``).

The route depends on :data:`api.deps.RegulatorOnly`, where the role is checked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Registry, RegulatorOnly
from api.routes.common import Limit, Offset
from api.schemas.common import error_responses
from api.schemas.regulator import AccessLogEntryPublic, AccessLogList
from registry.domain.access import AccessFilter, OutcomeClass

router = APIRouter(prefix="/regulator", tags=["regulator"])


@router.get(
    "/access-log",
    response_model=AccessLogList,
    responses=error_responses(403, 422),
    dependencies=[RegulatorOnly],
)
def access_log(
    registry: Registry,
    since: Annotated[datetime | None, Query(description="recorded at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="recorded before (ISO 8601)")] = None,
    caller: Annotated[str | None, Query(description="the caller's address")] = None,
    action: Annotated[
        str | None, Query(description="exactly this action (`POST /api/v1/relay`, `X.f`)")
    ] = None,
    outcome: Annotated[OutcomeClass | None, Query(description="class of the outcome")] = None,
    tx_hash: Annotated[str | None, Query(description="entries naming this transaction")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> AccessLogList:
    """Every write recorded (API requests, CLI and demo transactions), newest first: who, from
    where, what, with which outcome and transactions."""
    criteria = AccessFilter(since, until, caller, action, outcome, tx_hash)
    entries, total = registry.access_log.entries(criteria, limit, offset)
    return AccessLogList(
        items=[AccessLogEntryPublic.build(e, tx_hashes=list(e.tx_hashes)) for e in entries],
        total=total,
        limit=limit,
        offset=offset,
    )
