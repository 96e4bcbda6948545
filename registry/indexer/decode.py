"""Decode: raw logs to events, and events to the typed domain records the mirror serves.

Second stage of the indexer pipeline (fetch -> decode -> store -> serve). Every fetched log is
kept as a raw event; the ones the registry's ABIs know are decoded, and the ones that have a
domain meaning also become a typed record (a frozen dataclass) that :mod:`.store` applies to the
mirror. Events without a mapping (ERC-721 ``Transfer``, ``RoleGranted``, ``ValidityPeriodSet``,
``ImportantDataApprovalRequired`` ...) stay raw events only.

This module is the generic half: it knows no contract. Each contract's module under
:mod:`registry.indexer.contracts` (``EvidenceRegistry``, ``DataAssetRegistry``,
``TransferAgent``, ``LicenceRegistry``, ``ValuationRegistry``) defines its records and how to
make them, and registers them here with :func:`register`: which ``(contract, event)`` becomes
which record, and the *family* its records are counted in (``registry``, ``rights``,
``valuation`` ...: :meth:`DecodedBatch.family`, :class:`registry.indexer.store.StoreResult`).
The contract modules are loaded the first time a decoder is looked up, so importing this module
alone registers nothing and needs none of them.

Records are built from the event alone plus the timestamp of its block (from the header the
fetcher already holds): no contract is called. Which contract a log belongs to is decided by its
address (from the deployment manifest), not by its topic, so two contracts sharing an event
signature cannot be confused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any, TypeAlias, dataclass_transform

from registry.chain.abi import AbiCodec
from registry.domain.chain import ChainEvent, ChainLog
from registry.errors import IndexerError
from registry.indexer.fetch import FetchedBatch

#: A typed record derived from one event: a frozen dataclass of a contract module (most are
#: :class:`Record`\ s; ``EvidenceAnchored`` becomes the domain's ``EvidenceRecord``).
DomainRecord: TypeAlias = object


@dataclass_transform(frozen_default=True)
class Record:
    """The base of a contract module's records: each subclass is a frozen dataclass (its fields
    in the order it declares them, after those of its bases), hashable and compared by value."""

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        dataclass(frozen=True)(cls)


#: How to make a domain record from an event and the timestamp of its block (``None`` when
#: the caller has no header; the records that need it then raise :class:`IndexerError`).
#: ``None`` as the result: this event has no record after all (say ``RoleRevoked`` of a role
#: the mirror does not follow).
RecordMaker: TypeAlias = Callable[[ChainEvent, int | None], DomainRecord | None]

#: (contract, event) -> how to make its domain record; filled by :func:`register`.
RECORD_MAKERS: dict[tuple[str, str], RecordMaker] = {}

#: record class -> the family its records are counted in; filled by :func:`register`.
RECORD_FAMILIES: dict[type, str] = {}


def register(
    contract: str,
    family: str,
    makers: Mapping[str, RecordMaker],
    records: Iterable[type],
) -> None:
    """Register what a contract's events become: ``makers`` maps event names to how to make
    their records, ``records`` are the record classes (counted in ``family``)."""
    for event, maker in makers.items():
        RECORD_MAKERS[(contract, event)] = maker
    for record in records:
        RECORD_FAMILIES[record] = family


def load_contracts() -> None:
    """Load every contract module (each registers its events, appliers and tables when it is
    imported; see :mod:`registry.indexer.contracts`). Loaded on first use rather than imported
    here, because the contract modules build on this one."""
    import registry.indexer.contracts  # noqa: F401


def record_makers() -> Mapping[tuple[str, str], RecordMaker]:
    """:data:`RECORD_MAKERS` with every contract module loaded."""
    load_contracts()
    return RECORD_MAKERS


def in_chain_order(
    pairs: Iterable[tuple[ChainLog, DomainRecord]],
) -> list[tuple[ChainLog, DomainRecord]]:
    """``pairs`` sorted by position on chain ``(block, log_index)``."""
    return sorted(pairs, key=lambda pair: (pair[0].block_number, pair[0].log_index))


@dataclass(frozen=True)
class DecodedLog:
    """One log with what could be made of it.

    ``contract`` is the manifest name of the emitting contract; ``event`` is ``None`` when the
    ABIs do not know the log's topic, ``record`` is ``None`` when the event has no domain mapping.
    """

    log: ChainLog
    contract: str | None
    event: ChainEvent | None
    record: DomainRecord | None

    @property
    def args(self) -> dict[str, Any] | None:
        """The decoded arguments in JSON-safe form (hex strings for bytes, lists for tuples)."""
        return None if self.event is None else {k: json_safe(v) for k, v in self.event.args.items()}

    @property
    def args_json(self) -> str:
        """:attr:`args` as the JSON text the mirror stores (``null`` for an unknown event).

        The same text as ``json.dumps(self.args)``, written straight from the decoded values
        (bytes become hex as they are met) instead of through a JSON-safe copy first.
        """
        return "null" if self.event is None else args_json(self.event.args)


@dataclass(frozen=True)
class DecodedBatch:
    """A fetched batch with every log decoded."""

    fetched: FetchedBatch
    logs: tuple[DecodedLog, ...]

    def records(self, kind: type | tuple[type, ...]) -> list[tuple[ChainLog, Any]]:
        """The records of the batch that are ``kind``, each with the log it came from (in the
        order of the batch's logs)."""
        return [(d.log, d.record) for d in self.logs if isinstance(d.record, kind)]

    def family(self, name: str) -> list[tuple[ChainLog, DomainRecord]]:
        """The records of one family (``registry``, ``rights``, ``valuation`` ...: see
        :func:`register`) with their logs, in chain order."""
        return in_chain_order(
            (d.log, d.record)
            for d in self.logs
            if d.record is not None and RECORD_FAMILIES.get(type(d.record)) == name
        )


def json_safe(value: Any) -> Any:
    """``value`` with bytes as ``0x`` hex and tuples as lists, recursively."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, tuple | list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return value


def _bytes_as_hex(value: Any) -> Any:
    """JSON for what :mod:`json` has no type for: bytes as ``0x`` hex (as :func:`json_safe`)."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    raise TypeError(f"a {type(value).__name__} has no JSON form")


#: ``json.dumps``'s output (same separators, ASCII only), with bytes as ``0x`` hex.
_ARGS_ENCODER = json.JSONEncoder(default=_bytes_as_hex)


def args_json(args: Mapping[str, Any]) -> str:
    """Decoded event arguments as JSON text, exactly as ``json.dumps(json_safe(args))``.

    The flat case (names to strings, integers, booleans, ``None`` and bytes: most events) is
    written directly, a few times faster than :mod:`json`'s encoder calling back for every
    bytes value; anything else (tuples, lists) goes through the encoder.
    """
    parts: list[str] = []
    for name, value in args.items():
        kind = value.__class__
        if kind is str:
            text = encode_basestring_ascii(value)
        elif kind is bytes:
            text = '"0x' + value.hex() + '"'
        elif kind is int:
            text = int.__repr__(value)
        elif kind is bool:
            text = "true" if value else "false"
        elif value is None:
            text = "null"
        else:
            return _ARGS_ENCODER.encode(args)
        if name.__class__ is not str:
            return _ARGS_ENCODER.encode(args)
        parts.append(encode_basestring_ascii(name) + ": " + text)
    return "{" + ", ".join(parts) + "}"


def topics_json(topics: Sequence[str]) -> str:
    """``topics`` as JSON text, exactly as ``json.dumps(list(topics))`` writes it."""
    return "[" + ", ".join(map(encode_basestring_ascii, topics)) + "]"


def to_record(
    event: ChainEvent, contract: str | None = None, *, timestamp: int | None = None
) -> DomainRecord | None:
    """The domain record ``event`` states, or ``None`` if it has no domain meaning (yet).

    ``contract`` is the emitting contract's manifest name; it defaults to the contract whose
    ABI decoded the event. ``timestamp`` is the unix time of the event's block; records that
    carry the block time (applications, objections, rulings, changes) need it.
    """
    maker = record_makers().get((contract or event.contract, event.name))
    return None if maker is None else maker(event, timestamp)


def record_asset(record: DomainRecord | None) -> int | None:
    """The asset (registration / certificate id) ``record`` is about: its ``registration_id``
    (the registration lifecycle) or ``token_id`` (transfers, pledges, freezes, approvals,
    licences, valuations, accounting classes); ``None`` for the records of no one asset
    (evidence, registrars, parties' countries, appraisers). The store keeps it as
    ``raw_event.token_id``, the asset's timeline reads it."""
    for name in ("registration_id", "token_id"):
        value = getattr(record, name, None)
        if isinstance(value, int):
            return value
    return None


class Decoder:
    """Decodes the logs of one deployment.

    ``contracts`` maps the manifest's contract names to their addresses.
    """

    def __init__(self, codec: AbiCodec, contracts: Mapping[str, str]) -> None:
        self._codec = codec
        self._makers = record_makers()
        self._names = {address.lower(): name for name, address in contracts.items()}

    def decode_log(self, log: ChainLog, timestamp: int | None = None) -> DecodedLog:
        """Decode one log; a log of a known event that does not decode is an error.

        ``timestamp`` is the unix time of the log's block (see :func:`to_record`).
        """
        contract = self._names.get(log.address.lower())
        try:
            event = self._codec.decode_log(log)
        except Exception as exc:
            raise IndexerError(
                f"log {log.log_index} of block {log.block_number} (tx {log.tx_hash}) from "
                f"{log.address} carries a known event topic but does not decode against the "
                f"registry's ABI ({exc}); the artifacts do not match the deployed contracts",
                block_number=log.block_number,
                log_index=log.log_index,
            ) from exc
        record = None
        if event is not None and contract is not None:
            maker = self._makers.get((contract, event.name))
            record = None if maker is None else maker(event, timestamp)
        return DecodedLog(log=log, contract=contract, event=event, record=record)

    def decode(self, batch: FetchedBatch) -> DecodedBatch:
        """Decode every log of ``batch``, with the block times of the batch's headers."""
        times = {h.number: h.timestamp for h in (*batch.headers, batch.tip)}
        return DecodedBatch(
            fetched=batch,
            logs=tuple(self.decode_log(x, times.get(x.block_number)) for x in batch.logs),
        )
