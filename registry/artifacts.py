"""Compiled contract artifacts (ABI and bytecode) for the Python side.

Hardhat writes one JSON file per contract under ``artifacts/contracts/<File>.sol/<Name>.json``.
This module is the only reader of those files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from registry.errors import ConfigurationError

#: Contracts the registry deploys, in deployment order. Each but the forwarder lives behind a
#: :data:`PROXY_CONTRACT` (ERC-1967, upgraded through UUPS by the admin; see docs/upgrades.md).
DEPLOYED_CONTRACTS: tuple[str, ...] = (
    "RegistryForwarder",
    "RegistryAuthority",
    "EvidenceRegistry",
    "DataAssetRegistry",
    "TransferAgent",
    "LicenceRegistry",
    "ValuationRegistry",
)

#: The one contract deployed without a proxy: OpenZeppelin's stateless ERC-2771 forwarder, which
#: every implementation trusts by an immutable set at construction.
FORWARDER_CONTRACT = "RegistryForwarder"

#: The ERC-1967 proxy in front of every other deployed contract.
PROXY_CONTRACT = "RegistryProxy"

#: Every artifact the chain client loads: the deployed contracts and the proxy.
CLIENT_CONTRACTS: tuple[str, ...] = (*DEPLOYED_CONTRACTS, PROXY_CONTRACT)


@dataclass(frozen=True)
class ContractArtifact:
    """One compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes

    @property
    def digest(self) -> str:
        """SHA-256 over the canonical ABI and creation bytecode."""
        body = json.dumps(self.abi, sort_keys=True, separators=(",", ":")).encode() + self.bytecode
        return hashlib.sha256(body).hexdigest()


def _find(artifacts_dir: Path, name: str) -> Path:
    matches = sorted(artifacts_dir.glob(f"contracts/**/{name}.json"))
    if not matches:
        raise ConfigurationError(
            f"compiled contract {name} not found under {artifacts_dir}; "
            "run `npx hardhat compile` (scripts/bootstrap does it)"
        )
    return matches[0]


@cache
def load_artifact(artifacts_dir: Path, name: str) -> ContractArtifact:
    """Load ``name`` from the Hardhat artifacts directory."""
    raw = json.loads(_find(artifacts_dir, name).read_text(encoding="utf-8"))
    return ContractArtifact(
        name=name,
        abi=raw["abi"],
        bytecode=bytes.fromhex(raw["bytecode"].removeprefix("0x")),
        deployed_bytecode=bytes.fromhex(raw["deployedBytecode"].removeprefix("0x")),
    )


def artifacts_hash(artifacts_dir: Path, names: Iterable[str] = CLIENT_CONTRACTS) -> str:
    """One hash over the deployed contracts' artifacts, recorded in the deployment manifest."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + load_artifact(artifacts_dir, name).digest.encode())
    return "sha256:" + digest.hexdigest()
