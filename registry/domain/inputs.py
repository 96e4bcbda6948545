"""Parsing of what clients send: signatures and addresses."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address

from registry.errors import AddressChecksumError, InputError

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
    """``value`` as a checksummed address, or a clear :class:`InputError` naming ``field``.

    Hex in one case (all lower or all upper) carries no checksum and is taken as it is; mixed
    case is an EIP-55 checksum, and one that does not match is a mistyped address
    (:class:`AddressChecksumError`), never silently another account."""
    if not isinstance(value, str) or not is_hex_address(value):
        raise InputError(f"{field} {value!r} is not an Ethereum address")
    digits = value[2:] if value[:2].lower() == "0x" else value
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(value):
        raise AddressChecksumError(
            f"{field} {value!r} fails its EIP-55 checksum (the case of its letters): it is "
            f"mistyped; write it exactly, or all in lower case",
            field=field,
        )
    return to_checksum_address(value)


class InvalidValueError(ValueError):
    """The ``ValueError`` a pydantic validator reports for an :class:`InputError`: its message,
    and its stable ``code`` (which the API answers when it is the request's only problem)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def as_value_error(check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``check(*args, **kwargs)``, its :class:`InputError` raised as the ``ValueError`` that a
    pydantic validator reports (with the same message and code)."""
    try:
        return check(*args, **kwargs)
    except InputError as exc:
        raise InvalidValueError(str(exc), exc.public_code) from None
