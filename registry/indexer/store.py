"""Store: write one decoded batch into the mirror, atomically and idempotently.

Third stage of the indexer pipeline (fetch -> decode -> store -> serve). A batch's block
headers, raw events, derived records, the derived tables (:mod:`.derived`) and the advanced
cursor are written in ONE transaction: the mirror never holds half a batch, and the cursor never
claims blocks whose rows are missing.

Every row the chain only adds has a natural key from the chain (``(chain_id, number)`` for
blocks, ``(chain_id, block_number, log_index)`` for raw events, the fingerprint for evidence),
and such rows are inserted with insert-or-ignore on those keys (:mod:`.bulk`), so applying the
same batch twice writes nothing the second time. The cursor only moves forward and refuses to
skip blocks. A key that is already stored with *different* chain facts (another block hash, an
anchor at another position) means the chain reorganised under the mirror; that raises
:class:`IndexerError` and nothing is written. Batches not yet final are journaled so the indexer
can roll them back when the chain reorganises (:mod:`registry.indexer.reorg`).

This module is generic: what each contract's records write lives in that contract's module
under :mod:`registry.indexer.contracts`, registered here in one of two ways.

* Rows an event only *adds*, one per record (``evidence``): :func:`register_insert_only` names
  the table, its columns and key, how to make a row and how to check a row already stored.
* State that events *change* (the registration lifecycle, rights, valuations): an
  :class:`Applier` per contract, registered with :func:`register_applier` for its record
  classes. Records are applied only for the raw events this very transaction inserted (a raw
  event that was already stored has had its effects applied when it was), one at a time in
  chain order ``(block, log_index)`` across every contract, because they touch the same rows (a
  transfer moves ``registration.holder``; a valuation reads the certificate's version). The
  rows a batch touches are loaded once (:class:`Rows`, shared between the appliers through
  :class:`Writes`), changed in memory as the contracts would change them, and written back once.
  Each changed row records the position of the last event applied to it; an event at or before
  that position, or one the contract could not have emitted in the row's state, means the
  mirror no longer matches the chain: :class:`IndexerError`, and nothing of the batch is
  written. After every event the rows it changed are kept in ``row_version`` (the mirror's
  history, for answers "as of" a block).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, overload

from sqlalchemy import ColumnElement, Connection, Engine, Table, bindparam, insert, select, update

from registry.db.models import (
    block_table,
    cursor_table,
    raw_event_table,
    row_version_table,
)
from registry.db.rows import encode_row, history_key, primary_key
from registry.domain.chain import BlockHeader, ChainLog
from registry.errors import IndexerError
from registry.indexer import derived
from registry.indexer.bulk import Bulk, insert_all, insert_ignore
from registry.indexer.decode import (
    DecodedBatch,
    DomainRecord,
    load_contracts,
    record_asset,
    topics_json,
)
from registry.indexer.fetch import FetchedBatch
from registry.indexer.reorg import Journal, prune, record_batch


@dataclass(frozen=True)
class Cursor:
    """The stored position of the mirror of one chain."""

    chain_id: int
    last_block: int
    last_block_hash: str
    updated_at: datetime


class _Count:
    """A read-only attribute of :class:`StoreResult`: the count of ``key`` in its mapping
    ``counts`` (``inserted`` or ``applied``), 0 when there is none."""

    def __init__(self, counts: str, key: str) -> None:
        self.counts, self.key = counts, key

    @overload
    def __get__(self, result: None, owner: type[StoreResult]) -> _Count: ...
    @overload
    def __get__(self, result: StoreResult, owner: type[StoreResult]) -> int: ...
    def __get__(self, result: StoreResult | None, owner: type[StoreResult]) -> int | _Count:
        if result is None:  # on the class, as a property would be
            return self
        counts: Mapping[str, int] = getattr(result, self.counts)
        return counts.get(self.key, 0)


@dataclass(frozen=True)
class StoreResult:
    """How many rows applying a batch actually wrote.

    ``inserted`` counts the rows of each insert-only table (``evidence``), ``applied`` the
    records applied of each family (``registry``, ``rights``, ``valuation``: see
    :func:`registry.indexer.decode.register`); ``refreshed`` is what the refresh of the derived
    tables wrote in the same transaction (not counted in :attr:`rows`).
    """

    blocks: int
    raw_events: int
    cursor_moved: bool
    inserted: Mapping[str, int] = field(default_factory=dict)
    applied: Mapping[str, int] = field(default_factory=dict)
    refreshed: derived.Refreshed = field(default_factory=lambda: derived.Refreshed(0, 0))

    #: Evidence rows written.
    evidence = _Count("inserted", "evidence")
    #: Records of the registration lifecycle applied.
    registry_events = _Count("applied", "registry")
    #: Records of rights (transfers, pledges, freezes, approvals, licences) applied.
    rights_events = _Count("applied", "rights")
    #: Records of valuations (appraisers, valuations, accounting classes) applied.
    valuation_events = _Count("applied", "valuation")

    @property
    def rows(self) -> int:
        """All rows written, the cursor included (applied records count once each)."""
        return (
            self.blocks
            + self.raw_events
            + sum(self.inserted.values())
            + sum(self.applied.values())
            + int(self.cursor_moved)
        )


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


def _holds_any_of(connection: Connection, chain_id: int, fetched: FetchedBatch) -> bool:
    """Whether the mirror already holds raw events of the batch's block range."""
    t = raw_event_table
    stored = connection.execute(
        select(t.c.block_number)
        .where(
            t.c.chain_id == chain_id,
            t.c.block_number >= fetched.from_block,
            t.c.block_number <= fetched.to_block,
        )
        .limit(1)
    ).first()
    return stored is not None


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


