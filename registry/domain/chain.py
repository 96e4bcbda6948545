"""Chain facts as plain typed objects, so no module outside ``registry.chain`` needs web3."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self

from registry.errors import InputError

#: A ``bytes32`` of zeros: what a contract stores for "no hash".
ZERO_HASH = "0x" + "00" * 32


def when(seconds: int) -> datetime | None:
    """A contract's timestamp (unix seconds) as a UTC datetime; 0 ("not set") is ``None``."""
    return datetime.fromtimestamp(int(seconds), tz=UTC) if int(seconds) else None


def hex_text(value: Any) -> str:
    """A ``bytes32`` as the chain client returns it (bytes, or hex with or without ``0x``) as
    ``0x``-prefixed hex."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


def optional_hash(value: Any) -> str | None:
    """A ``bytes32`` hash as lowercase ``0x`` hex; the zero hash ("none given") is ``None``."""
    text = hex_text(value).lower()
    return None if text == ZERO_HASH else text


class ChainEnum(StrEnum):
    """A Solidity enum: members are listed in the contract's order, so a member's position is
    its chain value (``.chain`` / ``of_chain``)."""

    @property
    def chain(self) -> int:
        return list(type(self)).index(self)

    @classmethod
    def of_chain(cls, value: int) -> Self:
        members = list(cls)
        if not 0 <= int(value) < len(members):
            raise InputError(f"{value} is not a {cls.__name__} the contracts define")
        return members[int(value)]


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
    #: the block's time when the node says it with the receipt (anvil's ``blockTimestamp``)
    block_timestamp: int | None = None


@dataclass(frozen=True)
class ContractCall:
    """One state-changing call of a registry contract, not yet signed: which contract, which
    function, its arguments (ABI-ready). A service builds it; a signer sends it directly or
    signs it as an ERC-2771 forward request for the registry's relayer."""

    contract: str
    function: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class ForwardRequest:
    """An ERC-2771 ``ForwardRequest`` (OpenZeppelin's forwarder): ``signer`` asks the forwarder
    to call ``to`` with ``data`` (``value`` is always 0 here), at most ``gas``, with its
    forwarder ``nonce``, until ``deadline`` (seconds since the epoch)."""

    signer: str
    to: str
    gas: int
    nonce: int
    deadline: int
    data: str
    value: int = 0

    def message(self) -> dict[str, Any]:
        """The EIP-712 message, field names as in the forwarder's typehash."""
        return {
            "from": self.signer,
            "to": self.to,
            "value": self.value,
            "gas": self.gas,
            "nonce": self.nonce,
            "deadline": self.deadline,
            "data": self.data,
        }
