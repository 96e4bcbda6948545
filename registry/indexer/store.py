"""Store: write one decoded batch into the mirror, atomically and idempotently.

Third stage of the indexer pipeline (fetch -> decode -> store -> serve). A batch's block
headers, raw events, derived records and the advanced cursor are written in ONE transaction:
the mirror never holds half a batch, and the cursor never claims blocks whose rows are missing.

Every row has a natural key from the chain (``(chain_id, number)`` for blocks,
``(chain_id, block_number, log_index)`` for raw events, the fingerprint for evidence), and rows
are inserted with insert-or-ignore on those keys (``ON CONFLICT DO NOTHING`` on SQLite and
PostgreSQL, check-then-insert elsewhere), so applying the same batch twice writes nothing the
second time. The cursor only moves forward and refuses to skip blocks.

A key that is already stored with *different* chain facts (another block hash, an anchor at
another position) means the chain reorganised under the mirror; that raises
:class:`IndexerError` and nothing is written. Reorg handling comes later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from registry.db.models import block_table, cursor_table, evidence_table, raw_event_table
from registry.domain.chain import BlockHeader
from registry.errors import IndexerError
from registry.indexer.decode import DecodedBatch


@dataclass(frozen=True)
class Cursor:
    """The stored position of the mirror of one chain."""

    chain_id: int
    last_block: int
    last_block_hash: str
    updated_at: datetime


@dataclass(frozen=True)
class StoreResult:
    """How many rows applying a batch actually wrote."""

    blocks: int
    raw_events: int
    evidence: int
    cursor_moved: bool

    @property
    def rows(self) -> int:
        """All rows written, the cursor included."""
        return self.blocks + self.raw_events + self.evidence + int(self.cursor_moved)


def read_cursor(connection: Connection, chain_id: int) -> Cursor | None:
    """The cursor of ``chain_id``, or ``None`` if that chain was never indexed."""
    row = connection.execute(
        select(cursor_table).where(cursor_table.c.chain_id == chain_id)
    ).one_or_none()
    if row is None:
        return None
    return Cursor(
        chain_id=row.chain_id,
        last_block=row.last_block,
        last_block_hash=row.last_block_hash,
        updated_at=row.updated_at,
    )


def cursor_chain_ids(connection: Connection) -> list[int]:
    """The chain ids the database holds cursors for."""
    return [int(v) for v in connection.execute(select(cursor_table.c.chain_id)).scalars()]


def _insert_ignore(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> set[tuple[Any, ...]]:
    """Insert ``rows``, skipping those whose ``keys`` already exist; the keys inserted."""
    if not rows:
        return set()
    key_columns = [table.c[k] for k in keys]
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        make_insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        statement = (
            make_insert(table).on_conflict_do_nothing(index_elements=key_columns)
        ).returning(*key_columns)
        return {tuple(row) for row in connection.execute(statement, list(rows))}
    inserted: set[tuple[Any, ...]] = set()
    for row in rows:
        key = tuple(row[k] for k in keys)
        exists = connection.execute(
            select(1).where(and_(*(c == v for c, v in zip(key_columns, key, strict=True))))
        ).first()
        if exists is None:
            connection.execute(insert(table), dict(row))
            inserted.add(key)
    return inserted


def _check_blocks(connection: Connection, chain_id: int, headers: Sequence[BlockHeader]) -> None:
    """Refuse headers whose block number is stored with another hash (a reorg)."""
    if not headers:
        return
    wanted = {h.number: h.hash for h in headers}
    stored = connection.execute(
        select(block_table.c.number, block_table.c.hash).where(
            block_table.c.chain_id == chain_id, block_table.c.number.in_(list(wanted))
        )
    ).all()
    for number, stored_hash in stored:
        if stored_hash != wanted[number]:
            raise IndexerError(
                f"block {number} of chain {chain_id} is mirrored with hash {stored_hash} but the "
                f"chain now has {wanted[number]}: the chain reorganised below the indexed head, "
                "and this version of the indexer does not roll back; rebuild the mirror",
                chain_id=chain_id,
                block_number=number,
            )


def _check_evidence(
    connection: Connection, rows: Sequence[Mapping[str, Any]], inserted: set[tuple[Any, ...]]
) -> None:
    """Refuse evidence already stored at another position on chain."""
    skipped = {r["fingerprint"]: r for r in rows if (r["fingerprint"],) not in inserted}
    if not skipped:
        return
    stored = connection.execute(
        select(
            evidence_table.c.fingerprint,
            evidence_table.c.chain_id,
            evidence_table.c.block_number,
            evidence_table.c.log_index,
        ).where(evidence_table.c.fingerprint.in_(list(skipped)))
    ).all()
    for fingerprint, chain_id, block_number, log_index in stored:
        row = skipped[fingerprint]
        if (chain_id, block_number, log_index) != (
            row["chain_id"],
            row["block_number"],
            row["log_index"],
        ):
            raise IndexerError(
                f"fingerprint {fingerprint} is mirrored as anchored in block {block_number} "
                f"(log {log_index}) of chain {chain_id}, but the chain now reports it in block "
                f"{row['block_number']} (log {row['log_index']}) of chain {row['chain_id']}; "
                "the mirror no longer matches the chain, rebuild it",
                fingerprint=fingerprint,
            )


def _advance_cursor(connection: Connection, batch: DecodedBatch) -> bool:
    """Move the cursor to the batch's last block; ``False`` if it was already there or beyond."""
    fetched = batch.fetched
    cursor = read_cursor(connection, fetched.chain_id)
    values = {
        "last_block": fetched.tip.number,
        "last_block_hash": fetched.tip.hash,
        "updated_at": datetime.now(tz=UTC),
    }
    if cursor is None:
        connection.execute(insert(cursor_table), {"chain_id": fetched.chain_id, **values})
        return True
    if fetched.from_block > cursor.last_block + 1:
        raise IndexerError(
            f"the batch of blocks {fetched.from_block}..{fetched.to_block} does not follow the "
            f"mirror of chain {fetched.chain_id}, which ends at block {cursor.last_block}; "
            "storing it would leave a gap",
            chain_id=fetched.chain_id,
        )
    if fetched.tip.number == cursor.last_block and fetched.tip.hash != cursor.last_block_hash:
        raise IndexerError(
            f"block {cursor.last_block} of chain {fetched.chain_id} is mirrored with hash "
            f"{cursor.last_block_hash} but the chain now has {fetched.tip.hash}: the chain "
            "reorganised below the indexed head; rebuild the mirror",
            chain_id=fetched.chain_id,
        )
    if fetched.tip.number <= cursor.last_block:
        return False
    connection.execute(
        update(cursor_table).where(cursor_table.c.chain_id == fetched.chain_id).values(**values)
    )
    return True