# --- state that events change: rows loaded once, changed in memory, written back once ----------

Row = dict[str, Any]
Position = tuple[int, int]


def position(log: ChainLog) -> Position:
    """Where ``log`` is on chain: ``(block, log_index)``."""
    return (log.block_number, log.log_index)


def event_name(record: object) -> str:
    """The event a record was made from (its class name without ``Record``)."""
    return type(record).__name__.removesuffix("Record")


def _update_rows(
    connection: Connection, table: Table, keys: Sequence[str], rows: Sequence[Row]
) -> None:
    """``UPDATE`` each of ``rows`` (full rows) by its ``keys``."""
    if not rows:
        return
    statement = update(table).where(*(table.c[k] == bindparam(f"key_{k}") for k in keys))
    connection.execute(
        statement,
        [
            {
                **{f"key_{k}": row[k] for k in keys},
                **{c: v for c, v in row.items() if c not in keys},
            }
            for row in rows
        ],
    )


class Rows:
    """The rows of one table that a batch touches, loaded once and written back once.

    ``keys`` is the primary key, ``chain_id`` first; a row is known by the value of its second
    key column, or by the tuple of all its key columns after ``chain_id`` when there are more.
    """

    def __init__(self, table: Table, keys: Sequence[str]) -> None:
        self.table = table
        self.keys = tuple(keys)
        self.rows: dict[Any, Row] = {}
        self.original: dict[Any, Row] = {}
        self.new: set[Any] = set()
        self.dirty: set[Any] = set()
        #: keys changed by the event being applied (see :meth:`versions`)
        self.changed: set[Any] = set()

    def key_of(self, row: Row) -> Any:
        if len(self.keys) == 2:
            return row[self.keys[1]]
        return tuple(row[k] for k in self.keys[1:])

    def load(self, connection: Connection, chain_id: int, wanted: Collection[Any]) -> None:
        """Read the stored rows of ``chain_id`` whose key is in ``wanted`` (rows already held
        are kept as they are)."""
        wanted = [w for w in wanted if w not in self.rows]
        if not wanted:
            return
        column = self.table.c[self.keys[1]]
        firsts = {w[0] for w in wanted} if len(self.keys) > 2 else set(wanted)
        statement = select(self.table).where(
            self.table.c.chain_id == chain_id, column.in_(sorted(firsts))
        )
        keep = set(wanted)
        for row in connection.execute(statement):
            mapping = dict(row._mapping)
            key = self.key_of(mapping)
            if key in keep:
                self.rows[key] = mapping
                self.original[key] = dict(mapping)

    def load_where(self, connection: Connection, *where: ColumnElement[bool]) -> None:
        """Read the stored rows matching ``where`` that are not held yet."""
        for row in connection.execute(select(self.table).where(*where)):
            mapping = dict(row._mapping)
            key = self.key_of(mapping)
            if key not in self.rows:
                self.rows[key] = mapping
                self.original[key] = dict(mapping)

    def get(self, key: Any) -> Row | None:
        return self.rows.get(key)

    def add(self, key: Any, row: Row) -> None:
        self.rows[key] = row
        self.new.add(key)
        self.changed.add(key)

    def touch(self, key: Any) -> None:
        if key not in self.new:
            self.dirty.add(key)
        self.changed.add(key)

    def versions(self, chain_id: int, log: ChainLog) -> list[Row]:
        """The rows the event at ``log`` changed, as ``row_version`` rows (then forgotten)."""
        found = [
            {
                "chain_id": chain_id,
                "table_name": self.table.name,
                "row_key": history_key(primary_key(self.table, self.rows[k])),
                "block_number": log.block_number,
                "log_index": log.log_index,
                "image": encode_row(self.rows[k]),
            }
            for k in sorted(self.changed, key=repr)
        ]
        self.changed.clear()
        return found

    def flush(self, connection: Connection, journal: Journal | None) -> None:
        new = [self.rows[k] for k in sorted(self.new)]
        if new:
            connection.execute(insert(self.table), new)
        _update_rows(connection, self.table, self.keys, [self.rows[k] for k in sorted(self.dirty)])
        if journal is not None:
            journal.inserted(self.table, new)
            journal.updated(self.table, [self.original[k] for k in sorted(self.dirty)])


