"""Reorg safety: an undo journal for batches not yet final, and the rollback it allows.

Every batch whose last block is within ``reorg_window`` blocks of the head is *unfinalised*. When
the store applies such a batch it also writes, in the same transaction:

- a ``mirror_batch`` row: the batch's block range, the hash and parent hash of its last block
  (the tip) and the hash of the block before it (the cursor's hash when the batch was stored);
- one ``mirror_undo`` row per write to a derived table, in write order: the row's key and its
  image before the batch (``null`` when the batch inserted it).

Raw events, block headers and evidence carry their block number and need no journal: rolling
back to block ``R`` deletes those above ``R``.

When the indexer finds the chain no longer holds the block its cursor names (or the head fell
below it), :func:`rollback` looks for the newest journaled batch whose tip the chain still holds
(or, below the oldest, the block the oldest batch was built on): that block is the restore
point. In one transaction it undoes the later batches' writes in reverse order, deletes their
raw events, headers and evidence, moves the cursor back, rebuilds the derived tables
(:func:`registry.indexer.derived.rebuild`: the statistics cache cannot be undone row by row) and
appends a ``reorg_rollback`` row (permanent). The indexer then re-fetches from the restore point
as usual. If no journaled block is still on the chain, the reorganisation is deeper than the
window: :class:`ReorgTooDeepError`, and nothing is deleted; a person decides (rebuild the
mirror, or widen the window).

Journaled batches whose tip is final (at or below ``head - reorg_window``) are pruned with their
undo rows as new batches are stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, delete, insert, select, update
from sqlmodel import SQLModel

from registry.db.models import (
    block_table,
    cursor_table,
    evidence_table,
    mirror_batch_table,
    mirror_undo_table,
    raw_event_table,
    reorg_rollback_table,
    row_version_table,
)
from registry.db.rows import decode_row, encode_row, primary_key
from registry.domain.chain import BlockHeader
from registry.errors import IndexerError, ReorgTooDeepError
from registry.indexer import derived

log = logging.getLogger(__name__)

Row = dict[str, Any]


# --- writing the journal -------------------------------------------------------------------------


@dataclass
class Journal:
    """The writes of one batch to derived tables, in order, with how to undo each."""

    entries: list[tuple[Table, Row, Row | None]] = field(default_factory=list)

    def inserted(self, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.entries.append((table, primary_key(table, row), None))

    def updated(self, table: Table, priors: Iterable[Mapping[str, Any]]) -> None:
        for prior in priors:
            self.entries.append((table, primary_key(table, prior), dict(prior)))


def record_batch(
    connection: Connection,
    chain_id: int,
    from_block: int,
    tip: BlockHeader,
    base_hash: str | None,
    journal: Journal,
) -> None:
    """Keep ``journal`` as the undo of the batch ``from_block..tip`` (same transaction)."""
    connection.execute(
        delete(mirror_batch_table).where(
            mirror_batch_table.c.chain_id == chain_id, mirror_batch_table.c.to_block == tip.number
        )
    )
    connection.execute(
        insert(mirror_batch_table),
        {
            "chain_id": chain_id,
            "to_block": tip.number,
            "from_block": from_block,
            "tip_hash": tip.hash,
            "tip_parent_hash": tip.parent_hash,
            "base_hash": base_hash,
            "stored_at": datetime.now(tz=UTC),
        },
    )
    if journal.entries:
        connection.execute(
            insert(mirror_undo_table),
            [
                {
                    "chain_id": chain_id,
                    "to_block": tip.number,
                    "seq": seq,
                    "table_name": table.name,
                    "row_key": encode_row(key),
                    "prior": None if prior is None else encode_row(prior),
                }
                for seq, (table, key, prior) in enumerate(journal.entries)
            ],
        )


def prune(connection: Connection, chain_id: int, final_block: int) -> int:
    """Forget the journal of batches whose tip is at or below ``final_block``."""
    t = mirror_batch_table
    final = and_(t.c.chain_id == chain_id, t.c.to_block <= final_block)
    connection.execute(
        delete(mirror_undo_table).where(
            mirror_undo_table.c.chain_id == chain_id, mirror_undo_table.c.to_block <= final_block
        )
    )
    return int(connection.execute(delete(t).where(final)).rowcount or 0)


# --- rolling back --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollback:
    """What one rollback did (also stored in ``reorg_rollback``)."""

    chain_id: int
    mirrored_block: int
    mirrored_hash: str
    chain_hash: str | None
    restored_block: int
    restored_hash: str | None
    batches_undone: int
    rows_restored: int
    raw_events_removed: int

    @property
    def depth(self) -> int:
        return self.mirrored_block - self.restored_block


def _tables() -> dict[str, Table]:
    return {name: table for name, table in SQLModel.metadata.tables.items()}


def _restore_point(
    batches: Sequence[Mapping[str, Any]], hash_at: Callable[[int], str | None]
) -> tuple[int, str, int] | None:
    """``(block, hash, batches to undo)`` of the newest journaled block the chain still holds."""
    for undone, batch in enumerate(batches):  # newest first
        if hash_at(int(batch["to_block"])) == batch["tip_hash"]:
            return int(batch["to_block"]), str(batch["tip_hash"]), undone
    if batches:
        oldest = batches[-1]
        base = oldest["base_hash"]
        below = int(oldest["from_block"]) - 1
        if base is not None and hash_at(below) == base:
            return below, str(base), len(batches)
    return None


def rollback(
    engine: Engine,
    chain_id: int,
    hash_at: Callable[[int], str | None],
) -> Rollback:
    """Roll the mirror of ``chain_id`` back to the newest journaled block the chain still holds.

    ``hash_at(n)`` is the chain's hash of block ``n`` now (``None`` beyond its head). Raises
    :class:`ReorgTooDeepError` (writing nothing) when no journaled block is on the chain.
    """
    tables = _tables()
    with engine.begin() as connection:
        cursor = connection.execute(
            select(cursor_table).where(cursor_table.c.chain_id == chain_id)
        ).first()
        if cursor is None:
            raise IndexerError(f"there is no mirror of chain {chain_id} to roll back")
        t = mirror_batch_table
        batches = [
            dict(r._mapping)
            for r in connection.execute(
                select(t).where(t.c.chain_id == chain_id).order_by(t.c.to_block.desc())
            )
        ]
        found = _restore_point(batches, hash_at)
        if found is None:
            oldest = min((int(b["from_block"]) for b in batches), default=cursor.last_block + 1)
            raise ReorgTooDeepError(
                f"chain {chain_id} reorganised below block {oldest}, the oldest block the "
                f"mirror can undo (it holds blocks up to {cursor.last_block}, hash "
                f"{cursor.last_block_hash}); nothing was deleted. Rebuild the mirror from "
                "the chain, or widen DAREG_REORG_WINDOW",
                chain_id=chain_id,
                mirrored_block=cursor.last_block,
            )
        restored, restored_hash, undone = found
        if restored == cursor.last_block:
            raise IndexerError(
                f"the mirror of chain {chain_id} names block {cursor.last_block} with hash "
                f"{cursor.last_block_hash}, but its own journal and the chain say "
                f"{restored_hash}: the mirror was altered or the chain reorganised in a way it "
                "cannot follow; nothing was deleted",
                chain_id=chain_id,
            )
        rows = 0
        for batch in batches[:undone]:
            u = mirror_undo_table
            entries = connection.execute(
                select(u.c.table_name, u.c.row_key, u.c.prior)
                .where(u.c.chain_id == chain_id, u.c.to_block == batch["to_block"])
                .order_by(u.c.seq.desc())
            ).all()
            for table_name, key_json, prior_json in entries:
                rows += _undo(connection, tables[table_name], key_json, prior_json)
        removed = 0
        for table, column in (
            (row_version_table, row_version_table.c.block_number),
            (evidence_table, evidence_table.c.block_number),
            (raw_event_table, raw_event_table.c.block_number),
            (block_table, block_table.c.number),
        ):
            result = connection.execute(
                delete(table).where(table.c.chain_id == chain_id, column > restored)
            )
            if table is raw_event_table:
                removed = int(result.rowcount or 0)
        connection.execute(delete(t).where(t.c.chain_id == chain_id, t.c.to_block > restored))
        mirrored_hash = str(cursor.last_block_hash)
        chain_hash = hash_at(int(cursor.last_block))
        connection.execute(
            update(cursor_table)
            .where(cursor_table.c.chain_id == chain_id)
            .values(
                last_block=restored, last_block_hash=restored_hash, updated_at=datetime.now(tz=UTC)
            )
        )
        derived.rebuild(connection, chain_id)
        done = Rollback(
            chain_id=chain_id,
            mirrored_block=int(cursor.last_block),
            mirrored_hash=mirrored_hash,
            chain_hash=chain_hash,
            restored_block=restored,
            restored_hash=restored_hash,
            batches_undone=undone,
            rows_restored=rows,
            raw_events_removed=removed,
        )
        connection.execute(
            insert(reorg_rollback_table),
            {
                "chain_id": chain_id,
                "detected_at": datetime.now(tz=UTC),
                "mirrored_block": done.mirrored_block,
                "mirrored_hash": done.mirrored_hash,
                "chain_hash": done.chain_hash,
                "restored_block": done.restored_block,
                "restored_hash": done.restored_hash,
                "depth": done.depth,
                "batches_undone": done.batches_undone,
                "rows_restored": done.rows_restored,
                "raw_events_removed": done.raw_events_removed,
            },
        )
    log.warning(
        "chain %d reorganised: the mirror rolled back from block %d to %d (%d batches, %d rows, "
        "%d raw events)",
        chain_id,
        done.mirrored_block,
        done.restored_block,
        done.batches_undone,
        done.rows_restored,
        done.raw_events_removed,
    )
    return done


def _undo(connection: Connection, table: Table, key_json: Any, prior_json: Any) -> int:
    key = decode_row(key_json)
    where = and_(*(table.c[k] == v for k, v in key.items()))
    if prior_json is None:
        return int(connection.execute(delete(table).where(where)).rowcount or 0)
    prior = decode_row(prior_json)
    changed = connection.execute(update(table).where(where).values(**prior)).rowcount
    if not changed:
        connection.execute(insert(table), prior)
    return 1
