"""The deployment manifest: chain id, contract addresses, deploy block, artifacts hash."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Registry
from registry.domain.deployment import DeploymentManifest

router = APIRouter(tags=["deployment"])


@router.get("/deployment", response_model=DeploymentManifest)
def deployment(registry: Registry) -> DeploymentManifest:
    return registry.manifest
