"""Liveness and sync state: chain id, contracts, chain head and indexer head."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import Registry
from api.schemas.common import HealthPublic
from registry.errors import ChainUnreachableError
from registry.mirror import indexer_head

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, responses={503: {"model": HealthPublic}})
def health(registry: Registry) -> JSONResponse:
    """Chain and indexer heads; 503 when the chain cannot be reached."""
    try:
        chain_head: int | None = registry.client.head()
    except ChainUnreachableError:
        chain_head = None
    mirrored = indexer_head(registry.engine, registry.manifest.chain_id)
    body = HealthPublic(
        status="ok" if chain_head is not None else "degraded",
        chain_id=registry.manifest.chain_id,
        rpc_url=registry.client.rpc_url,
        chain_reachable=chain_head is not None,
        contracts={n: c.address for n, c in registry.manifest.contracts.items()},
        deploy_block=registry.manifest.deploy_block,
        chain_head=chain_head,
        indexer_head=mirrored,
        indexer_lag=None if chain_head is None or mirrored is None else chain_head - mirrored,
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=200 if chain_head is not None else 503
    )