def append_rows(
    connection: Connection, table: Table, rows: Sequence[Row], journal: Journal | None
) -> None:
    """Insert rows of an append-only table (journaled for a rollback)."""
    if rows:
        connection.execute(insert(table), rows)
        if journal is not None:
            journal.inserted(table, rows)


class Writes:
    """What the appliers of one batch share: the chain, the row caches by table (so two
    contracts touching ``registration`` change the same rows), and the rows' history."""

    def __init__(self, chain_id: int) -> None:
        self.chain_id = chain_id
        self._tables: dict[str, Rows] = {}

    def rows(self, table: Table, keys: Sequence[str]) -> Rows:
        """The cache of ``table`` (created on first use)."""
        found = self._tables.get(table.name)
        if found is None:
            found = self._tables[table.name] = Rows(table, keys)
        return found

    def versions(self, log: ChainLog) -> list[Row]:
        """The rows the event at ``log`` changed, as ``row_version`` rows."""
        found: list[Row] = []
        for rows in self._tables.values():  # the state after this event
            found.extend(rows.versions(self.chain_id, log))
        return found


class Applier:
    """Applies the records of one contract to the mirror, one event at a time, as the contract
    does (see the module).

    A subclass declares the ``family`` its records are counted in, takes the tables it writes
    with :meth:`own` (:meth:`appended` for append-only ones) in its ``__init__``, reads the
    stored rows a batch's records need in :meth:`load`, and changes them in :meth:`apply`; the
    tables it only reads (another contract's) come from ``self.writes.rows``. Appliers flush in
    the order they were registered, each its tables in the order it took them: rows that others
    point at first.
    """

    family: ClassVar[str]

    def __init__(self, writes: Writes) -> None:
        self.writes = writes
        self.chain_id = writes.chain_id
        self._owned: list[Rows] = []
        self._appended: list[tuple[Table, list[Row]]] = []

    def own(self, table: Table, keys: Sequence[str]) -> Rows:
        """The cache of a table this applier writes."""
        rows = self.writes.rows(table, keys)
        self._owned.append(rows)
        return rows

    def appended(self, table: Table) -> list[Row]:
        """The new rows of an append-only table this applier writes (append to it)."""
        rows: list[Row] = []
        self._appended.append((table, rows))
        return rows

    def load(self, connection: Connection, records: Sequence[tuple[ChainLog, Any]]) -> None:
        """Read the stored rows ``records`` (this applier's, of one batch) will need."""
        raise NotImplementedError

    def apply(self, log: ChainLog, record: Any) -> None:
        """Apply one record (``log`` is where it was emitted)."""
        raise NotImplementedError

    def flush(self, connection: Connection, journal: Journal | None) -> None:
        """Write back what :meth:`apply` changed (journaled for a rollback)."""
        for rows in self._owned:
            rows.flush(connection, journal)
        for table, appended in self._appended:
            append_rows(connection, table, appended, journal)

    # --- consistency ----------------------------------------------------------------------

    def mismatch(self, log: ChainLog, message: str) -> IndexerError:
        """The error for an event the mirror's state says the contract could not have emitted."""
        return IndexerError(
            f"log {log.log_index} of block {log.block_number} (tx {log.tx_hash}): {message}; "
            "the mirror no longer matches the chain, rebuild it",
            chain_id=self.chain_id,
            block_number=log.block_number,
            log_index=log.log_index,
        )

    def after(self, log: ChainLog, last: Position, what: str) -> None:
        """Refuse an event that is not later than the last one applied to ``what``."""
        if position(log) <= last:
            raise self.mismatch(
                log,
                f"{what} already reflects the event at block {last[0]}, log {last[1]}, which is "
                "not before this one (events applied twice or out of order)",
            )

    def touch(self, rows: Rows, log: ChainLog, row: Row, what: str) -> None:
        """Mark ``row`` (kept with ``last_block``/``last_log_index``) changed by the event at
        ``log``, which must be later than the last one applied to it."""
        self.after(log, (row["last_block"], row["last_log_index"]), what)
        row["last_block"], row["last_log_index"] = position(log)
        rows.touch(rows.key_of(row))

    def in_status(self, rows: Rows, key: Any, status: str, log: ChainLog, event: str) -> Row:
        """The row of ``key``, which must be in ``status``: else the mismatch "``event``, which
        is" ``unknown`` (no such row) or the row's status."""
        row = rows.get(key)
        if row is None or row["status"] != status:
            state = "unknown" if row is None else row["status"]
            raise self.mismatch(log, f"{event}, which is {state}")
        return row

    def created(self, log: ChainLog, prefix: str) -> Row:
        """The columns saying where a row's first event is: ``<prefix>_block``,
        ``<prefix>_log_index`` and ``<prefix>_tx_hash``."""
        return {
            f"{prefix}_block": log.block_number,
            f"{prefix}_log_index": log.log_index,
            f"{prefix}_tx_hash": log.tx_hash,
        }

    def put(
        self, rows: Rows, log: ChainLog, row: Row | None, key: Row, values: Row, what: str
    ) -> None:
        """Set ``values`` on ``row`` (touched, see :meth:`touch`), or add the row of ``key`` (its
        key columns after ``chain_id``) with them when there is none yet."""
        if row is None:
            new = {"chain_id": self.chain_id, **key, **values}
            new["last_block"], new["last_log_index"] = position(log)
            rows.add(rows.key_of(new), new)
        else:
            self.touch(rows, log, row, what)
            row.update(values)

    def upsert(self, rows: Rows, log: ChainLog, row: Row, what: str) -> None:
        """Insert or replace a row kept as last set (``updated_block``/``updated_log_index``)."""
        row = {**row, "updated_block": log.block_number, "updated_log_index": log.log_index}
        key = rows.key_of(row)
        stored = rows.get(key)
        if stored is None:
            rows.add(key, row)
            return
        self.after(log, (stored["updated_block"], stored["updated_log_index"]), what)
        stored.update(row)
        rows.touch(key)


