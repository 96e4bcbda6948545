"""Evidence (存证) as the rest of the service sees it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from registry.errors import MalformedFingerprintError

_HEX32 = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def parse_fingerprint(text: str) -> bytes:
    """Parse a fingerprint written as 64 hex digits, with or without ``0x``."""
    candidate = text.strip()
    if not _HEX32.match(candidate):
        raise MalformedFingerprintError(
            f"malformed fingerprint {text[:80]!r}: expected 0x followed by 64 hex digits"
        )
    value = bytes.fromhex(candidate.removeprefix("0x").removeprefix("0X"))
    if value == bytes(32):
        raise MalformedFingerprintError(
            "malformed fingerprint: the zero value is not a fingerprint"
        )
    return value


def format_fingerprint(value: bytes) -> str:
    """The text form: ``0x`` and 64 lowercase hex digits."""
    return "0x" + value.hex()


@dataclass(frozen=True)
class EvidenceRecord:
    """An anchored fingerprint as read from the chain."""

    fingerprint: bytes
    anchorer: str
    anchored_at: datetime
    block_number: int
    tx_hash: str | None = None
    relayer: str | None = None

    @property
    def fingerprint_hex(self) -> str:
        return format_fingerprint(self.fingerprint)

    @staticmethod
    def timestamp(seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, tz=UTC)
