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
:class:`IndexerError` and nothing is written. Batches not yet final are journaled so the indexer
can roll them back when the chain reorganises (:mod:`registry.indexer.reorg`).

The registration lifecycle (``registration``, ``asset_version``, ``objection``, ``registrar``,
``registrar_account``) is state that events *change*, so it cannot be insert-or-ignored. Its
records are applied only for the raw events this very transaction inserted (a raw event that was
already stored has had its effects applied when it was), one at a time in chain order
``(block, log_index)``, exactly as ``DataAssetRegistry`` applies them. Each changed row records
the position of the last event applied to it; an event at or before that position, an event for
a registration the mirror does not hold, or one the contract could not have emitted in the
row's state (say ``CertificateIssued`` for an application never put on notice) means the mirror
no longer matches the chain: :class:`IndexerError`, and nothing of the batch is written.

Rights over certificates (``transfer``, ``pledge``, ``pledge_event``, ``freeze``,
``freeze_event``, ``licence``, ``transfer_approval``, ``cross_border_record``,
``party_country``) are applied the same way and in the same pass: the records of
``TransferAgent`` and ``LicenceRegistry`` are merged with the registration records into one
sequence in chain order, because they touch the same rows (``CertificateTransferred`` moves
``registration.holder``; a cancellation may follow a pledgee's consent in the same
transaction). The checks mirror the contracts: a transfer moves a certificate from its mirrored
holder, a pledge is registered only while no other pledge of the certificate is live, only a
live pledge is released, enforced or consented on, only a frozen certificate is unfrozen, only an
active licence is terminated, and only by a party to it.

