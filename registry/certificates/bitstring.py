"""The bitstring of a W3C Bitstring Status List (v1.0): entries of ``status_size`` bits each, in
one byte string, compressed and encoded as the list credential's ``encodedList``.

The layout is the specification's: entry ``i`` occupies the ``status_size`` bits that start at
bit position ``i * status_size``; bit 0 is the most significant bit of the first byte, so an
entry's value is read big-endian from its bits. The byte string is GZIP-compressed, the result
base64url-encoded without padding, and prefixed with the multibase code ``u``. A list has
:data:`LIST_ENTRIES` entries (the specification's minimum of 131,072, which keeps every holder of
a credential hidden among as many entries), whatever its ``status_size``.

This module is pure: :mod:`registry.certificates.status_lists` fills the entries from the mirror.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable

from registry.certificates.status_list import STATUS_LIST_ENTRIES

LIST_ENTRIES = STATUS_LIST_ENTRIES
"""Entries of every list (one page of token ids: ``token_id // LIST_ENTRIES`` is the page,
``token_id % LIST_ENTRIES`` the entry)."""

MULTIBASE_BASE64URL = "u"
"""Multibase prefix of base64url without padding."""


def list_bytes(
    values: Iterable[tuple[int, int]], status_size: int, entries: int = LIST_ENTRIES
) -> bytes:
    """The uncompressed bitstring of ``entries`` entries of ``status_size`` bits, entry ``i``
    holding ``value`` for each ``(i, value)`` of ``values`` and 0 for every other.

    :class:`ValueError` for an index outside the list or a value that does not fit its bits."""
    if status_size < 1:
        raise ValueError(f"status_size must be at least 1, not {status_size}")
    total_bits = entries * status_size
    bits = bytearray((total_bits + 7) // 8)
    limit = 1 << status_size
    for index, value in values:
        if not 0 <= index < entries:
            raise ValueError(f"entry {index} is outside a list of {entries} entries")
        if not 0 <= value < limit:
            raise ValueError(f"value {value} does not fit in {status_size} bits")
        start = index * status_size
        for offset in range(status_size):
            # the entry's most significant bit first
            if value >> (status_size - 1 - offset) & 1:
                position = start + offset
                bits[position // 8] |= 0x80 >> (position % 8)
    return bytes(bits)


def encode_list(raw: bytes) -> str:
    """``encodedList`` of the bitstring ``raw``: GZIP, base64url without padding, multibase
    ``u``. Deterministic (the GZIP header carries no time), so one state gives one string."""
    compressed = gzip.compress(raw, compresslevel=9, mtime=0)
    return MULTIBASE_BASE64URL + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def encoded_list(
    values: Iterable[tuple[int, int]], status_size: int, entries: int = LIST_ENTRIES
) -> str:
    """:func:`encode_list` of :func:`list_bytes`."""
    return encode_list(list_bytes(values, status_size, entries))