#: record class -> the applier of its contract; filled by :func:`register_applier`.
APPLIERS: dict[type, type[Applier]] = {}


def register_applier(applier: type[Applier], records: Collection[type]) -> None:
    """Have ``applier`` apply the records of the classes ``records``."""
    for record in records:
        APPLIERS[record] = applier


def _apply_records(
    connection: Connection,
    chain_id: int,
    records: Sequence[tuple[ChainLog, DomainRecord]],
    journal: Journal | None = None,
) -> dict[str, int]:
    """Apply ``records`` (of new events only) together, in chain order; how many of each
    family were applied."""
    if not records:
        return {}
    writes = Writes(chain_id)
    appliers = {kind: kind(writes) for kind in dict.fromkeys(APPLIERS.values())}
    for kind, applier in appliers.items():
        applier.load(connection, [(log, r) for log, r in records if APPLIERS[type(r)] is kind])
    applied: dict[str, int] = {}
    versions: list[Row] = []
    for log, record in sorted(records, key=lambda pair: position(pair[0])):
        applier = appliers[APPLIERS[type(record)]]
        applier.apply(log, record)
        applied[applier.family] = applied.get(applier.family, 0) + 1
        versions.extend(writes.versions(log))
    for applier in appliers.values():
        applier.flush(connection, journal)
    if versions:
        connection.execute(insert(row_version_table), versions)
    return applied


# --- rows that events only add ---------------------------------------------------------------


@dataclass(frozen=True)
class InsertOnly:
    """A table with one row per record of ``record`` that later events never change, keyed by
    chain facts: ``row`` makes a row's values (in the order of ``columns``) from the chain id,
    the log and the record; ``check`` refuses rows already stored with other chain facts
    (given the rows and the keys this transaction inserted)."""

    record: type
    table: Table
    columns: tuple[str, ...]
    key: tuple[str, ...]
    row: Callable[[int, ChainLog, Any], tuple[Any, ...]]
    check: Callable[[Connection, Sequence[Mapping[str, Any]], set[tuple[Any, ...]]], None]


#: The insert-only tables, by table name; filled by :func:`register_insert_only`.
INSERT_ONLY: dict[str, InsertOnly] = {}