Valuations (``appraiser``, ``valuation``, ``accounting_class``) join the same sequence, because
``ValuationRegistry`` reads the certificate's state: a valuation is submitted only by an
accredited appraiser, of an issued certificate and one of its recorded asset versions; only an
active valuation is withdrawn, and only by its appraiser; only an accredited appraiser is
removed, only one not accredited now is accredited; an accounting class is set only by the
holder of an issued certificate (the mirror's ``registration.holder``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from registry.db.models import (
    accounting_class_table,
    appraiser_table,
    asset_version_table,
    block_table,
    cross_border_record_table,
    cursor_table,
    evidence_table,
    freeze_event_table,
    freeze_table,
    licence_table,
    objection_table,
    party_country_table,
    pledge_event_table,
    pledge_table,
    raw_event_table,
    registrar_account_table,
    registrar_table,
    registration_table,
    row_version_table,
    transfer_approval_table,
    transfer_table,
    valuation_table,
)
from registry.db.rows import encode_row, history_key, primary_key
from registry.domain.chain import BlockHeader, ChainLog
from registry.domain.numbers import certificate_number
from registry.domain.registration import ObjectionStatus, Status
from registry.domain.rights import LicenceStatus, PledgeStatus
from registry.domain.valuation import ValuationStatus
from registry.errors import IndexerError
from registry.indexer.decode import (
    AccountingClassSetRecord,
    ApplicationAcceptedRecord,
    ApplicationRejectedRecord,
    ApplicationResubmittedRecord,
    ApplicationReturnedRecord,
    ApplicationSubmittedRecord,
    AppraiserAccreditedRecord,
    AppraiserRemovedRecord,
    AssetChangedRecord,
    CertificateCancelledRecord,
    CertificateFrozenRecord,
    CertificateIssuedRecord,
    CertificateRenewedRecord,
    CertificateRevokedRecord,
    CertificateTransferredRecord,
    CertificateUnfrozenRecord,
    CrossBorderRecordedRecord,
    DecodedBatch,
    LicenceGrantedRecord,
    LicenceTerminatedRecord,
    NoticeOpenedRecord,
    ObjectionFiledRecord,
    ObjectionRuledRecord,
    PartyCountrySetRecord,
    PledgeConsentGrantedRecord,
    PledgeConsentUsedRecord,
    PledgeEnforcedRecord,
    PledgeRegisteredRecord,
    PledgeReleasedRecord,
    PledgorChangedRecord,
    RegistrarAccountSetRecord,
    RegistrarConfiguredRecord,
    RegistrarRoleRevokedRecord,
    RegistryRecord,
    RightsRecord,
    StandingGrantedRecord,
    TransferApprovedRecord,
    ValuationRecord,
    ValuationSubmittedRecord,
    ValuationWithdrawnRecord,
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


@dataclass(frozen=True)
class StoreResult:
    """How many rows applying a batch actually wrote."""

    blocks: int
    raw_events: int
    evidence: int
    cursor_moved: bool
    registry_events: int = 0
    rights_events: int = 0
    valuation_events: int = 0

    @property
    def rows(self) -> int:
        """All rows written, the cursor included (registry, rights and valuation events count
        once each)."""
        return (
            self.blocks
            + self.raw_events
            + self.evidence
            + self.registry_events
            + self.rights_events
            + self.valuation_events
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


@dataclass(frozen=True)
class _Bulk:
    """Rows of one table as parameter tuples in the order of ``names``.

    The values of the ``encoded`` columns (JSON columns) are already JSON text, so they skip
    the column type's bind processor; every other value still goes through it.
    """

    table: Table
    names: tuple[str, ...]
    values: list[tuple[Any, ...]]
    encoded: frozenset[str] = frozenset()

    def dicts(self) -> list[Row]:
        """The rows as SQLAlchemy takes them (JSON columns decoded back to values)."""
        encoded = [i for i, n in enumerate(self.names) if n in self.encoded]
        rows: list[Row] = []
        for one in self.values:
            row = dict(zip(self.names, one, strict=True))
            for i in encoded:
                row[self.names[i]] = json.loads(one[i])
            rows.append(row)
        return rows


def _copy_into(
    connection: Connection, table: Table, names: Sequence[str], values: list[Any]
) -> None:
    """PostgreSQL's ``COPY ... FROM STDIN`` for ``values`` (psycopg 3), in the connection's
    transaction. A constraint violation is raised as SQLAlchemy's :class:`IntegrityError`."""
    import psycopg

    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    driver = connection.connection.driver_connection
    if driver is None:  # pragma: no cover (an open connection always has one)
        raise IndexerError("the database connection is closed")
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.IntegrityError as exc:
        raise IntegrityError(statement, None, exc) from exc


def _bulk_insert(connection: Connection, bulk: _Bulk) -> None:
    """Write many new rows at once: ``COPY`` on PostgreSQL, the driver's ``executemany``
    elsewhere.

    Each value goes through its column type's bind processor (UTC datetimes) exactly as
    :func:`sqlalchemy.insert` would, but without SQLAlchemy's per-row parameter handling, which
    costs more than the database's own work for large batches; JSON columns arrive as text.
    """
    dialect = connection.dialect
    table, names = bulk.table, list(bulk.names)
    processors = [
        (i, process)
        for i, n in enumerate(names)
        if n not in bulk.encoded
        and (process := table.c[n].type._cached_bind_processor(dialect)) is not None
    ]
    values: list[Any] = bulk.values
    if processors:
        # a processor depends on the value only, and values repeat (every anchor of a block
        # has the block's time): process each distinct value once
        seen: list[dict[Any, Any]] = [{} for _ in processors]
        processed: list[Any] = []
        for one in bulk.values:
            row = list(one)
            for (i, process), known in zip(processors, seen, strict=True):
                value = row[i]
                key = (value.__class__, value)  # 1 == True == 1.0, but not to a processor
                try:
                    row[i] = known[key]
                except KeyError:
                    row[i] = known[key] = process(value)
                except TypeError:  # unhashable
                    row[i] = process(value)
            processed.append(tuple(row))
        values = processed
    if dialect.name == "postgresql":
        _copy_into(connection, table, names, values)
        return
    compiled = insert(table).values({n: bindparam(n) for n in names}).compile(dialect=dialect)
    if not compiled.positional:
        values = [dict(zip(names, one, strict=True)) for one in values]
    elif list(compiled.positiontup or []) != names:
        where = [names.index(n) for n in compiled.positiontup or []]
        values = [tuple(one[i] for i in where) for one in values]
    connection.exec_driver_sql(str(compiled), values)


def _insert_all(connection: Connection, bulk: _Bulk) -> int:
    """Insert rows known to be new (one bulk write); how many."""
    if bulk.values:
        try:
            _bulk_insert(connection, bulk)
        except IntegrityError as exc:
            raise IndexerError(
                f"the mirror already holds a {bulk.table.name} row of a block range it never "
                f"indexed ({exc.orig}); it no longer matches the chain: rebuild it",
                table=bulk.table.name,
            ) from exc
    return len(bulk.values)


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


# --- the registration lifecycle ---------------------------------------------------------------

Row = dict[str, Any]
Position = tuple[int, int]

#: A record about one registration.
RegistrationEvent = (
    ApplicationSubmittedRecord
    | ApplicationAcceptedRecord
    | ApplicationReturnedRecord
    | ApplicationResubmittedRecord
    | ApplicationRejectedRecord
    | NoticeOpenedRecord
    | ObjectionFiledRecord
    | ObjectionRuledRecord
    | StandingGrantedRecord
    | CertificateIssuedRecord
    | AssetChangedRecord
    | CertificateRenewedRecord
    | CertificateCancelledRecord
    | CertificateRevokedRecord
)

#: Where review can return or reject an application.
_REVIEWABLE = frozenset({Status.SUBMITTED, Status.ACCEPTED})

#: Records that only move a registration between statuses: from any of these, to this.
_TRANSITIONS: dict[type, tuple[frozenset[Status], Status]] = {
    ApplicationAcceptedRecord: (frozenset({Status.SUBMITTED}), Status.ACCEPTED),
    ApplicationReturnedRecord: (_REVIEWABLE, Status.RETURNED),
    ApplicationResubmittedRecord: (frozenset({Status.RETURNED}), Status.SUBMITTED),
    NoticeOpenedRecord: (frozenset({Status.ACCEPTED}), Status.IN_NOTICE),
    CertificateCancelledRecord: (frozenset({Status.ISSUED}), Status.CANCELLED),
    CertificateRevokedRecord: (frozenset({Status.ISSUED}), Status.REVOKED),
}


def _event_name(record: object) -> str:
    return type(record).__name__.removesuffix("Record")


def _position(log: ChainLog) -> Position:
    return (log.block_number, log.log_index)


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


class _Rows:
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


def _append(
    connection: Connection, table: Table, rows: Sequence[Row], journal: Journal | None
) -> None:
    """Insert rows of an append-only table (journaled for a rollback)."""
    if rows:
        connection.execute(insert(table), rows)
        if journal is not None:
            journal.inserted(table, rows)


class _Lifecycle:
    """Applies registry records to the mirror, one event at a time, as the contract does."""

    def __init__(self, chain_id: int) -> None:
        self.chain_id = chain_id
        self.registrations = _Rows(registration_table, ("chain_id", "id"))
        self.objections = _Rows(objection_table, ("chain_id", "objection_id"))
        self.registrars = _Rows(registrar_table, ("chain_id", "code"))
        self.accounts = _Rows(registrar_account_table, ("chain_id", "account"))
        self.versions: list[Row] = []

    # --- loading and writing --------------------------------------------------------------

    def load(
        self, connection: Connection, records: Sequence[tuple[ChainLog, RegistryRecord]]
    ) -> None:
        reg_ids: set[int] = set()
        objection_ids: set[int] = set()
        codes: set[int] = set()
        accounts: set[str] = set()
        for _, record in records:
            if isinstance(record, RegistrarConfiguredRecord):
                codes.add(record.code)
            elif isinstance(record, RegistrarAccountSetRecord | RegistrarRoleRevokedRecord):
                accounts.add(record.account)
            else:
                reg_ids.add(record.registration_id)
                if isinstance(record, ObjectionFiledRecord | ObjectionRuledRecord):
                    objection_ids.add(record.objection_id)
        self.registrations.load(connection, self.chain_id, reg_ids)
        self.objections.load(connection, self.chain_id, objection_ids)
        self.registrars.load(connection, self.chain_id, codes)
        self.accounts.load(connection, self.chain_id, accounts)

    def tables(self) -> list[_Rows]:
        return [self.registrars, self.accounts, self.registrations, self.objections]

    def flush(self, connection: Connection, journal: Journal | None) -> None:
        # referenced rows first (tables() lists them so): objections point at their registration
        for rows in self.tables():
            rows.flush(connection, journal)
        _append(connection, asset_version_table, self.versions, journal)

    # --- consistency ----------------------------------------------------------------------

    def _mismatch(self, log: ChainLog, message: str) -> IndexerError:
        return IndexerError(
            f"log {log.log_index} of block {log.block_number} (tx {log.tx_hash}): {message}; "
            "the mirror no longer matches the chain, rebuild it",
            chain_id=self.chain_id,
            block_number=log.block_number,
            log_index=log.log_index,
        )

    def _after(self, log: ChainLog, last: Position, what: str) -> None:
        """Refuse an event that is not later than the last one applied to ``what``."""
        if _position(log) <= last:
            raise self._mismatch(
                log,
                f"{what} already reflects the event at block {last[0]}, log {last[1]}, which is "
                "not before this one (events applied twice or out of order)",
            )

    def _registration(
        self, log: ChainLog, record: RegistrationEvent, allowed: Collection[Status] | None
    ) -> Row:
        """The row ``record`` is about, checked to be in a status its event can leave."""
        reg_id = record.registration_id
        event = _event_name(record)
        row = self.registrations.get(reg_id)
        if row is None:
            raise self._mismatch(
                log, f"{event} refers to registration {reg_id}, which the mirror does not hold"
            )
        if allowed is not None and row["status"] not in allowed:
            raise self._mismatch(
                log,
                f"{event} cannot happen to registration {reg_id} while it is "
                f"{row['status']} (the mirror's state)",
            )
        return row

    def _touch(self, log: ChainLog, row: Row) -> None:
        self._after(log, (row["last_block"], row["last_log_index"]), f"registration {row['id']}")
        row["last_block"], row["last_log_index"] = _position(log)
        self.registrations.touch(row["id"])

    # --- applying -------------------------------------------------------------------------

    def apply(self, log: ChainLog, record: RegistryRecord) -> None:
        """Apply one record (``log`` is where it was emitted)."""
        if isinstance(record, RegistrarConfiguredRecord):
            self._registrar(log, record)
        elif isinstance(record, RegistrarAccountSetRecord):
            self._account(log, record.account, record.code, record.enabled)
        elif isinstance(record, RegistrarRoleRevokedRecord):
            account = self.accounts.get(record.account)
            if account is not None:
                self._account(log, record.account, int(account["code"]), False)
        elif isinstance(record, ApplicationSubmittedRecord):
            self._submitted(log, record)
        elif isinstance(record, ApplicationRejectedRecord):
            self._rejected(log, record)
        elif isinstance(record, ObjectionFiledRecord):
            self._filed(log, record)
        elif isinstance(record, ObjectionRuledRecord):
            self._ruled(log, record)
        elif isinstance(record, StandingGrantedRecord):
            # changes nothing the mirror keeps; only check the contract could have emitted it
            self._registration(log, record, {Status.ACCEPTED, Status.IN_NOTICE})
        elif isinstance(record, CertificateIssuedRecord):
            self._issued(log, record)
        elif isinstance(record, AssetChangedRecord):
            self._changed(log, record)
        elif isinstance(record, CertificateRenewedRecord):
            row = self._registration(log, record, {Status.ISSUED})
            self._touch(log, row)
            row["valid_until"] = record.valid_until
            row["source_agreement_end"] = record.source_agreement_end
        else:
            self._transition(log, record)

    def _transition(
        self,
        log: ChainLog,
        record: ApplicationAcceptedRecord
        | ApplicationReturnedRecord
        | ApplicationResubmittedRecord
        | NoticeOpenedRecord
        | CertificateCancelledRecord
        | CertificateRevokedRecord,
    ) -> None:
        allowed, status = _TRANSITIONS[type(record)]
        row = self._registration(log, record, allowed)
        self._touch(log, row)
        row["status"] = status.value
        if isinstance(record, ApplicationResubmittedRecord):
            row["fingerprint"] = record.fingerprint
            row["metadata_hash"] = record.metadata_hash
        elif isinstance(record, NoticeOpenedRecord):
            row["notice_start"] = record.notice_start
            row["notice_end"] = record.notice_end

    def _registrar(self, log: ChainLog, record: RegistrarConfiguredRecord) -> None:
        row = self.registrars.get(record.code)
        values = {
            "active": record.active,
            "objections_open_to_all": record.objections_open_to_all,
            "evidence_required": record.evidence_required,
            "notice_period": record.notice_period,
            "updated_block": log.block_number,
            "updated_log_index": log.log_index,
        }
        if row is None:
            self.registrars.add(
                record.code, {"chain_id": self.chain_id, "code": record.code, **values}
            )
            return
        self._after(
            log, (row["updated_block"], row["updated_log_index"]), f"registrar {record.code}"
        )
        row.update(values)
        self.registrars.touch(record.code)

    def _account(self, log: ChainLog, account: str, code: int, enabled: bool) -> None:
        row = self.accounts.get(account)
        values = {
            "code": code,
            "enabled": enabled,
            "updated_block": log.block_number,
            "updated_log_index": log.log_index,
        }
        if row is None:
            self.accounts.add(account, {"chain_id": self.chain_id, "account": account, **values})
            return
        self._after(
            log, (row["updated_block"], row["updated_log_index"]), f"registrar account {account}"
        )
        row.update(values)
        self.accounts.touch(account)

    def _submitted(self, log: ChainLog, record: ApplicationSubmittedRecord) -> None:
        reg_id = record.registration_id
        if self.registrations.get(reg_id) is not None:
            raise self._mismatch(log, f"registration {reg_id} is submitted a second time")
        self.registrations.add(
            reg_id,
            {
                "chain_id": self.chain_id,
                "id": reg_id,
                "registration_number": record.registration_number,
                "holder": record.applicant,
                "registrar_code": record.registrar_code,
                "kind": record.kind.value,
                "rights": record.rights,
                "level": record.level.value,
                "data_source": record.data_source,
                "applicant_type": record.applicant_type,
                "source_agreement_end": record.source_agreement_end,
                "fingerprint": record.fingerprint,
                "metadata_hash": record.metadata_hash,
                "parents": list(record.parents),
                "relayer": record.relayer,
                "status": Status.SUBMITTED.value,
                "submitted_at": record.submitted_at,
                "notice_start": None,
                "notice_end": None,
                "issued_at": None,
                "valid_until": None,
                "certificate_number": None,
                "version": 0,
                "open_objections": 0,
                "submitted_block": log.block_number,
                "submitted_log_index": log.log_index,
                "submitted_tx_hash": log.tx_hash,
                "last_block": log.block_number,
                "last_log_index": log.log_index,
            },
        )

    def _rejected(self, log: ChainLog, record: ApplicationRejectedRecord) -> None:
        row = self._registration(log, record, None)
        # ruleObjection(upheld) on an application in notice emits ObjectionRuled and then, as the
        # very next log, ApplicationRejected; the ruling already rejected it here
        echo = row["status"] == Status.REJECTED and (
            row["last_block"],
            row["last_log_index"],
        ) == (log.block_number, log.log_index - 1)
        if not echo and row["status"] not in _REVIEWABLE:
            raise self._mismatch(
                log,
                f"ApplicationRejected cannot happen to registration {row['id']} while it is "
                f"{row['status']} (the mirror's state)",
            )
        self._touch(log, row)
        row["status"] = Status.REJECTED.value

    def _filed(self, log: ChainLog, record: ObjectionFiledRecord) -> None:
        row = self._registration(log, record, {Status.IN_NOTICE})
        if self.objections.get(record.objection_id) is not None:
            raise self._mismatch(log, f"objection {record.objection_id} is filed a second time")
        self._touch(log, row)
        row["open_objections"] += 1
        self.objections.add(
            record.objection_id,
            {
                "chain_id": self.chain_id,
                "objection_id": record.objection_id,
                "registration_id": record.registration_id,
                "objector": record.objector,
                "evidence_hash": record.evidence_hash,
                "status": ObjectionStatus.OPEN.value,
                "filed_at": record.filed_at,
                "filed_tx_hash": log.tx_hash,
                "filed_block": log.block_number,
                "filed_log_index": log.log_index,
                "ruled_at": None,
                "ruling_reason_hash": None,
                "ruled_by": None,
                "ruled_block": None,
                "ruled_log_index": None,
            },
        )

    def _ruled(self, log: ChainLog, record: ObjectionRuledRecord) -> None:
        objection = self.objections.get(record.objection_id)
        if objection is None or objection["status"] != ObjectionStatus.OPEN:
            state = "unknown" if objection is None else objection["status"]
            raise self._mismatch(
                log, f"ObjectionRuled rules on objection {record.objection_id}, which is {state}"
            )
        if objection["registration_id"] != record.registration_id:
            raise self._mismatch(
                log,
                f"objection {record.objection_id} concerns registration "
                f"{objection['registration_id']}, not {record.registration_id}",
            )
        row = self._registration(log, record, None)
        if row["open_objections"] < 1:
            raise self._mismatch(log, f"registration {row['id']} has no open objection to rule on")
        self._touch(log, row)
        row["open_objections"] -= 1
        if record.upheld and row["status"] == Status.IN_NOTICE:
            row["status"] = Status.REJECTED.value
        objection.update(
            status=(ObjectionStatus.UPHELD if record.upheld else ObjectionStatus.DISMISSED).value,
            ruled_at=record.ruled_at,
            ruling_reason_hash=record.reason_hash,
            ruled_by=record.registrar,
            ruled_block=log.block_number,
            ruled_log_index=log.log_index,
        )
        self.objections.touch(record.objection_id)

    def _issued(self, log: ChainLog, record: CertificateIssuedRecord) -> None:
        reg_id = record.registration_id
        row = self._registration(log, record, {Status.IN_NOTICE})
        if row["open_objections"] != 0:
            raise self._mismatch(
                log,
                f"registration {reg_id} is issued with {row['open_objections']} open objections",
            )
        if record.holder != row["holder"]:
            raise self._mismatch(
                log,
                f"registration {reg_id} is issued to {record.holder}, not to its holder "
                f"{row['holder']}",
            )
        if (record.fingerprint, record.metadata_hash) != (row["fingerprint"], row["metadata_hash"]):
            raise self._mismatch(
                log, f"registration {reg_id} is issued with content other than its application's"
            )
        expected = certificate_number(
            int(record.issued_at.timestamp()), row["registrar_code"], reg_id
        )
        if record.certificate_number != expected:
            raise self._mismatch(
                log,
                f"certificate number {record.certificate_number} of registration {reg_id} is not "
                f"the {expected} its issue time and registrar give",
            )
        self._touch(log, row)
        row.update(
            status=Status.ISSUED.value,
            issued_at=record.issued_at,
            valid_until=record.valid_until,
            certificate_number=record.certificate_number,
            version=1,
        )
        self._version(log, row, record.holder, correction=False, changed_at=record.issued_at)

    def _changed(self, log: ChainLog, record: AssetChangedRecord) -> None:
        row = self._registration(log, record, {Status.ISSUED})
        if record.version != row["version"] + 1:
            raise self._mismatch(
                log,
                f"AssetChanged records version {record.version} of registration {row['id']}, "
                f"which is at version {row['version']}",
            )
        self._touch(log, row)
        row.update(
            fingerprint=record.fingerprint,
            metadata_hash=record.metadata_hash,
            version=record.version,
        )
        self._version(
            log, row, record.by, correction=record.correction, changed_at=record.changed_at
        )

    def _version(
        self, log: ChainLog, row: Row, by: str, *, correction: bool, changed_at: datetime
    ) -> None:
        self.versions.append(
            {
                "chain_id": self.chain_id,
                "registration_id": row["id"],
                "version": row["version"],
                "fingerprint": row["fingerprint"],
                "metadata_hash": row["metadata_hash"],
                "correction": correction,
                "changed_by": by,
                "block_number": log.block_number,
                "log_index": log.log_index,
                "tx_hash": log.tx_hash,
                "changed_at": changed_at,
            }
        )


# --- rights: transfers, pledges, freezes, approvals, licences ----------------------------------

#: ``pledge_event.kind`` of each pledge record.
_PLEDGE_EVENT_KINDS: dict[type, str] = {
    PledgeRegisteredRecord: "registered",
    PledgeReleasedRecord: "released",
    PledgeEnforcedRecord: "enforced",
    PledgeConsentGrantedRecord: "consent_granted",
    PledgeConsentUsedRecord: "consent_used",
    PledgorChangedRecord: "pledgor_changed",
}

#: A record about one existing pledge.
PledgeChange = (
    PledgeReleasedRecord
    | PledgeEnforcedRecord
    | PledgeConsentGrantedRecord
    | PledgeConsentUsedRecord
    | PledgorChangedRecord
)


class _Module:
    """What the rights and valuation appliers share: the lifecycle they read certificates from,
    and the checks and position bookkeeping of the rows they change."""

    def __init__(self, lifecycle: _Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.chain_id = lifecycle.chain_id

    def _mismatch(self, log: ChainLog, message: str) -> IndexerError:
        return self.lifecycle._mismatch(log, message)

    def _certificate(self, log: ChainLog, token_id: int, event: str) -> Row:
        """The registration of ``token_id``, which must be an issued certificate."""
        row = self.lifecycle.registrations.get(token_id)
        if row is None:
            raise self._mismatch(
                log, f"{event} refers to certificate {token_id}, which the mirror does not hold"
            )
        if row["status"] != Status.ISSUED:
            raise self._mismatch(
                log,
                f"{event} cannot happen to registration {token_id} while it is {row['status']} "
                "(the mirror's state)",
            )
        return row

    def _touch(self, rows: _Rows, log: ChainLog, row: Row, what: str) -> None:
        self.lifecycle._after(log, (row["last_block"], row["last_log_index"]), what)
        row["last_block"], row["last_log_index"] = _position(log)
        rows.touch(rows.key_of(row))


class _Rights(_Module):
    """Applies the records of TransferAgent and LicenceRegistry, one event at a time, beside
    the registration lifecycle (whose rows it shares: a transfer moves ``registration.holder``).
    """

    def __init__(self, lifecycle: _Lifecycle) -> None:
        super().__init__(lifecycle)
        self.pledges = _Rows(pledge_table, ("chain_id", "id"))
        self.freezes = _Rows(freeze_table, ("chain_id", "token_id"))
        self.licences = _Rows(licence_table, ("chain_id", "id"))
        self.approvals = _Rows(transfer_approval_table, ("chain_id", "token_id", "recipient"))
        self.cross_border = _Rows(cross_border_record_table, ("chain_id", "token_id", "recipient"))
        self.countries = _Rows(party_country_table, ("chain_id", "party"))
        self.transfers: list[Row] = []
        self.pledge_events: list[Row] = []
        self.freeze_events: list[Row] = []

    # --- loading and writing --------------------------------------------------------------

    def load(
        self, connection: Connection, records: Sequence[tuple[ChainLog, RightsRecord]]
    ) -> None:
        tokens: set[int] = set()
        pledging: set[int] = set()
        pledge_ids: set[int] = set()
        frozen: set[int] = set()
        licence_ids: set[int] = set()
        approvals: set[tuple[int, str]] = set()
        cross_border: set[tuple[int, str]] = set()
        parties: set[str] = set()
        for _, record in records:
            if isinstance(record, CertificateTransferredRecord | CertificateFrozenRecord):
                tokens.add(record.token_id)
            if isinstance(record, PledgeRegisteredRecord):
                tokens.add(record.token_id)
                pledging.add(record.token_id)
            if isinstance(record, PledgeRegisteredRecord | PledgeChange):
                pledge_ids.add(record.pledge_id)
            elif isinstance(record, CertificateFrozenRecord | CertificateUnfrozenRecord):
                frozen.add(record.token_id)
            elif isinstance(record, LicenceGrantedRecord):
                tokens.add(record.token_id)
                licence_ids.add(record.licence_id)
                if record.parent_id is not None:
                    licence_ids.add(record.parent_id)
            elif isinstance(record, LicenceTerminatedRecord):
                licence_ids.add(record.licence_id)
            elif isinstance(record, TransferApprovedRecord):
                approvals.add((record.token_id, record.to))
            elif isinstance(record, CrossBorderRecordedRecord):
                cross_border.add((record.token_id, record.recipient))
            elif isinstance(record, PartyCountrySetRecord):
                parties.add(record.party)
        self.lifecycle.registrations.load(connection, self.chain_id, tokens)
        self.pledges.load(connection, self.chain_id, pledge_ids)
        if pledging:  # the live pledges of certificates pledged again, to refuse a second one
            t = pledge_table
            self.pledges.load_where(
                connection,
                t.c.chain_id == self.chain_id,
                t.c.token_id.in_(sorted(pledging)),
                t.c.status == PledgeStatus.LIVE.value,
            )
        self.freezes.load(connection, self.chain_id, frozen)
        self.licences.load(connection, self.chain_id, licence_ids)
        self.approvals.load(connection, self.chain_id, approvals)
        self.cross_border.load(connection, self.chain_id, cross_border)
        self.countries.load(connection, self.chain_id, parties)

    def tables(self) -> list[_Rows]:
        return [
            self.pledges,
            self.freezes,
            self.licences,
            self.approvals,
            self.cross_border,
            self.countries,
        ]

    def flush(self, connection: Connection, journal: Journal | None) -> None:
        # after the registration lifecycle: these rows point at registrations
        for rows in self.tables():
            rows.flush(connection, journal)
        for table, appended in (
            (transfer_table, self.transfers),
            (pledge_event_table, self.pledge_events),
            (freeze_event_table, self.freeze_events),
        ):
            _append(connection, table, appended, journal)

    # --- helpers --------------------------------------------------------------------------

    def _pledge(self, log: ChainLog, record: PledgeChange) -> Row:
        """The live pledge ``record`` is about."""
        event = _event_name(record)
        row = self.pledges.get(record.pledge_id)
        if row is None or row["status"] != PledgeStatus.LIVE:
            state = "unknown" if row is None else row["status"]
            raise self._mismatch(
                log, f"{event} refers to pledge {record.pledge_id}, which is {state}"
            )
        if row["token_id"] != record.token_id:
            raise self._mismatch(
                log,
                f"{event} names certificate {record.token_id} for pledge {record.pledge_id} of "
                f"certificate {row['token_id']}",
            )
        return row

    def _upsert(self, rows: _Rows, log: ChainLog, row: Row, what: str) -> None:
        """Insert or replace a row kept as last set (``updated_*``)."""
        row = {**row, "updated_block": log.block_number, "updated_log_index": log.log_index}
        key = rows.key_of(row)
        stored = rows.get(key)
        if stored is None:
            rows.add(key, row)
            return
        self.lifecycle._after(log, (stored["updated_block"], stored["updated_log_index"]), what)
        stored.update(row)
        rows.touch(key)

    def _pledge_event(
        self,
        log: ChainLog,
        record: PledgeRegisteredRecord | PledgeChange,
        party: str,
        at: datetime,
        action: str | None = None,
    ) -> None:
        self.pledge_events.append(
            {
                "chain_id": self.chain_id,
                "block_number": log.block_number,
                "log_index": log.log_index,
                "pledge_id": record.pledge_id,
                "token_id": record.token_id,
                "kind": _PLEDGE_EVENT_KINDS[type(record)],
                "action": action,
                "party": party,
                "tx_hash": log.tx_hash,
                "at": at,
            }
        )

    # --- applying -------------------------------------------------------------------------

    def apply(self, log: ChainLog, record: RightsRecord) -> None:
        """Apply one record (``log`` is where it was emitted)."""
        if isinstance(record, CertificateTransferredRecord):
            self._transferred(log, record)
        elif isinstance(record, PledgeRegisteredRecord):
            self._pledge_registered(log, record)
        elif isinstance(record, PledgeChange):
            self._pledge_changed(log, record)
        elif isinstance(record, CertificateFrozenRecord | CertificateUnfrozenRecord):
            self._freeze(log, record)
        elif isinstance(record, LicenceGrantedRecord):
            self._licence_granted(log, record)
        elif isinstance(record, LicenceTerminatedRecord):
            self._licence_terminated(log, record)
        elif isinstance(record, TransferApprovedRecord):
            self._upsert(
                self.approvals,
                log,
                {
                    "chain_id": self.chain_id,
                    "token_id": record.token_id,
                    "recipient": record.to,
                    "expiry": record.expiry,
                    "regulator": record.regulator,
                },
                f"the approval of certificate {record.token_id} to {record.to}",
            )
        elif isinstance(record, CrossBorderRecordedRecord):
            self._upsert(
                self.cross_border,
                log,
                {
                    "chain_id": self.chain_id,
                    "token_id": record.token_id,
                    "recipient": record.recipient,
                    "mechanism": record.mechanism.value,
                    "expiry": record.expiry,
                    "country": record.country,
                    "approval_number_hash": record.approval_number_hash,
                    "regulator": record.regulator,
                },
                f"the cross-border record of certificate {record.token_id} to {record.recipient}",
            )
        else:
            self._upsert(
                self.countries,
                log,
                {
                    "chain_id": self.chain_id,
                    "party": record.party,
                    "country": record.country,
                    "regulator": record.regulator,
                },
                f"the country of {record.party}",
            )

    def _transferred(self, log: ChainLog, record: CertificateTransferredRecord) -> None:
        row = self._certificate(log, record.token_id, "CertificateTransferred")
        if row["holder"] != record.from_:
            raise self._mismatch(
                log,
                f"certificate {record.token_id} moves from {record.from_}, but its holder is "
                f"{row['holder']} (the mirror's state)",
            )
        self.lifecycle._touch(log, row)
        row["holder"] = record.to
        self.transfers.append(
            {
                "chain_id": self.chain_id,
                "block_number": log.block_number,
                "log_index": log.log_index,
                "token_id": record.token_id,
                "from_address": record.from_,
                "to_address": record.to,
                "reason": record.reason.value,
                "document_hash": record.document_hash,
                "tx_hash": log.tx_hash,
                "transferred_at": record.transferred_at,
            }
        )

    def _pledge_registered(self, log: ChainLog, record: PledgeRegisteredRecord) -> None:
        row = self._certificate(log, record.token_id, "PledgeRegistered")
        if row["holder"] != record.pledgor:
            raise self._mismatch(
                log,
                f"pledge {record.pledge_id} is given by {record.pledgor}, but certificate "
                f"{record.token_id} is held by {row['holder']} (the mirror's state)",
            )
        if self.pledges.get(record.pledge_id) is not None:
            raise self._mismatch(log, f"pledge {record.pledge_id} is registered a second time")
        live = [
            p["id"]
            for p in self.pledges.rows.values()
            if p["token_id"] == record.token_id and p["status"] == PledgeStatus.LIVE
        ]
        if live:
            raise self._mismatch(
                log,
                f"pledge {record.pledge_id} is registered on certificate {record.token_id}, "
                f"which is already pledged (pledge {live[0]})",
            )
        self.pledges.add(
            record.pledge_id,
            {
                "chain_id": self.chain_id,
                "id": record.pledge_id,
                "token_id": record.token_id,
                "pledgor": record.pledgor,
                "pledgee": record.pledgee,
                "secured_amount": str(record.secured_amount),
                "currency": record.currency,
                "loan_ref": record.loan_ref,
                "registered_at": record.registered_at,
                "maturity": record.maturity,
                "status": PledgeStatus.LIVE.value,
                "relayer": record.relayer,
                "registered_block": log.block_number,
                "registered_log_index": log.log_index,
                "registered_tx_hash": log.tx_hash,
                "closed_at": None,
                "enforced_to": None,
                "last_block": log.block_number,
                "last_log_index": log.log_index,
            },
        )
        self._pledge_event(log, record, record.pledgor, record.registered_at)

    def _pledge_changed(self, log: ChainLog, record: PledgeChange) -> None:
        row = self._pledge(log, record)
        what = f"pledge {record.pledge_id}"
        if isinstance(record, PledgeReleasedRecord | PledgeEnforcedRecord):
            if record.pledgee != row["pledgee"]:
                raise self._mismatch(
                    log, f"{record.pledgee} closes {what}, whose pledgee is {row['pledgee']}"
                )
            self._touch(self.pledges, log, row, what)
            if isinstance(record, PledgeReleasedRecord):
                row.update(status=PledgeStatus.RELEASED.value, closed_at=record.released_at)
                self._pledge_event(log, record, record.pledgee, record.released_at)
            else:
                row.update(
                    status=PledgeStatus.ENFORCED.value,
                    closed_at=record.enforced_at,
                    enforced_to=record.to,
                )
                self._pledge_event(log, record, record.to, record.enforced_at)
        elif isinstance(record, PledgorChangedRecord):
            self._touch(self.pledges, log, row, what)
            row["pledgor"] = record.pledgor
            self._pledge_event(log, record, record.pledgor, record.at)
        else:  # consents change nothing the pledge row keeps; the history records them
            self._pledge_event(log, record, record.counterparty, record.at, record.action.value)

    def _freeze(
        self, log: ChainLog, record: CertificateFrozenRecord | CertificateUnfrozenRecord
    ) -> None:
        freezing = isinstance(record, CertificateFrozenRecord)
        row = self.freezes.get(record.token_id)
        what = f"the freeze of certificate {record.token_id}"
        if freezing:
            if self.lifecycle.registrations.get(record.token_id) is None:
                raise self._mismatch(
                    log,
                    f"CertificateFrozen refers to certificate {record.token_id}, which the "
                    "mirror does not hold",
                )
            if row is not None and row["frozen"]:
                raise self._mismatch(log, f"certificate {record.token_id} is frozen twice")
        elif row is None or not row["frozen"]:
            raise self._mismatch(
                log, f"certificate {record.token_id} is unfrozen, but it is not frozen"
            )
        values = {
            "frozen": freezing,
            "since": record.at if freezing else None,
            "frozen_by": record.regulator if freezing else None,
            "case_ref": record.case_ref if freezing else None,
        }
        if row is None:
            self.freezes.add(
                record.token_id,
                {
                    "chain_id": self.chain_id,
                    "token_id": record.token_id,
                    **values,
                    "last_block": log.block_number,
                    "last_log_index": log.log_index,
                },
            )
        else:
            self._touch(self.freezes, log, row, what)
            row.update(values)
        self.freeze_events.append(
            {
                "chain_id": self.chain_id,
                "block_number": log.block_number,
                "log_index": log.log_index,
                "token_id": record.token_id,
                "frozen": freezing,
                "regulator": record.regulator,
                "case_ref": record.case_ref,
                "tx_hash": log.tx_hash,
                "at": record.at,
            }
        )

    def _licence_granted(self, log: ChainLog, record: LicenceGrantedRecord) -> None:
        self._certificate(log, record.token_id, "LicenceGranted")
        if self.licences.get(record.licence_id) is not None:
            raise self._mismatch(log, f"licence {record.licence_id} is granted a second time")
        if record.parent_id is not None:
            parent = self.licences.get(record.parent_id)
            if parent is None or parent["token_id"] != record.token_id:
                raise self._mismatch(
                    log,
                    f"sublicence {record.licence_id} of certificate {record.token_id} names "
                    f"parent {record.parent_id}, which the mirror does not hold for it",
                )
        self.licences.add(
            record.licence_id,
            {
                "chain_id": self.chain_id,
                "id": record.licence_id,
                "voucher_number": record.voucher_number,
                "token_id": record.token_id,
                "parent_id": record.parent_id,
                "licensor": record.licensor,
                "licensee": record.licensee,
                "right": record.right.value,
                "exclusive": record.exclusive,
                "sublicensable": record.sublicensable,
                "purposes": str(record.purposes),
                "territories": str(record.territories),
                "granted_at": record.granted_at,
                "start": record.start,
                "end": record.end,
                "status": LicenceStatus.ACTIVE.value,
                "terms_hash": record.terms_hash,
                "fee_terms_hash": record.fee_terms_hash,
                "relayer": record.relayer,
                "granted_block": log.block_number,
                "granted_log_index": log.log_index,
                "granted_tx_hash": log.tx_hash,
                "terminated_at": None,
                "terminated_by": None,
                "termination_reason_hash": None,
                "last_block": log.block_number,
                "last_log_index": log.log_index,
            },
        )

    def _licence_terminated(self, log: ChainLog, record: LicenceTerminatedRecord) -> None:
        row = self.licences.get(record.licence_id)
        if row is None or row["status"] != LicenceStatus.ACTIVE:
            state = "unknown" if row is None else row["status"]
            raise self._mismatch(
                log, f"LicenceTerminated ends licence {record.licence_id}, which is {state}"
            )
        if record.by not in (row["licensor"], row["licensee"]):
            raise self._mismatch(
                log, f"{record.by} terminates licence {record.licence_id} without being a party"
            )
        self._touch(self.licences, log, row, f"licence {record.licence_id}")
        row.update(
            status=LicenceStatus.TERMINATED.value,
            terminated_at=record.terminated_at,
            terminated_by=record.by,
            termination_reason_hash=record.reason_hash,
        )


# --- valuations: appraisers, valuations, accounting classes ------------------------------------


class _Valuations(_Module):
    """Applies the records of ValuationRegistry, one event at a time, beside the registration
    lifecycle (whose rows it reads: a certificate's status, version and holder)."""

    def __init__(self, lifecycle: _Lifecycle) -> None:
        super().__init__(lifecycle)
        self.appraisers = _Rows(appraiser_table, ("chain_id", "address"))
        self.valuations = _Rows(valuation_table, ("chain_id", "id"))
        self.classes = _Rows(accounting_class_table, ("chain_id", "token_id"))

    # --- loading and writing --------------------------------------------------------------

    def load(
        self, connection: Connection, records: Sequence[tuple[ChainLog, ValuationRecord]]
    ) -> None:
        tokens: set[int] = set()
        appraisers: set[str] = set()
        valuation_ids: set[int] = set()
        classes: set[int] = set()
        for _, record in records:
            if isinstance(record, AppraiserAccreditedRecord | AppraiserRemovedRecord):
                appraisers.add(record.appraiser)
            elif isinstance(record, ValuationSubmittedRecord | ValuationWithdrawnRecord):
                valuation_ids.add(record.valuation_id)
                if isinstance(record, ValuationSubmittedRecord):
                    tokens.add(record.token_id)
                    appraisers.add(record.appraiser)
            else:
                tokens.add(record.token_id)
                classes.add(record.token_id)
        self.lifecycle.registrations.load(connection, self.chain_id, tokens)
        self.appraisers.load(connection, self.chain_id, appraisers)
        self.valuations.load(connection, self.chain_id, valuation_ids)
        self.classes.load(connection, self.chain_id, classes)

    def tables(self) -> list[_Rows]:
        return [self.appraisers, self.valuations, self.classes]

    def flush(self, connection: Connection, journal: Journal | None) -> None:
        # after the registration lifecycle: valuations and classes point at registrations
        for rows in self.tables():
            rows.flush(connection, journal)

    # --- helpers --------------------------------------------------------------------------

    # --- applying -------------------------------------------------------------------------

    def apply(self, log: ChainLog, record: ValuationRecord) -> None:
        """Apply one record (``log`` is where it was emitted)."""
        if isinstance(record, AppraiserAccreditedRecord):
            self._accredited(log, record)
        elif isinstance(record, AppraiserRemovedRecord):
            self._removed(log, record)
        elif isinstance(record, ValuationSubmittedRecord):
            self._submitted(log, record)
        elif isinstance(record, ValuationWithdrawnRecord):
            self._withdrawn(log, record)
        else:
            self._accounting_class(log, record)

    def _accredited(self, log: ChainLog, record: AppraiserAccreditedRecord) -> None:
        row = self.appraisers.get(record.appraiser)
        values = {
            "accredited": True,
            "accredited_at": record.at,
            "accreditation_hash": record.accreditation_hash,
            "accredited_by": record.by,
            "removed_at": None,
            "removed_by": None,
            "removal_reason_hash": None,
        }
        if row is None:
            self.appraisers.add(
                record.appraiser,
                {
                    "chain_id": self.chain_id,
                    "address": record.appraiser,
                    **values,
                    "last_block": log.block_number,
                    "last_log_index": log.log_index,
                },
            )
            return
        if row["accredited"]:
            raise self._mismatch(log, f"appraiser {record.appraiser} is accredited twice")
        self._touch(self.appraisers, log, row, f"appraiser {record.appraiser}")
        row.update(values)

    def _removed(self, log: ChainLog, record: AppraiserRemovedRecord) -> None:
        row = self.appraisers.get(record.appraiser)
        if row is None or not row["accredited"]:
            raise self._mismatch(
                log, f"appraiser {record.appraiser} is removed, but it is not accredited"
            )
        self._touch(self.appraisers, log, row, f"appraiser {record.appraiser}")
        row.update(
            accredited=False,
            removed_at=record.at,
            removed_by=record.by,
            removal_reason_hash=record.reason_hash,
        )

    def _submitted(self, log: ChainLog, record: ValuationSubmittedRecord) -> None:
        certificate = self._certificate(log, record.token_id, "ValuationSubmitted")
        if self.valuations.get(record.valuation_id) is not None:
            raise self._mismatch(log, f"valuation {record.valuation_id} is submitted a second time")
        appraiser = self.appraisers.get(record.appraiser)
        if appraiser is None or not appraiser["accredited"]:
            raise self._mismatch(
                log,
                f"valuation {record.valuation_id} is submitted by {record.appraiser}, which is "
                "not an accredited appraiser (the mirror's state)",
            )
        if not 1 <= record.asset_version <= certificate["version"]:
            raise self._mismatch(
                log,
                f"valuation {record.valuation_id} values version {record.asset_version} of "
                f"certificate {record.token_id}, which is at version {certificate['version']}",
            )
        self.valuations.add(
            record.valuation_id,
            {
                "chain_id": self.chain_id,
                "id": record.valuation_id,
                "token_id": record.token_id,
                "appraiser": record.appraiser,
                "asset_version": record.asset_version,
                "value": str(record.value),
                "currency": record.currency,
                "method": record.method.value,
                "value_type": record.value_type.value,
                "purpose": record.purpose.value,
                "base_date": record.base_date,
                "submitted_at": record.submitted_at,
                "report_hash": record.report_hash,
                "facts_hash": record.facts_hash,
                "report_uri": record.report_uri,
                "status": ValuationStatus.ACTIVE.value,
                "withdrawn_at": None,
                "withdraw_reason_hash": None,
                "submitted_block": log.block_number,
                "submitted_log_index": log.log_index,
                "submitted_tx_hash": log.tx_hash,
                "last_block": log.block_number,
                "last_log_index": log.log_index,
            },
        )

    def _withdrawn(self, log: ChainLog, record: ValuationWithdrawnRecord) -> None:
        row = self.valuations.get(record.valuation_id)
        if row is None or row["status"] != ValuationStatus.ACTIVE:
            state = "unknown" if row is None else row["status"]
            raise self._mismatch(
                log, f"ValuationWithdrawn ends valuation {record.valuation_id}, which is {state}"
            )
        if (row["token_id"], row["appraiser"]) != (record.token_id, record.appraiser):
            raise self._mismatch(
                log,
                f"ValuationWithdrawn names certificate {record.token_id} and appraiser "
                f"{record.appraiser} for valuation {record.valuation_id} of certificate "
                f"{row['token_id']} by {row['appraiser']}",
            )
        self._touch(self.valuations, log, row, f"valuation {record.valuation_id}")
        row.update(
            status=ValuationStatus.WITHDRAWN.value,
            withdrawn_at=record.withdrawn_at,
            withdraw_reason_hash=record.reason_hash,
        )

    def _accounting_class(self, log: ChainLog, record: AccountingClassSetRecord) -> None:
        certificate = self._certificate(log, record.token_id, "AccountingClassSet")
        if certificate["holder"] != record.holder:
            raise self._mismatch(
                log,
                f"{record.holder} sets the accounting class of certificate {record.token_id}, "
                f"which is held by {certificate['holder']} (the mirror's state)",
            )
        values = {
            "accounting_class": record.accounting_class.value,
            "holder": record.holder,
            "set_at": record.set_at,
        }
        row = self.classes.get(record.token_id)
        if row is None:
            self.classes.add(
                record.token_id,
                {
                    "chain_id": self.chain_id,
                    "token_id": record.token_id,
                    **values,
                    "last_block": log.block_number,
                    "last_log_index": log.log_index,
                },
            )
            return
        self._touch(
            self.classes, log, row, f"the accounting class of certificate {record.token_id}"
        )
        row.update(values)


def _apply_records(
    connection: Connection,
    chain_id: int,
    registry: Sequence[tuple[ChainLog, RegistryRecord]],
    rights: Sequence[tuple[ChainLog, RightsRecord]],
    valuation: Sequence[tuple[ChainLog, ValuationRecord]] = (),
    journal: Journal | None = None,
) -> tuple[int, int, int]:
    """Apply the registry, rights and valuation records (new events only) together, in chain
    order; how many of each were applied."""
    if not registry and not rights and not valuation:
        return 0, 0, 0
    lifecycle = _Lifecycle(chain_id)
    lifecycle.load(connection, registry)
    holdings = _Rights(lifecycle)
    holdings.load(connection, rights)
    valuations = _Valuations(lifecycle)
    valuations.load(connection, valuation)
    # one sequence in chain order: (position, which list, index in it)
    steps = sorted(
        [(_position(log), 0, i) for i, (log, _) in enumerate(registry)]
        + [(_position(log), 1, i) for i, (log, _) in enumerate(rights)]
        + [(_position(log), 2, i) for i, (log, _) in enumerate(valuation)]
    )
    tracked = lifecycle.tables() + holdings.tables() + valuations.tables()
    versions: list[Row] = []
    for _, source, index in steps:
        if source == 0:
            log = registry[index][0]
            lifecycle.apply(*registry[index])
        elif source == 1:
            log = rights[index][0]
            holdings.apply(*rights[index])
        else:
            log = valuation[index][0]
            valuations.apply(*valuation[index])
        for rows in tracked:  # the state after this event, for answers "as of" a block
            versions.extend(rows.versions(chain_id, log))
    lifecycle.flush(connection, journal)
    holdings.flush(connection, journal)
    valuations.flush(connection, journal)
    if versions:
        connection.execute(insert(row_version_table), versions)
    return len(registry), len(rights), len(valuation)


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


def _key(chain_id: int, log: ChainLog) -> tuple[int, int, int]:
    return (chain_id, log.block_number, log.log_index)


def store_batch(
    engine: Engine, batch: DecodedBatch, *, final_block: int | None = None
) -> StoreResult:
    """Write ``batch`` (headers, raw events, records, cursor) in one transaction.

    With ``final_block`` (the newest block taken as final: ``head - reorg_window``) a batch
    ending above it is journaled so it can be rolled back (:mod:`.reorg`), and the journal of
    batches now final is pruned.
    """
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
    raw_bulk = _Bulk(
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
    evidence_bulk = _Bulk(
        evidence_table,
        EVIDENCE_COLUMNS,
        [
            (
                record.fingerprint_hex,
                record.anchorer,
                record.relayer or record.anchorer,
                record.anchored_at,
                log.block_number,
                log.tx_hash,
                log.log_index,
                chain_id,
            )
            for log, record in batch.evidence
        ],
    )
    with engine.begin() as connection:
        _check_blocks(connection, chain_id, fetched.headers)
        blocks = _insert_ignore(connection, block_table, block_rows, ("chain_id", "number"))
        registry, rights, valuation = batch.registry, batch.rights, batch.valuation
        if _holds_any_of(connection, chain_id, fetched):
            # a replay (say after a crash): insert what is missing, and apply the records of
            # the raw events this transaction inserted only
            raw = _insert_ignore(connection, raw_event_table, raw_bulk.dicts(), RAW_EVENT_KEY)
            evidence_rows = evidence_bulk.dicts()
            inserted = _insert_ignore(connection, evidence_table, evidence_rows, ("fingerprint",))
            _check_evidence(connection, evidence_rows, inserted)
            raw_count, evidence_count = len(raw), len(inserted)
            registry = [(log, r) for log, r in registry if _key(chain_id, log) in raw]
            rights = [(log, r) for log, r in rights if _key(chain_id, log) in raw]
            valuation = [(log, r) for log, r in valuation if _key(chain_id, log) in raw]
        else:
            # the usual case, a range the mirror holds nothing of: every row is new
            raw_count = _insert_all(connection, raw_bulk)
            evidence_count = _insert_all(connection, evidence_bulk)
        applied, applied_rights, applied_valuation = _apply_records(
            connection, chain_id, registry, rights, valuation, journal
        )
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
    return StoreResult(
        blocks=len(blocks),
        raw_events=raw_count,
        evidence=evidence_count,
        cursor_moved=moved,
        registry_events=applied,
        rights_events=applied_rights,
        valuation_events=applied_valuation,
    )


__all__ = [
    "Cursor",
    "StoreResult",
    "cursor_chain_ids",
    "read_cursor",
    "store_batch",
]
