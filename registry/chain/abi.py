"""ABI encoding and decoding for the registry's contracts: events and custom errors.

Logs are decoded with eth-abi directly (much faster than web3's per-event contract objects),
which matters to the indexer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry.artifacts import ContractArtifact
from registry.domain.chain import ChainEvent, ChainLog


def _canonical_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


def signature(item: dict[str, Any]) -> str:
    """``Name(type1,type2)`` of an ABI event or error."""
    return f"{item['name']}({','.join(_canonical_type(p) for p in item['inputs'])})"


@lru_cache(maxsize=65_536)
def _checksum(address: str) -> str:
    """EIP-55 form of ``address`` (cached: the same few accounts recur in every batch)."""
    return str(to_checksum_address(address))


def _topic_value(kind: str, topic: str) -> Any:
    """An indexed argument read straight from its 32-byte topic (value types only)."""
    if kind == "address":
        return _checksum("0x" + topic[-40:])
    if kind.startswith("uint"):
        return int(topic, 16)
    if kind.startswith("int"):
        value = int(topic, 16)
        return value - (1 << 256) if value >> 255 else value
    if kind == "bool":
        return int(topic, 16) != 0
    if kind == "bytes32":
        return topic.lower()
    (value,) = abi_decode([kind], bytes.fromhex(topic[2:]))
    return _normalise(kind, value)


_STATIC = re.compile(r"^(address|bool|u?int(\d+)?|bytes([1-9]|[12]\d|3[012]))$")


def _word_value(kind: str, word: str) -> Any:
    """A static value type read from one 64-hex-digit ABI word (as :func:`_normalise` gives)."""
    if kind.startswith("bytes"):
        return "0x" + word[: 2 * int(kind[5:])]
    return _topic_value(kind, "0x" + word)


def _normalise(kind: str, value: Any) -> Any:
    if kind == "address":
        return _checksum(value)
    if kind.startswith("bytes") and isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple | list):
        return [_normalise(kind.rstrip("[]0123456789"), v) for v in value]
    return value


@dataclass(frozen=True)
class _EventSpec:
    contract: str
    name: str
    indexed: tuple[tuple[str, str], ...]
    plain: tuple[tuple[str, str], ...]
    static: bool = False  # every non-indexed argument is a value type (one word each)


@dataclass(frozen=True)
class _ErrorSpec:
    name: str
    inputs: tuple[tuple[str, str], ...]


class AbiCodec:
    """Decodes logs and revert data of a set of contract artifacts."""

    def __init__(self, artifacts: list[ContractArtifact]) -> None:
        self._events: dict[str, _EventSpec] = {}
        self._errors: dict[bytes, _ErrorSpec] = {}
        for artifact in artifacts:
            for item in artifact.abi:
                if item["type"] == "event":
                    topic = "0x" + keccak(text=signature(item)).hex()
                    plain = tuple(
                        (p["name"], _canonical_type(p)) for p in item["inputs"] if not p["indexed"]
                    )
                    self._events[topic] = _EventSpec(
                        contract=artifact.name,
                        name=item["name"],
                        indexed=tuple(
                            (p["name"], _canonical_type(p)) for p in item["inputs"] if p["indexed"]
                        ),
                        plain=plain,
                        static=all(_STATIC.match(kind) for _, kind in plain),
                    )
                elif item["type"] == "error":
                    selector = keccak(text=signature(item))[:4]
                    self._errors[selector] = _ErrorSpec(
                        name=item["name"],
                        inputs=tuple((p["name"], _canonical_type(p)) for p in item["inputs"]),
                    )

    def event_topic(self, name: str) -> str:
        for topic, spec in self._events.items():
            if spec.name == name:
                return topic
        raise KeyError(name)

    @property
    def topics(self) -> list[str]:
        return list(self._events)

    def decode_log(self, log: ChainLog) -> ChainEvent | None:
        """The decoded event, or ``None`` for a log of an unknown event."""
        spec = self._events.get(log.topics[0]) if log.topics else None
        if spec is None:
            return None
        args: dict[str, Any] = {}
        for (name, kind), topic in zip(spec.indexed, log.topics[1:], strict=True):
            args[name] = _topic_value(kind, topic)
        data = log.data[2:]
        if spec.static and len(data) == 64 * len(spec.plain):
            # only value types: one word each, no need for the general decoder
            for i, (name, kind) in enumerate(spec.plain):
                args[name] = _word_value(kind, data[64 * i : 64 * i + 64])
        else:
            values = abi_decode([k for _, k in spec.plain], bytes.fromhex(data))
            for (name, kind), value in zip(spec.plain, values, strict=True):
                args[name] = _normalise(kind, value)
        return ChainEvent(contract=spec.contract, name=spec.name, args=args, log=log)

    def decode_error(self, data: bytes) -> tuple[str, dict[str, Any]] | None:
        """``(name, args)`` of a custom-error revert payload, or ``None`` if unknown."""
        spec = self._errors.get(data[:4])
        if spec is None:
            return None
        values = abi_decode([k for _, k in spec.inputs], data[4:])
        return spec.name, {
            name: _normalise(kind, value)
            for (name, kind), value in zip(spec.inputs, values, strict=True)
        }