def store_batch(engine: Engine, batch: DecodedBatch) -> StoreResult:
    """Write ``batch`` (headers, raw events, records, cursor) in one transaction."""
    fetched = batch.fetched
    chain_id = fetched.chain_id
    block_rows = [
        {
            "chain_id": chain_id,
            "number": h.number,
            "hash": h.hash,
            "parent_hash": h.parent_hash,
            "timestamp": h.timestamp,
        }
        for h in fetched.headers
    ]
    raw_rows = [
        {
            "chain_id": chain_id,
            "block_number": d.log.block_number,
            "log_index": d.log.log_index,
            "block_hash": d.log.block_hash,
            "tx_hash": d.log.tx_hash,
            "address": d.log.address,
            "contract": d.contract,
            "event": None if d.event is None else d.event.name,
            "topic0": d.log.topics[0] if d.log.topics else None,
            "topics": list(d.log.topics),
            "data": d.log.data,
            "args": d.args,
        }
        for d in batch.logs
    ]
    evidence_rows = [
        {
            "fingerprint": record.fingerprint_hex,
            "anchorer": record.anchorer,
            "relayer": record.relayer or record.anchorer,
            "anchored_at": record.anchored_at,
            "block_number": log.block_number,
            "tx_hash": log.tx_hash,
            "log_index": log.log_index,
            "chain_id": chain_id,
        }
        for log, record in batch.evidence
    ]
    with engine.begin() as connection:
        _check_blocks(connection, chain_id, fetched.headers)
        blocks = _insert_ignore(connection, block_table, block_rows, ("chain_id", "number"))
        raw = _insert_ignore(
            connection, raw_event_table, raw_rows, ("chain_id", "block_number", "log_index")
        )
        evidence = _insert_ignore(connection, evidence_table, evidence_rows, ("fingerprint",))
        _check_evidence(connection, evidence_rows, evidence)
        moved = _advance_cursor(connection, batch)
    return StoreResult(
        blocks=len(blocks), raw_events=len(raw), evidence=len(evidence), cursor_moved=moved
    )


__all__ = [
    "Cursor",
    "StoreResult",
    "cursor_chain_ids",
    "read_cursor",
    "store_batch",
]
