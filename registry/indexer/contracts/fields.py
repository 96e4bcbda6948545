"""Fields: how an event's arguments become a record's fields, and records built from a map.

Most events are flat: each record field is one argument passed through a converter (an id
through ``int``, a ``bytes32`` to ``0x`` hex, an address checksummed, a time to UTC), so a
contract module states them as a declarative map, record field -> (event argument, converter),
and :func:`record_maker` builds them all the same way. A field named as its argument (the
argument's name in snake case: ``token_id`` for ``tokenId``, ``from_`` for ``from``) gives its
converter alone::

    ApplicationAcceptedRecord: record_maker(
        ApplicationAcceptedRecord, registration_id=("id", uint), registrar=text
    )

Fields are converted in the order the map lists them, so when two are wrong the first one's
error is raised. :data:`BLOCK_TIME` stands for the time of the event's block (which the event
does not carry). Events with real logic (numbers recomputed and compared, structs checked
against their indexed arguments) keep hand-written makers, built from the same converters.

Hashes are 0x-prefixed lowercase hex, addresses EIP-55 checksummed, times timezone-aware UTC.
A converter that cannot convert raises :class:`IndexerError` naming the event and its position.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final, TypeAlias

from eth_utils.address import to_checksum_address

from registry.domain.chain import ChainEvent
from registry.errors import IndexerError
from registry.indexer.decode import DomainRecord, RecordMaker

#: Converts one argument (the event is there for error messages).
Convert: TypeAlias = Callable[[ChainEvent, Any], Any]


class _BlockTime:
    """The time of the event's block, from its header (see :data:`BLOCK_TIME`)."""

    def __repr__(self) -> str:
        return "BLOCK_TIME"


#: A field that is the time of the event's block.
BLOCK_TIME: Final = _BlockTime()

#: One field of a map: (event argument, converter), the converter alone (the argument is named
#: as the field, see :func:`argument_of`), or :data:`BLOCK_TIME`.
Field: TypeAlias = tuple[str, Convert] | Convert | _BlockTime


def argument_of(field: str) -> str:
    """The event argument a record field is named after: ``tokenId`` for ``token_id``, ``from``
    for ``from_`` (Solidity's camel case; a trailing ``_`` escapes a Python keyword)."""
    first, *rest = field.split("_")
    return first + "".join(word.capitalize() for word in rest)


def where(event: ChainEvent) -> str:
    """The event and its position, for error messages."""
    log = event.log
    return f"{event.name} (log {log.log_index} of block {log.block_number}, tx {log.tx_hash})"


def error(event: ChainEvent, message: str) -> IndexerError:
    """An :class:`IndexerError` about ``event``: ``message`` after :func:`where`."""
    return IndexerError(
        f"{where(event)} {message}",
        block_number=event.log.block_number,
        log_index=event.log.log_index,
    )


def raw_bytes(value: Any) -> bytes:
    """A ``bytes`` argument (or its hex text) as bytes."""
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value).removeprefix("0x"))


def to_hash(value: Any) -> str:
    """A ``bytes32`` argument as ``0x`` and 64 lowercase hex digits."""
    return "0x" + raw_bytes(value).hex()


def to_optional_hash(value: Any) -> str | None:
    """A ``bytes32`` argument as :func:`to_hash`, ``None`` for the zero hash."""
    text = to_hash(value)
    return None if int(text, 16) == 0 else text


def to_address(value: Any) -> str:
    """An address from an event argument or a struct member (eth-abi leaves those lowercase)."""
    return str(to_checksum_address(str(value)))


def utc(event: ChainEvent, seconds: int) -> datetime:
    """Unix ``seconds`` as a UTC time; one no date can hold is an error."""
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise error(
            event, f"carries the time {seconds}, which is not a representable date"
        ) from exc


def block_time(event: ChainEvent, timestamp: int | None) -> datetime:
    """The time of the event's block; ``None`` (no header given) is an error."""
    if timestamp is None:
        raise error(event, "needs the timestamp of its block, and none was given")
    return utc(event, timestamp)


