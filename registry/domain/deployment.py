"""The deployment manifest: which contracts of which build live where on which chain."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from registry.errors import DeploymentError
from registry.files import write_atomically


class DeployedContract(BaseModel):
    """One deployed contract."""

    address: str = Field(description="the contract's address: its proxy's, where it has one")
    codehash: str = Field(description="keccak256 of the runtime code found on chain after deploy")
    tx_hash: str
    block_number: int
    implementation: str | None = Field(
        default=None, description="the implementation behind the proxy (ERC-1967 slot)"
    )
    implementation_codehash: str | None = Field(
        default=None, description="keccak256 of the implementation's runtime code"
    )


class DeploymentManifest(BaseModel):
    """Recorded on first start under ``var/``; reused on every restart."""

    chain_id: int
    deploy_block: int
    artifacts_hash: str
    deployer: str
    deployed_at: datetime
    contracts: dict[str, DeployedContract]

    def address_of(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise DeploymentError(f"the deployment manifest has no contract {name}") from None

    @classmethod
    def load(cls, path: Path) -> DeploymentManifest | None:
        """The manifest at ``path``, or ``None`` if there is none yet."""
        if not path.exists():
            return None
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError) as exc:
            raise DeploymentError(f"deployment manifest {path} is unreadable: {exc}") from exc

    def save(self, path: Path) -> None:
        """Write atomically and durably, so a crash never leaves half a manifest."""
        body = json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
        write_atomically(path, body.encode("utf-8"))
