"""Evidence anchoring (存证) over REST."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from api.deps import AnyCaller, Registry, acting_for
from api.routes.common import Limit, Offset
from api.schemas.common import error_responses
from api.schemas.evidence import EvidenceCreate, EvidenceList, EvidencePublic, TypedDataCreate
from registry.context import RegistryContext
from registry.domain.evidence import EvidenceRecord, parse_fingerprint
from registry.domain.inputs import checked_address, parse_signature
from registry.mirror import count_evidence, list_evidence

router = APIRouter(prefix="/evidence", tags=["evidence"])

_ERRORS = error_responses(404, 409, 422, 503)


def _public(
    registry: RegistryContext,
    record: EvidenceRecord,
    created: bool | None = None,
    anchors: list[EvidenceRecord] | None = None,
) -> EvidencePublic:
    """The record on this registry's chain and evidence contract."""
    return EvidencePublic.of(
        record,
        chain_id=registry.manifest.chain_id,
        contract=registry.evidence.contract_address,
        created=created,
        anchors=anchors,
    )


@router.post(
    "",
    response_model=EvidencePublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": EvidencePublic, "description": "already anchored"},
        **_ERRORS,
        **error_responses(429),
    },
)
def anchor_evidence(
    body: EvidenceCreate, registry: Registry, response: Response, caller: AnyCaller
) -> EvidencePublic:
    """Relay an anchor the signed-in anchorer signed, as its own anchor; the same account
    anchoring it again gets its existing anchor (200, not 201). Other accounts may anchor the
    same fingerprint. The operator pays, within the anchorer's and the global hourly quotas
    (429 ``relay_quota_exceeded`` beyond them)."""
    acting_for(caller, body.anchorer, "the anchor")
    outcome = registry.evidence.relay(
        parse_fingerprint(body.fingerprint),
        body.anchorer,
        body.deadline,
        parse_signature(body.signature),
        registry.operator,
    )
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    return _public(registry, outcome.record, created=outcome.created)


@router.post("/typed-data", responses=_ERRORS)
def anchor_typed_data(
    body: TypedDataCreate, registry: Registry, caller: AnyCaller
) -> dict[str, Any]:
    """The EIP-712 message the signed-in registrant signs for a gasless anchor (send it back to
    POST)."""
    acting_for(caller, body.anchorer, "the anchor")
    deadline = registry.clock.deadline(body.ttl_seconds)
    return registry.evidence.typed_data(
        parse_fingerprint(body.fingerprint), body.anchorer, deadline
    )


@router.get("", response_model=EvidenceList)
def list_anchored(
    registry: Registry,
    anchorer: Annotated[str | None, Query(description="only this anchorer's evidence")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> EvidenceList:
    """Anchored evidence as mirrored by the indexer, newest first."""
    who = checked_address(anchorer, "anchorer") if anchorer else None
    records = list_evidence(registry.engine, anchorer=who, limit=limit, offset=offset)
    return EvidenceList(
        items=[_public(registry, r) for r in records],
        total=count_evidence(registry.engine, anchorer=who),
        limit=limit,
        offset=offset,
    )


@router.get("/{fingerprint}", response_model=EvidencePublic, responses=_ERRORS)
def get_evidence(fingerprint: str, registry: Registry) -> EvidencePublic:
    """Whether, when and by whom the fingerprint was anchored, read from the chain: the first
    anchor, and in ``anchors`` every account's anchor."""
    fp = parse_fingerprint(fingerprint)
    first = registry.evidence.get(fp)
    return _public(registry, first, anchors=registry.evidence.anchors(fp))
