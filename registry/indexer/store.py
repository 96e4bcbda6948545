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

The registration lifecycle (``registration``, ``asset_version``, ``objection``, ``registrar``,
``registrar_account``) is state that events *change*, so it cannot be insert-or-ignored. Its
records are applied only for the raw events this very transaction inserted (a raw event that was
already stored has had its effects applied when it was), one at a time in chain order
``(block, log_index)``, exactly as ``DataAssetRegistry`` applies them. Each changed row records
the position of the last event applied to it; an event at or before that position, an event for
a registration the mirror does not hold, or one the contract could not have emitted in the
row's state (say ``CertificateIssued`` for an application never put on notice) means the mirror
no longer matches the chain: :class:`IndexerError`, and nothing of the batch is written.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
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

from registry.db.models import (
    asset_version_table,
    block_table,
    cursor_table,
    evidence_table,
    objection_table,
    raw_event_table,
    registrar_account_table,
    registrar_table,
    registration_table,
)
from registry.domain.chain import BlockHeader, ChainLog
from registry.domain.numbers import certificate_number
from registry.domain.registration import ObjectionStatus, Status
from registry.errors import IndexerError
from registry.indexer.decode import (
    ApplicationAcceptedRecord,
    ApplicationRejectedRecord,
    ApplicationResubmittedRecord,
    ApplicationReturnedRecord,
    ApplicationSubmittedRecord,
    AssetChangedRecord,
    CertificateCancelledRecord,
    CertificateIssuedRecord,
    CertificateRenewedRecord,
    CertificateRevokedRecord,
    DecodedBatch,
    NoticeOpenedRecord,
    ObjectionFiledRecord,
    ObjectionRuledRecord,
    RegistrarAccountSetRecord,
    RegistrarConfiguredRecord,
    RegistrarRoleRevokedRecord,
    RegistryRecord,
    StandingGrantedRecord,
)


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

    @property
    def rows(self) -> int:
        """All rows written, the cursor included (registry events count once each)."""
        return (
            self.blocks
            + self.raw_events
            + self.evidence
            + self.registry_events
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


def _event_name(record: RegistryRecord) -> str:
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
    """The rows of one table that a batch touches, loaded once and written back once."""

    def __init__(self, table: Table, keys: Sequence[str]) -> None:
        self.table = table
        self.keys = tuple(keys)
        self.rows: dict[Any, Row] = {}
        self.new: set[Any] = set()
        self.dirty: set[Any] = set()

    def load(self, connection: Connection, chain_id: int, wanted: Collection[Any]) -> None:
        """Read the stored rows of ``chain_id`` whose second key column is in ``wanted``."""
        if not wanted:
            return
        column = self.table.c[self.keys[1]]
        statement = select(self.table).where(
            self.table.c.chain_id == chain_id, column.in_(sorted(wanted))
        )
        for row in connection.execute(statement):
            mapping = dict(row._mapping)
            self.rows[mapping[self.keys[1]]] = mapping

    def get(self, key: Any) -> Row | None:
        return self.rows.get(key)

    def add(self, key: Any, row: Row) -> None:
        self.rows[key] = row
        self.new.add(key)

    def touch(self, key: Any) -> None:
        if key not in self.new:
            self.dirty.add(key)

    def flush(self, connection: Connection) -> None:
        if self.new:
            connection.execute(insert(self.table), [self.rows[k] for k in sorted(self.new)])
        _update_rows(connection, self.table, self.keys, [self.rows[k] for k in sorted(self.dirty)])


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

    def flush(self, connection: Connection) -> None:
        # referenced rows first: versions and objections point at their registration
        self.registrars.flush(connection)
        self.accounts.flush(connection)
        self.registrations.flush(connection)
        self.objections.flush(connection)
        if self.versions:
            connection.execute(insert(asset_version_table), self.versions)

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


def _apply_registry(
    connection: Connection, chain_id: int, records: Sequence[tuple[ChainLog, RegistryRecord]]
) -> int:
    """Apply ``records`` (new events only) in chain order; how many were applied."""
    if not records:
        return 0
    ordered = sorted(records, key=lambda pair: _position(pair[0]))
    lifecycle = _Lifecycle(chain_id)
    lifecycle.load(connection, ordered)
    for log, record in ordered:
        lifecycle.apply(log, record)
    lifecycle.flush(connection)
    return len(ordered)


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
        fresh = [
            (log, record)
            for log, record in batch.registry
            if (chain_id, log.block_number, log.log_index) in raw
        ]
        applied = _apply_registry(connection, chain_id, fresh)
        moved = _advance_cursor(connection, batch)
    return StoreResult(
        blocks=len(blocks),
        raw_events=len(raw),
        evidence=len(evidence),
        cursor_moved=moved,
        registry_events=applied,
    )


__all__ = [
    "Cursor",
    "StoreResult",
    "cursor_chain_ids",
    "read_cursor",
    "store_batch",
]
