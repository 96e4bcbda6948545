"""Parsing of what clients send: signatures and addresses."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from eth_utils.address import is_address, to_checksum_address

from registry.errors import InputError

P = ParamSpec("P")
T = TypeVar("T")


def parse_signature(text: str) -> bytes:
    """A 65-byte secp256k1 signature written as hex (``0x`` optional)."""
    try:
        raw = bytes.fromhex(text.strip().removeprefix("0x"))
    except ValueError:
        raise InputError("signature is not hex") from None
    if len(raw) != 65:
        raise InputError(f"signature must be 65 bytes, got {len(raw)}")
    return raw


def checked_address(value: str, field: str) -> str:
    """``value`` as a checksummed address, or a clear :class:`InputError` naming ``field``."""
    if not is_address(value):
        raise InputError(f"{field} {value!r} is not an Ethereum address")
    return to_checksum_address(value)


def as_value_error(check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``check(*args, **kwargs)``, its :class:`InputError` raised as the ``ValueError`` that a
    pydantic validator reports (with the same message)."""
    try:
        return check(*args, **kwargs)
    except InputError as exc:
        raise ValueError(str(exc)) from None
