"""What every query of the mirror shares: pages, addresses, the time a query is judged at, the
order of text, and :func:`row_of`, which builds a row dataclass from a SQL row.

:func:`row_of` takes each field of the dataclass from the column of the same name, converted to
the field's declared type where the column stores it as something else: an :class:`~enum.Enum`
from its value, ``bool`` from the database's boolean, ``int`` from the decimal text of a
``uint256`` column (``secured_amount``, ``value``). ``None`` stays ``None``. A field whose value
is computed (renamed columns, masks, liveness, joins) is passed by keyword and taken as given.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from eth_utils.address import is_address
from sqlalchemy import Connection, select

from registry.db.models import cursor_table, registration_table
from registry.domain.inputs import checked_address
from registry.errors import InputError

#: Largest page a list query serves.
MAX_PAGE = 1000


def normalise_address(address: str) -> str:
    """``address`` in the EIP-55 checksummed form the mirror stores; :class:`InputError` if bad."""
    candidate = address.strip()
    if not is_address(candidate):
        raise InputError(
            f"malformed address {address[:80]!r}: expected 0x followed by 40 hex digits",
            address=address[:80],
        )
    return checked_address(candidate, "address")  # a mixed-case one must match its checksum


def text_order(value: str) -> bytes:
    """Sort key of text such as EIP-55 addresses, the same on every database: lists ordered by
    text are sorted here, because ``ORDER BY`` on text follows the database's collation
    (SQLite compares bytes; PostgreSQL's ``en_US.UTF-8`` puts ``0xab`` before ``0xAC``)."""
    return value.encode("utf-8")


def check_page(limit: int, offset: int) -> None:
    """:class:`InputError` unless ``limit`` is 1 to :data:`MAX_PAGE` and ``offset`` is not
    negative."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit must be between 1 and {MAX_PAGE}, not {limit}", limit=limit)
    if offset < 0:
        raise InputError(f"offset must not be negative, not {offset}", offset=offset)


def query_time(now: datetime | None) -> datetime:
    """The moment a query judges expiry and liveness at: ``now`` (which must be timezone-aware),
    or the current time."""
    if now is None:
        return datetime.now(tz=UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError(f"the time {now.isoformat()} has no timezone; pass an aware datetime")
    return now


def certificate_numbers(connection: Connection, token_ids: set[int]) -> dict[int, str | None]:
    """The certificate number of each of ``token_ids`` (``None`` before issue), one query."""
    if not token_ids:
        return {}
    t = registration_table
    rows = connection.execute(
        select(t.c.id, t.c.certificate_number).where(t.c.id.in_(sorted(token_ids)))
    )
    return {int(r.id): r.certificate_number for r in rows}


# --- rows from SQL -------------------------------------------------------------------------------

Convert = Callable[[Any], Any]

T = TypeVar("T")


def _identity(value: Any) -> Any:
    return value


def _converter(hint: Any) -> Convert:
    """How a stored value becomes a field of type ``hint`` (``X | None``: as ``X``)."""
    if get_origin(hint) in (Union, types.UnionType):
        present = [a for a in get_args(hint) if a is not type(None)]
        if len(present) != 1:
            return _identity
        hint = present[0]
    if isinstance(hint, type) and issubclass(hint, Enum | bool | int):
        return hint
    return _identity


#: Each dataclass's fields with their converters, worked out once per class.
_CONVERTERS: dict[type[Any], tuple[tuple[str, Convert], ...]] = {}


def _converters(cls: type[Any]) -> tuple[tuple[str, Convert], ...]:
    found = _CONVERTERS.get(cls)
    if found is None:
        hints = get_type_hints(cls)
        found = _CONVERTERS[cls] = tuple((f.name, _converter(hints[f.name])) for f in fields(cls))
    return found


def row_of(cls: type[T], row: Any, /, **computed: Any) -> T:
    """A ``cls`` (a dataclass) from ``row`` (a SQL row or a mapping of column names): every
    field not in ``computed`` is the column of its name, converted to the field's type."""
    mapping: Mapping[str, Any] = row._mapping if hasattr(row, "_mapping") else row
    values = dict(computed)
    for name, convert in _converters(cls):
        if name not in values:
            value = mapping[name]
            values[name] = None if value is None else convert(value)
    return cls(**values)


def indexed_cursor(connection: Connection, chain_id: int) -> tuple[int, str] | None:
    """``(block, hash)`` the mirror of ``chain_id`` is indexed up to, or ``None`` before its
    first block: read before and after a multi-statement read, it tells whether the indexer
    moved meanwhile."""
    row = connection.execute(
        select(cursor_table.c.last_block, cursor_table.c.last_block_hash).where(
            cursor_table.c.chain_id == chain_id
        )
    ).one_or_none()
    return None if row is None else (int(row.last_block), str(row.last_block_hash))
