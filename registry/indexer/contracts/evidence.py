"""EvidenceRegistry: anchored fingerprints (``EvidenceAnchored`` -> :class:`EvidenceRecord`).

An anchor is never changed by a later event, so its row in ``evidence`` is insert-only, keyed by
(fingerprint, anchorer): each account anchors a fingerprint at most once, several accounts may
anchor the same one (see :class:`registry.indexer.store.InsertOnly`). Storing a batch twice
writes it once, and an anchor already mirrored at another position on chain means the chain
reorganised under the mirror (:class:`IndexerError`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from registry.db.models import evidence_table
from registry.domain.chain import ChainEvent, ChainLog
from registry.domain.evidence import EvidenceRecord
from registry.errors import IndexerError
from registry.indexer.contracts.fields import raw_bytes
from registry.indexer.decode import register
from registry.indexer.store import InsertOnly, register_insert_only

CONTRACT = "EvidenceRegistry"

#: The columns of ``evidence`` in the order the store writes them.
EVIDENCE_COLUMNS = (
    "fingerprint",
    "anchorer",
    "relayer",
    "anchored_at",
    "block_number",
    "tx_hash",
    "log_index",
    "chain_id",
)


def evidence_from_event(event: ChainEvent, _timestamp: int | None = None) -> EvidenceRecord:
    """The :class:`EvidenceRecord` an ``EvidenceAnchored`` event states."""
    args = event.args
    return EvidenceRecord(
        fingerprint=raw_bytes(args["fingerprint"]),
        anchorer=str(args["anchorer"]),
        relayer=str(args["relayer"]),
        anchored_at=EvidenceRecord.timestamp(int(args["anchoredAt"])),
        block_number=event.log.block_number,
        tx_hash=event.log.tx_hash,
    )


def evidence_row(chain_id: int, log: ChainLog, record: EvidenceRecord) -> tuple[Any, ...]:
    """The ``evidence`` row of ``record`` (in the order of :data:`EVIDENCE_COLUMNS`)."""
    return (
        record.fingerprint_hex,
        record.anchorer,
        record.relayer or record.anchorer,
        record.anchored_at,
        log.block_number,
        log.tx_hash,
        log.log_index,
        chain_id,
    )


def check_evidence(
    connection: Connection, rows: Sequence[Mapping[str, Any]], inserted: set[tuple[Any, ...]]
) -> None:
    """Refuse an anchor already stored at another position on chain."""
    skipped = {
        (r["fingerprint"], r["anchorer"]): r
        for r in rows
        if (r["fingerprint"], r["anchorer"]) not in inserted
    }
    if not skipped:
        return
    stored = connection.execute(
        select(
            evidence_table.c.fingerprint,
            evidence_table.c.anchorer,
            evidence_table.c.chain_id,
            evidence_table.c.block_number,
            evidence_table.c.log_index,
        ).where(evidence_table.c.fingerprint.in_(sorted({f for f, _ in skipped})))
    ).all()
    for fingerprint, anchorer, chain_id, block_number, log_index in stored:
        row = skipped.get((fingerprint, anchorer))
        if row is None:
            continue
        if (chain_id, block_number, log_index) != (
            row["chain_id"],
            row["block_number"],
            row["log_index"],
        ):
            raise IndexerError(
                f"fingerprint {fingerprint} is mirrored as anchored by {anchorer} in block "
                f"{block_number} "
                f"(log {log_index}) of chain {chain_id}, but the chain now reports it in block "
                f"{row['block_number']} (log {row['log_index']}) of chain {row['chain_id']}; "
                "the mirror no longer matches the chain, rebuild it",
                fingerprint=fingerprint,
            )


register(CONTRACT, "evidence", {"EvidenceAnchored": evidence_from_event}, [EvidenceRecord])
register_insert_only(
    InsertOnly(
        record=EvidenceRecord,
        table=evidence_table,
        columns=EVIDENCE_COLUMNS,
        key=("fingerprint", "anchorer"),
        row=evidence_row,
        check=check_evidence,
    )
)
