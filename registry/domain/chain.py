"""Chain facts as plain typed objects, so no module outside ``registry.chain`` needs web3."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


@dataclass(frozen=True)
class ChainLog:
    """A raw log as the node returned it."""

    address: str
    topics: tuple[str, ...]
    data: str
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class ChainEvent:
    """A log decoded against the registry's ABIs."""

    contract: str
    name: str
    args: dict[str, Any]
    log: ChainLog


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    contract_address: str | None = None
    events: tuple[ChainEvent, ...] = field(default_factory=tuple)
