"""Parsing of signatures sent by clients."""

from __future__ import annotations

from registry.errors import InputError


def parse_signature(text: str) -> bytes:
    """A 65-byte secp256k1 signature written as hex (``0x`` optional)."""
    try:
        raw = bytes.fromhex(text.strip().removeprefix("0x"))
    except ValueError:
        raise InputError("signature is not hex") from None
    if len(raw) != 65:
        raise InputError(f"signature must be 65 bytes, got {len(raw)}")
    return raw
