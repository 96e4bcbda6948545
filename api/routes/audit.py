"""The regulator's audit: does the SQL mirror say what the chain says? (No authentication yet.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Registry, RegulatorOnly
from api.schemas.common import ErrorPublic
from api.schemas.regulator import AuditPublic
from registry.domain.numbers import SqlInteger

router = APIRouter(prefix="/audit", tags=["regulator"], dependencies=[RegulatorOnly])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorPublic} for code in (404, 409, 422, 503)
}


@router.get("", response_model=AuditPublic, responses=_ERRORS)
def audit_mirror(
    registry: Registry,
    from_block: Annotated[
        SqlInteger | None, Query(description="first block (default: the deployment block)")
    ] = None,
    to_block: Annotated[
        SqlInteger | None,
        Query(description="last block (default and at most: the mirror's indexed head)"),
    ] = None,
    certificate: Annotated[
        list[str] | None,
        Query(description="17-digit certificate number(s); default: every certificate"),
    ] = None,
) -> AuditPublic:
    """Compare the mirror with the chain: each certificate's holder, status, fingerprint,
    version, live pledge, freeze and latest valuation against contract reads at ``to_block``,
    and every raw event of the range against the node's logs, with per-block digests. Drift
    is reported row by row; the answer is 200 either way (``consistent`` says which)."""
    report = registry.audit.audit(from_block, to_block, certificate_numbers=certificate or None)
    return AuditPublic.model_validate(report)