def register_insert_only(spec: InsertOnly) -> None:
    """Have the store write ``spec.table`` for the records of ``spec.record``."""
    INSERT_ONLY[spec.table.name] = spec


#: The columns of ``raw_event`` in the order the store writes them, and its key.
RAW_EVENT_COLUMNS = (
    "chain_id",
    "block_number",
    "log_index",
    "block_hash",
    "tx_hash",
    "address",
    "contract",
    "event",
    "topic0",
    "topics",
    "data",
    "args",
    "token_id",
)
RAW_EVENT_KEY = ("chain_id", "block_number", "log_index")


def _key(chain_id: int, log: ChainLog) -> tuple[int, int, int]:
    return (chain_id, log.block_number, log.log_index)


def store_batch(
    engine: Engine, batch: DecodedBatch, *, final_block: int | None = None
) -> StoreResult:
    """Write ``batch`` (headers, raw events, records, derived tables, cursor) in one transaction.

    With ``final_block`` (the newest block taken as final: ``head - reorg_window``) a batch
    ending above it is journaled so it can be rolled back (:mod:`.reorg`), and the journal of
    batches now final is pruned.
    """
    load_contracts()  # every contract's appliers and insert-only tables registered
    fetched = batch.fetched
    journal = Journal() if final_block is not None and fetched.tip.number > final_block else None
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
    raw_bulk = Bulk(
        raw_event_table,
        RAW_EVENT_COLUMNS,
        [
            (
                chain_id,
                log.block_number,
                log.log_index,
                log.block_hash,
                log.tx_hash,
                log.address,
                d.contract,
                None if d.event is None else d.event.name,
                log.topics[0] if log.topics else None,
                topics_json(log.topics),
                log.data,
                d.args_json,
                record_asset(d.record),
            )
            for d in batch.logs
            for log in (d.log,)
        ],
        frozenset({"topics", "args"}),
    )
    added = [
        (
            spec,
            Bulk(
                spec.table,
                spec.columns,
                [spec.row(chain_id, log, record) for log, record in batch.records(spec.record)],
            ),
        )
        for spec in INSERT_ONLY.values()
    ]
    records = [
        (d.log, d.record) for d in batch.logs if d.record is not None and type(d.record) in APPLIERS
    ]
    inserted: dict[str, int] = {}
    with engine.begin() as connection:
        _check_blocks(connection, chain_id, fetched.headers)
        blocks = insert_ignore(connection, block_table, block_rows, ("chain_id", "number"))
        if _holds_any_of(connection, chain_id, fetched):
            # a replay (say after a crash): insert what is missing, and apply the records of
            # the raw events this transaction inserted only
            raw = insert_ignore(connection, raw_event_table, raw_bulk.dicts(), RAW_EVENT_KEY)
            for spec, bulk in added:
                rows = bulk.dicts()
                keys = insert_ignore(connection, spec.table, rows, spec.key)
                spec.check(connection, rows, keys)
                inserted[spec.table.name] = len(keys)
            raw_count = len(raw)
            records = [(log, r) for log, r in records if _key(chain_id, log) in raw]
        else:
            # the usual case, a range the mirror holds nothing of: every row is new
            raw_count = insert_all(connection, raw_bulk)
            for spec, bulk in added:
                inserted[spec.table.name] = insert_all(connection, bulk)
        applied = _apply_records(connection, chain_id, records, journal)
        before = read_cursor(connection, chain_id)
        moved = _advance_cursor(connection, batch)
        if journal is not None and moved:
            base = (
                before.last_block_hash
                if before is not None and before.last_block == fetched.from_block - 1
                else None
            )
            record_batch(connection, chain_id, fetched.from_block, fetched.tip, base, journal)
        if final_block is not None:
            prune(connection, chain_id, final_block)
        # the derived tables follow the batch in its own transaction: a reader never sees them
        # behind the cursor (see registry.indexer.derived)
        refreshed = derived.refresh(connection, chain_id)
    return StoreResult(
        blocks=len(blocks),
        raw_events=raw_count,
        cursor_moved=moved,
        inserted=inserted,
        applied=applied,
        refreshed=refreshed,
    )


__all__ = [
    "APPLIERS",
    "INSERT_ONLY",
    "Applier",
    "Cursor",
    "InsertOnly",
    "Rows",
    "StoreResult",
    "Writes",
    "cursor_chain_ids",
    "read_cursor",
    "register_applier",
    "register_insert_only",
    "store_batch",
]