def member_at(event: ChainEvent, members: list[Any], index: Any, what: str) -> Any:
    """The enum member at ``index``; an index the registry does not define is an error."""
    try:
        return members[int(index)]
    except IndexError:
        raise error(event, f"names {what} {index}, which the registry does not define") from None


def chosen_at(event: ChainEvent, members: list[Any], index: Any, what: str) -> Any:
    """A member of a valuation enum other than its ``None`` (which the contract refuses)."""
    member = member_at(event, members, index, what)
    if member is members[0]:
        raise error(event, f"names {what} {index} (none), which the contract refuses")
    return member


def ascii_of(event: ChainEvent, value: Any, what: str) -> str:
    """A zero-padded ``bytesN`` argument as ASCII text; other bytes are an error."""
    raw = raw_bytes(value).rstrip(b"\0")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise error(event, f"carries the {what} {raw!r}, which is not ASCII") from None


def check_indexed(event: ChainEvent, token_id: Any, party: Any, role: str) -> None:
    """Refuse a struct whose token and ``role`` party (``pledgee``, ``licensee``, ``appraiser``)
    are not the ones the event indexes (its ``tokenId`` and ``role`` arguments)."""
    a = event.args
    if int(token_id) != int(a["tokenId"]) or to_address(party) != to_address(a[role]):
        raise error(
            event,
            f"indexes token {a['tokenId']} and {role} {a[role]} but its record states "
            f"token {token_id} and {role} {party}",
        )


# --- converters for field maps ----------------------------------------------------------------


def uint(_event: ChainEvent, value: Any) -> int:
    return int(value)


def text(_event: ChainEvent, value: Any) -> str:
    return str(value)


def number_text(_event: ChainEvent, value: Any) -> str:
    """A number the contract computed (registration, certificate number) as decimal text."""
    return str(int(value))


def flag(_event: ChainEvent, value: Any) -> bool:
    return bool(value)


def hash32(_event: ChainEvent, value: Any) -> str:
    return to_hash(value)


def optional_hash32(_event: ChainEvent, value: Any) -> str | None:
    return to_optional_hash(value)


def address(_event: ChainEvent, value: Any) -> str:
    return to_address(value)


def time(event: ChainEvent, value: Any) -> datetime:
    """A unix time as UTC."""
    return utc(event, int(value))


def optional_time(event: ChainEvent, value: Any) -> datetime | None:
    """A unix time as UTC, ``None`` for 0 (an expiry withdrawn or never set)."""
    seconds = int(value)
    return utc(event, seconds) if seconds else None


def optional_seconds(_event: ChainEvent, value: Any) -> int | None:
    """A ``uint48`` time where 0 means "none" (kept as unix seconds)."""
    return int(value) or None


def member(enum: type[Enum], what: str) -> Convert:
    """The member of ``enum`` at the argument's index (:func:`member_at`)."""
    members = list(enum)

    def convert(event: ChainEvent, value: Any) -> Any:
        return member_at(event, members, value, what)

    return convert


def chosen(enum: type[Enum], what: str) -> Convert:
    """As :func:`member`, refusing the enum's ``None`` (:func:`chosen_at`)."""
    members = list(enum)

    def convert(event: ChainEvent, value: Any) -> Any:
        return chosen_at(event, members, value, what)

    return convert


def ascii_text(what: str) -> Convert:
    """A zero-padded ``bytesN`` as ASCII (:func:`ascii_of`)."""

    def convert(event: ChainEvent, value: Any) -> str:
        return ascii_of(event, value, what)

    return convert


def record_maker(record: Callable[..., DomainRecord], **fields: Field) -> RecordMaker:
    """How to make ``record`` from an event by the field map ``fields`` (see the module)."""

    def make(event: ChainEvent, timestamp: int | None) -> DomainRecord:
        args = event.args
        values: dict[str, Any] = {}
        for name, field in fields.items():
            if isinstance(field, _BlockTime):
                values[name] = block_time(event, timestamp)
            elif isinstance(field, tuple):
                argument, convert = field
                values[name] = convert(event, args[argument])
            else:
                values[name] = field(event, args[argument_of(name)])
        return record(**values)

    make.__qualname__ = make.__name__ = f"make_{getattr(record, '__name__', 'record')}"
    return make
