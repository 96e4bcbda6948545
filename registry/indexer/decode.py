"""Decode: raw logs to events, and events to the typed domain records the mirror serves.

Second stage of the indexer pipeline (fetch -> decode -> store -> serve). Every fetched log is
kept as a raw event; the ones the registry's ABIs know are decoded, and the ones that have a
domain meaning (so far: ``EvidenceRegistry.EvidenceAnchored`` -> :class:`EvidenceRecord`) also
become a typed record. Events without a mapping stay raw events only.

Which contract a log belongs to is decided by its address (from the deployment manifest), not
by its topic, so two contracts sharing an event signature cannot be confused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from registry.chain.abi import AbiCodec
from registry.domain.chain import ChainEvent, ChainLog
from registry.domain.evidence import EvidenceRecord
from registry.errors import IndexerError
from registry.indexer.fetch import FetchedBatch

#: A typed record derived from one event. Grows into a union as the registry gains contracts.
DomainRecord: TypeAlias = EvidenceRecord


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


@dataclass(frozen=True)
class DecodedBatch:
    """A fetched batch with every log decoded."""

    fetched: FetchedBatch
    logs: tuple[DecodedLog, ...]

    @property
    def evidence(self) -> list[tuple[ChainLog, EvidenceRecord]]:
        """The evidence records of the batch, each with the log it came from."""
        return [(d.log, d.record) for d in self.logs if isinstance(d.record, EvidenceRecord)]


def json_safe(value: Any) -> Any:
    """``value`` with bytes as ``0x`` hex and tuples as lists, recursively."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, tuple | list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return value


def _fingerprint(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value).removeprefix("0x"))


def evidence_from_event(event: ChainEvent) -> EvidenceRecord:
    """The :class:`EvidenceRecord` an ``EvidenceAnchored`` event states."""
    args = event.args
    return EvidenceRecord(
        fingerprint=_fingerprint(args["fingerprint"]),
        anchorer=str(args["anchorer"]),
        relayer=str(args["relayer"]),
        anchored_at=EvidenceRecord.timestamp(int(args["anchoredAt"])),
        block_number=event.log.block_number,
        tx_hash=event.log.tx_hash,
    )


#: (contract, event) -> how to make its domain record.
RECORD_MAKERS: dict[tuple[str, str], Callable[[ChainEvent], DomainRecord]] = {
    ("EvidenceRegistry", "EvidenceAnchored"): evidence_from_event,
}


def to_record(event: ChainEvent, contract: str | None = None) -> DomainRecord | None:
    """The domain record ``event`` states, or ``None`` if it has no domain meaning (yet).

    ``contract`` is the emitting contract's manifest name; it defaults to the contract whose
    ABI decoded the event.
    """
    maker = RECORD_MAKERS.get((contract or event.contract, event.name))
    return None if maker is None else maker(event)


class Decoder:
    """Decodes the logs of one deployment.

    ``contracts`` maps the manifest's contract names to their addresses.
    """

    def __init__(self, codec: AbiCodec, contracts: Mapping[str, str]) -> None:
        self._codec = codec
        self._names = {address.lower(): name for name, address in contracts.items()}

    def decode_log(self, log: ChainLog) -> DecodedLog:
        """Decode one log; a log of a known event that does not decode is an error."""
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
            record = to_record(event, contract)
        return DecodedLog(log=log, contract=contract, event=event, record=record)

    def decode(self, batch: FetchedBatch) -> DecodedBatch:
        """Decode every log of ``batch``."""
        return DecodedBatch(fetched=batch, logs=tuple(self.decode_log(x) for x in batch.logs))
