"""Compiled contract artifacts (ABI and bytecode) for the Python side.

Hardhat writes one JSON file per contract under ``artifacts/contracts/<File>.sol/<Name>.json``.
This module is the only reader of those files.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


#: A library's address placeholder in unlinked Hardhat bytecode: ``__$<34 hex digits>$__``.
_PLACEHOLDER = re.compile(r"__\$[0-9a-fA-F]{34}\$__")


@dataclass(frozen=True)
class ContractArtifact:
    """One compiled contract.

    ``link_references`` names each external library the creation bytecode calls, with the byte
    offsets of its (zeroed) address placeholders; :meth:`linked` fills them in.
    """

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes
    link_references: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def libraries(self) -> tuple[str, ...]:
        """The libraries this contract must be linked with, by name."""
        return tuple(sorted(self.link_references))

    def linked(self, addresses: Mapping[str, str]) -> bytes:
        """The creation bytecode with each library's address (from ``addresses``) linked in."""
        code = bytearray(self.bytecode)
        for library, offsets in self.link_references.items():
            address = addresses.get(library)
            if address is None:
                raise ConfigurationError(
                    f"{self.name} needs library {library}, which is not deployed"
                )
            raw = bytes.fromhex(address.removeprefix("0x"))
            for offset in offsets:
                code[offset : offset + 20] = raw
        return bytes(code)

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
    references: dict[str, tuple[int, ...]] = {}
    for libraries in raw.get("linkReferences", {}).values():
        for library, places in libraries.items():
            references[library] = tuple(int(p["start"]) for p in places)
    return ContractArtifact(
        name=name,
        abi=raw["abi"],
        bytecode=_unlinked(raw["bytecode"]),
        deployed_bytecode=_unlinked(raw["deployedBytecode"]),
        link_references=references,
    )


def _unlinked(code: str) -> bytes:
    """Hex bytecode with every library placeholder zeroed (linked at deployment)."""
    return bytes.fromhex(_PLACEHOLDER.sub("0" * 40, code.removeprefix("0x")))


def linked_libraries(artifacts_dir: Path, names: Iterable[str]) -> tuple[str, ...]:
    """The libraries ``names`` are linked with, transitively, each after the libraries it needs
    itself (the order to deploy them in)."""
    ordered: list[str] = []

    def visit(name: str, trail: tuple[str, ...]) -> None:
        for library in load_artifact(artifacts_dir, name).libraries:
            if library in trail:
                raise ConfigurationError(f"libraries link each other in a cycle: {trail}")
            if library not in ordered:
                visit(library, (*trail, library))
                ordered.append(library)

    for name in names:
        visit(name, (name,))
    return tuple(ordered)


def client_contracts(artifacts_dir: Path) -> tuple[str, ...]:
    """The libraries the deployed contracts are linked with, then :data:`CLIENT_CONTRACTS`.

    Libraries come first: a library's ABI lists the events it emits on behalf of its contract,
    and the codec names an event after the last artifact that declares it, which must be the
    contract whose address emits it."""
    libraries = linked_libraries(artifacts_dir, DEPLOYED_CONTRACTS)
    return (*(lib for lib in libraries if lib not in CLIENT_CONTRACTS), *CLIENT_CONTRACTS)


def load_client_artifacts(artifacts_dir: Path) -> list[ContractArtifact]:
    """Every artifact the chain client loads: :func:`client_contracts`."""
    return [load_artifact(artifacts_dir, name) for name in client_contracts(artifacts_dir)]


def artifacts_hash(artifacts_dir: Path, names: Iterable[str] | None = None) -> str:
    """One hash over the deployed contracts' artifacts (and their libraries), recorded in the
    deployment manifest."""
    if names is None:
        names = client_contracts(artifacts_dir)
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + load_artifact(artifacts_dir, name).digest.encode())
    return "sha256:" + digest.hexdigest()
