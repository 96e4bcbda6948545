"""Tables of the chain mirror (SQLModel).

The chain is the source of truth; these tables are a rebuildable, queryable copy of it.

* ``indexer_cursor``: per chain, the last block fully mirrored and its hash.
* ``block``: headers of the blocks that hold registry logs (and only those).
* ``raw_event``: every registry log as the node returned it, plus its decoding, keyed by its
  position on chain ``(chain_id, block_number, log_index)``.
* ``evidence``: one row per anchored fingerprint, derived from ``EvidenceAnchored``.
* ``registration``, ``asset_version``, ``objection``, ``registrar``, ``registrar_account``: the
  registration lifecycle of ``DataAssetRegistry``, derived from its events (see
  :mod:`registry.indexer.store`).
* ``transfer``, ``pledge``, ``pledge_event``, ``freeze``, ``freeze_event``, ``licence``,
  ``transfer_approval``, ``cross_border_record``, ``party_country``: rights over certificates,
  derived from the events of ``TransferAgent`` and ``LicenceRegistry``.
* ``appraiser``, ``valuation``, ``accounting_class``: appraisers' accreditations, their
  valuations of certificates and holders' accounting classes, derived from the events of
  ``ValuationRegistry``.

Derived rows reference their raw event, and raw events their block, with ``ON DELETE CASCADE``:
rolling back a block range later (reorg handling) is one ``DELETE FROM block`` for rows that one
event created. Rows that later events changed (a registration's status, an objection's ruling, a
registrar's policy) also record the position ``(block, log_index)`` of the last event applied to
them, so a rollback can find every row touched in the rolled-back range and derive it again
from the raw events that remain.

Hashes and fingerprints are ``0x``-prefixed lowercase hex strings; addresses are EIP-55
checksummed strings, as :mod:`registry.chain` produces them. Datetimes are timezone-aware and
stored in UTC. The schema itself is created and changed only by the Alembic migrations under
``registry/db/migrations``; a test checks that they agree with these models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlmodel import Field, SQLModel

HASH_LENGTH = 66  # "0x" + 64 hex digits
ADDRESS_LENGTH = 42  # "0x" + 40 hex digits
REGISTRAR_NAME_LENGTH = 200
FACT_LENGTH = 200  # ShortText in registry.domain.registration
#: Decimal digits of the largest ``uint128`` (amounts) and ``uint64`` (bit sets), which do not
#: fit a signed 64-bit integer column: they are stored as decimal text, exactly.
UINT128_DIGITS = 39
UINT64_DIGITS = 20


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC and read back as UTC on every backend.

    SQLite keeps no offset, so values are normalised to UTC before they are written and the
    UTC zone is attached again when they are read. Naive datetimes are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach a timezone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(
        self,
        value: Any | None,
        dialect: Dialect,  # noqa: ARG002 (the signature is SQLAlchemy's)
    ) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class IndexerCursor(SQLModel, table=True):
    """How far the mirror of one chain reaches: every block up to ``last_block`` is indexed."""

    __tablename__: ClassVar[str] = "indexer_cursor"

    chain_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    last_block: int = Field(sa_type=BigInteger)
    last_block_hash: str = Field(sa_type=String(HASH_LENGTH))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class MirrorBatch(SQLModel, table=True):
    """A batch of blocks not yet final that the mirror applied, kept (with its undo entries) so
    a reorganisation can be rolled back; pruned once its last block is final."""

    __tablename__: ClassVar[str] = "mirror_batch"

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    to_block: int = Field(sa_type=BigInteger, primary_key=True)
    from_block: int = Field(sa_type=BigInteger)
    tip_hash: str = Field(sa_type=String(HASH_LENGTH))
    tip_parent_hash: str = Field(sa_type=String(HASH_LENGTH))
    base_hash: str | None = Field(
        default=None, sa_type=String(HASH_LENGTH), description="hash of block from_block - 1"
    )
    stored_at: datetime = Field(sa_type=UTCDateTime)


class MirrorUndo(SQLModel, table=True):
    """How to undo one write of a batch: delete the row (``prior`` null) or put ``prior`` back."""

    __tablename__: ClassVar[str] = "mirror_undo"
    __table_args__ = (
        ForeignKeyConstraint(
            ["chain_id", "to_block"],
            ["mirror_batch.chain_id", "mirror_batch.to_block"],
            name="fk_mirror_undo_batch",
            ondelete="CASCADE",
        ),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    to_block: int = Field(sa_type=BigInteger, primary_key=True)
    seq: int = Field(sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False})
    table_name: str = Field(sa_type=String(64))
    row_key: dict[str, Any] = Field(sa_type=JSON)
    prior: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class RowVersion(SQLModel, table=True):
    """The state of one derived row after each event that changed it: the mirror's history, so
    it can answer "as of" any block (the latest version at or before that block)."""

    __tablename__: ClassVar[str] = "row_version"
    __table_args__ = (
        Index("ix_row_version_lookup", "chain_id", "table_name", "row_key", "block_number"),
        Index("ix_row_version_block", "chain_id", "block_number"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(sa_type=Integer, primary_key=True)
    table_name: str = Field(sa_type=String(64), primary_key=True)
    row_key: str = Field(sa_type=String(200), primary_key=True, description="canonical JSON")
    image: dict[str, Any] = Field(sa_type=JSON)


class ReorgRollback(SQLModel, table=True):
    """Permanent record of every rollback of the mirror after a chain reorganisation."""

    __tablename__: ClassVar[str] = "reorg_rollback"

    id: int | None = Field(default=None, sa_type=Integer, primary_key=True)
    chain_id: int = Field(sa_type=BigInteger, index=True)
    detected_at: datetime = Field(sa_type=UTCDateTime)
    mirrored_block: int = Field(sa_type=BigInteger, description="the mirror's head before")
    mirrored_hash: str = Field(sa_type=String(HASH_LENGTH))
    chain_hash: str | None = Field(
        default=None, sa_type=String(HASH_LENGTH), description="the chain's hash of that block"
    )
    restored_block: int = Field(sa_type=BigInteger, description="the mirror's head after")
    restored_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    depth: int = Field(sa_type=BigInteger, description="blocks rolled back")
    batches_undone: int = Field(sa_type=Integer)
    rows_restored: int = Field(sa_type=Integer, description="derived rows deleted or put back")
    raw_events_removed: int = Field(sa_type=Integer)


class Block(SQLModel, table=True):
    """Header of a block that holds at least one registry log."""

    __tablename__: ClassVar[str] = "block"

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    number: int = Field(sa_type=BigInteger, primary_key=True)
    hash: str = Field(sa_type=String(HASH_LENGTH))
    parent_hash: str = Field(sa_type=String(HASH_LENGTH))
    timestamp: int = Field(sa_type=BigInteger, description="block timestamp, unix seconds")


class RawEvent(SQLModel, table=True):
    """One registry log, verbatim, with its decoding when the ABIs know the event."""

    __tablename__: ClassVar[str] = "raw_event"
    __table_args__ = (
        ForeignKeyConstraint(
            ["chain_id", "block_number"],
            ["block.chain_id", "block.number"],
            name="fk_raw_event_block",
            ondelete="CASCADE",
        ),
        Index("ix_raw_event_address_topic0", "address", "topic0"),
        # an asset's events in chain order, one range scan (the provenance timeline)
        Index("ix_raw_event_token", "chain_id", "token_id", "block_number", "log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(sa_type=Integer, primary_key=True)
    block_hash: str = Field(sa_type=String(HASH_LENGTH))
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    address: str = Field(sa_type=String(ADDRESS_LENGTH))
    contract: str | None = Field(default=None, sa_type=String(64))
    event: str | None = Field(default=None, sa_type=String(128))
    topic0: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    topics: list[str] = Field(sa_type=JSON)
    data: str = Field(sa_type=Text, description="0x-prefixed hex of the log's data")
    args: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    token_id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        description="the asset (registration / certificate id) the event's record names",
    )


class Evidence(SQLModel, table=True):
    """An anchored fingerprint, derived from its ``EvidenceAnchored`` log."""

    __tablename__: ClassVar[str] = "evidence"
    __table_args__ = (
        ForeignKeyConstraint(
            ["chain_id", "block_number", "log_index"],
            ["raw_event.chain_id", "raw_event.block_number", "raw_event.log_index"],
            name="fk_evidence_raw_event",
            ondelete="CASCADE",
        ),
        Index("ix_evidence_anchorer", "anchorer", "block_number", "log_index"),
        Index("ix_evidence_position", "chain_id", "block_number", "log_index"),
    )

    fingerprint: str = Field(sa_type=String(HASH_LENGTH), primary_key=True)
    anchorer: str = Field(sa_type=String(ADDRESS_LENGTH))
    relayer: str = Field(sa_type=String(ADDRESS_LENGTH))
    anchored_at: datetime = Field(sa_type=UTCDateTime)
    block_number: int = Field(sa_type=BigInteger)
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    log_index: int = Field(sa_type=Integer)
    chain_id: int = Field(sa_type=BigInteger)


class Document(SQLModel, table=True):
    """Off-chain documents whose SHA-256 is on chain (certificate metadata, reasons, evidence).

    Not part of the mirror: the chain holds only the hash, so these rows are the service's own
    data and are never rolled back by the indexer. ``hash`` is the SHA-256 of ``body``.
    """

    __tablename__: ClassVar[str] = "document"

    hash: str = Field(sa_type=String(HASH_LENGTH), primary_key=True)
    media_type: str = Field(sa_type=String(100))
    body: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(sa_type=UTCDateTime)


class RegistrarProfile(SQLModel, table=True):
    """The public name of a registration agency, by its registrar code (service data).

    The contract knows registrars by code and policy; certificates also show their name.
    """

    __tablename__: ClassVar[str] = "registrar_profile"

    code: int = Field(sa_column_kwargs={"autoincrement": False}, sa_type=Integer, primary_key=True)
    name: str = Field(sa_type=String(REGISTRAR_NAME_LENGTH))
    region: str | None = Field(default=None, sa_type=String(6))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AssetFacts(SQLModel, table=True):
    """What statistics group certificates by that only the metadata document holds (service
    data, derived): the asset's name, industry, category and region, keyed by the document's
    SHA-256 (the ``metadata_hash`` the chain records). A document never changes under its hash,
    so a row never goes stale; :mod:`registry.reports.facts` fills the table from ``document``
    on demand. ``readable`` is false for a document that is not asset metadata (its facts stay
    empty and count as unknown)."""

    __tablename__: ClassVar[str] = "asset_facts"

    metadata_hash: str = Field(sa_type=String(HASH_LENGTH), primary_key=True)
    readable: bool = Field(sa_type=Boolean)
    name: str | None = Field(default=None, sa_type=String(FACT_LENGTH))
    industry: str | None = Field(default=None, sa_type=String(FACT_LENGTH))
    category: str | None = Field(default=None, sa_type=String(FACT_LENGTH))
    region: str | None = Field(default=None, sa_type=String(6), description="行政区划代码")


class ReportLabel(SQLModel, table=True):
    """Texts the statistics cache groups by (industries, categories, regions, currencies), each
    stored once and referred to by its id (derived data)."""

    __tablename__: ClassVar[str] = "report_label"

    id: int | None = Field(default=None, sa_type=Integer, primary_key=True)
    text: str = Field(sa_type=String(FACT_LENGTH), unique=True)


class ReportCertificate(SQLModel, table=True):
    """One row per certificate with everything the statistics group it by, as small integers
    (derived data, kept in step with the mirror by :mod:`registry.reports.cache`): the report
    reads this table alone instead of joining five tables for every certificate. Enum columns
    hold the member's position in the domain enum; texts are ``report_label`` ids (``NULL``:
    unknown)."""

    __tablename__: ClassVar[str] = "report_certificate"

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    token_id: int = Field(sa_type=BigInteger, primary_key=True)
    industry: int | None = Field(default=None, sa_type=Integer)
    category: int | None = Field(default=None, sa_type=Integer)
    region: int | None = Field(default=None, sa_type=Integer)
    level: int = Field(sa_type=Integer)
    kind: int = Field(sa_type=Integer)
    status: int = Field(sa_type=Integer, description="Status position, before expiry")
    valid_until: int | None = Field(default=None, sa_type=BigInteger, description="unix seconds")
    registrar: int = Field(sa_type=Integer)
    accounting_class: int = Field(sa_type=Integer, description="AccountingClass position")
    frozen: bool = Field(sa_type=Boolean)
    issued_month: int | None = Field(default=None, sa_type=Integer, description="YYYYMM, UTC+8")
    currency: int | None = Field(default=None, sa_type=Integer, description="report_label id")
    value: str | None = Field(default=None, sa_type=String(UINT128_DIGITS))


class ReportState(SQLModel, table=True):
    """Up to which indexed block ``report_certificate`` is current, and how many rollbacks and
    asset facts it has seen (a new rollback rebuilds it; new facts recompute unknown rows)."""

    __tablename__: ClassVar[str] = "report_state"

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    block: int = Field(sa_type=BigInteger)
    rollbacks: int = Field(sa_type=Integer)
    facts: int = Field(sa_type=Integer)


def _raw_event_fk(block: str, log_index: str, name: str) -> ForeignKeyConstraint:
    """``(chain_id, block, log_index)`` -> the raw event at that position, cascading deletes."""
    return ForeignKeyConstraint(
        ["chain_id", block, log_index],
        ["raw_event.chain_id", "raw_event.block_number", "raw_event.log_index"],
        name=name,
        ondelete="CASCADE",
    )


class RegistrationRecord(SQLModel, table=True):
    """One registration of ``DataAssetRegistry`` as its events leave it.

    Created by ``ApplicationSubmitted`` (``submitted_*`` is that event's position; deleting its
    raw event deletes the row) and changed by every later lifecycle event of the same id
    (``last_*`` is the position of the last one applied). ``status`` is the stored lifecycle
    status (:class:`registry.domain.registration.Status` values, never ``expired``: expiry is
    derived from ``valid_until`` when read). ``kind`` and ``level`` are the
    :class:`~registry.domain.registration.AssetKind` and
    :class:`~registry.domain.registration.Classification` values; ``rights`` is the contract's
    bit set; ``source_agreement_end`` is unix seconds as the applicant stated it (``None``: no
    agreement), kept as an integer because any ``uint48`` is accepted on chain.
    """

    __tablename__: ClassVar[str] = "registration"
    __table_args__ = (
        _raw_event_fk("submitted_block", "submitted_log_index", "fk_registration_raw_event"),
        Index("ix_registration_holder", "holder"),
        Index("ix_registration_status", "status"),
        Index("ix_registration_registrar_code", "registrar_code"),
        Index("ux_registration_certificate_number", "certificate_number", unique=True),
        Index("ux_registration_registration_number", "registration_number", unique=True),
        Index(
            "ix_registration_submitted",
            "chain_id",
            "submitted_block",
            "submitted_log_index",
        ),
        Index("ix_registration_last", "chain_id", "last_block", "last_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    id: int = Field(sa_type=BigInteger, primary_key=True)
    registration_number: str = Field(sa_type=String(16))
    holder: str = Field(sa_type=String(ADDRESS_LENGTH))
    registrar_code: int = Field(sa_type=Integer)
    kind: str = Field(sa_type=String(16))
    rights: int = Field(
        sa_type=Integer, description="bit set: 1 holding, 2 processing-use, 4 product-operation"
    )
    level: str = Field(sa_type=String(16))
    data_source: int = Field(sa_type=Integer)
    applicant_type: int = Field(sa_type=Integer)
    source_agreement_end: int | None = Field(default=None, sa_type=BigInteger)
    fingerprint: str = Field(sa_type=String(HASH_LENGTH))
    metadata_hash: str = Field(sa_type=String(HASH_LENGTH))
    parents: list[int] = Field(sa_type=JSON)
    relayer: str = Field(sa_type=String(ADDRESS_LENGTH))
    status: str = Field(sa_type=String(16))
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    notice_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notice_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    issued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    certificate_number: str | None = Field(default=None, sa_type=String(17))
    version: int = Field(sa_type=Integer, description="0 until issued, then 1, 2, ...")
    open_objections: int = Field(sa_type=Integer)
    submitted_block: int = Field(sa_type=BigInteger)
    submitted_log_index: int = Field(sa_type=Integer)
    submitted_tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)


class AssetVersion(SQLModel, table=True):
    """One version of an issued asset's content: 1 from ``CertificateIssued``, later ones from
    ``AssetChanged`` (``correction``: recorded by the registrar rather than the holder).

    ``changed_by`` is the account that supplied the content: the holder for version 1 (who
    applied or resubmitted it), the event's ``by`` afterwards.
    """

    __tablename__: ClassVar[str] = "asset_version"
    __table_args__ = (
        _raw_event_fk("block_number", "log_index", "fk_asset_version_raw_event"),
        ForeignKeyConstraint(
            ["chain_id", "registration_id"],
            ["registration.chain_id", "registration.id"],
            name="fk_asset_version_registration",
            ondelete="CASCADE",
        ),
        Index("ix_asset_version_position", "chain_id", "block_number", "log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    registration_id: int = Field(sa_type=BigInteger, primary_key=True)
    version: int = Field(sa_type=Integer, primary_key=True)
    fingerprint: str = Field(sa_type=String(HASH_LENGTH))
    metadata_hash: str = Field(sa_type=String(HASH_LENGTH))
    correction: bool = Field(sa_type=Boolean)
    changed_by: str = Field(sa_type=String(ADDRESS_LENGTH))
    block_number: int = Field(sa_type=BigInteger)
    log_index: int = Field(sa_type=Integer)
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    changed_at: datetime = Field(sa_type=UTCDateTime)


class ObjectionRecord(SQLModel, table=True):
    """An objection (异议) filed during a public notice, and its ruling once made.

    Created by ``ObjectionFiled`` (``filed_*``), ruled by ``ObjectionRuled`` (``ruled_*``, whose
    position is also kept so a rollback can undo the ruling). ``status`` is open, upheld or
    dismissed.
    """

    __tablename__: ClassVar[str] = "objection"
    __table_args__ = (
        _raw_event_fk("filed_block", "filed_log_index", "fk_objection_raw_event"),
        ForeignKeyConstraint(
            ["chain_id", "registration_id"],
            ["registration.chain_id", "registration.id"],
            name="fk_objection_registration",
            ondelete="CASCADE",
        ),
        Index("ix_objection_registration", "chain_id", "registration_id"),
        Index("ix_objection_filed", "chain_id", "filed_block", "filed_log_index"),
        Index("ix_objection_ruled", "chain_id", "ruled_block", "ruled_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    objection_id: int = Field(sa_type=BigInteger, primary_key=True)
    registration_id: int = Field(sa_type=BigInteger)
    objector: str = Field(sa_type=String(ADDRESS_LENGTH))
    evidence_hash: str = Field(sa_type=String(HASH_LENGTH))
    status: str = Field(sa_type=String(16))
    filed_at: datetime = Field(sa_type=UTCDateTime)
    filed_tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    filed_block: int = Field(sa_type=BigInteger)
    filed_log_index: int = Field(sa_type=Integer)
    ruled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ruling_reason_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    ruled_by: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    ruled_block: int | None = Field(default=None, sa_type=BigInteger)
    ruled_log_index: int | None = Field(default=None, sa_type=Integer)


class RegistrarRecord(SQLModel, table=True):
    """A registration agency's policy as the last ``RegistrarConfigured`` of its code set it."""

    __tablename__: ClassVar[str] = "registrar"
    __table_args__ = (
        Index("ix_registrar_updated", "chain_id", "updated_block", "updated_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    code: int = Field(sa_type=Integer, primary_key=True)
    active: bool = Field(sa_type=Boolean)
    objections_open_to_all: bool = Field(sa_type=Boolean)
    evidence_required: bool = Field(sa_type=Boolean)
    notice_period: int = Field(sa_type=BigInteger, description="seconds")
    updated_block: int = Field(sa_type=BigInteger)
    updated_log_index: int = Field(sa_type=Integer)


class RegistrarAccount(SQLModel, table=True):
    """A staff account and the registrar code it was last bound to (``RegistrarAccountSet``).

    ``enabled`` is whether the account acts for ``code`` now: ``RegistrarAccountSet`` with
    ``enabled = false`` and any revocation of ``REGISTRAR_ROLE`` (``RoleRevoked``) unbind it.
    """

    __tablename__: ClassVar[str] = "registrar_account"
    __table_args__ = (
        Index("ix_registrar_account_code", "chain_id", "code"),
        Index("ix_registrar_account_updated", "chain_id", "updated_block", "updated_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    account: str = Field(sa_type=String(ADDRESS_LENGTH), primary_key=True)
    code: int = Field(sa_type=Integer)
    enabled: bool = Field(sa_type=Boolean)
    updated_block: int = Field(sa_type=BigInteger)
    updated_log_index: int = Field(sa_type=Integer)


def _registration_fk(name: str, column: str = "token_id") -> ForeignKeyConstraint:
    """``(chain_id, column)`` -> the registration (= certificate) it is about."""
    return ForeignKeyConstraint(
        ["chain_id", column],
        ["registration.chain_id", "registration.id"],
        name=name,
        ondelete="CASCADE",
    )


class TransferRecord(SQLModel, table=True):
    """One movement of a certificate (``TransferAgent.CertificateTransferred``), with its reason.

    ``document_hash`` is the SHA-256 of the contract or court order (``None``: none given); for
    a pledge enforcement it is the pledge id as 32 bytes.
    """

    __tablename__: ClassVar[str] = "transfer"
    __table_args__ = (
        _raw_event_fk("block_number", "log_index", "fk_transfer_raw_event"),
        _registration_fk("fk_transfer_registration"),
        Index("ix_transfer_token", "chain_id", "token_id"),
        Index("ix_transfer_from", "from_address"),
        Index("ix_transfer_to", "to_address"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(sa_type=Integer, primary_key=True)
    token_id: int = Field(sa_type=BigInteger)
    from_address: str = Field(sa_type=String(ADDRESS_LENGTH))
    to_address: str = Field(sa_type=String(ADDRESS_LENGTH))
    reason: str = Field(sa_type=String(24), description="TransferReason value")
    document_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    transferred_at: datetime = Field(sa_type=UTCDateTime)


class PledgeRecord(SQLModel, table=True):
    """A pledge (质押) as its events leave it: registered (``registered_*``), its pledgor
    following the certificate (``PledgorChanged``), then released or enforced (``closed_*``).

    ``secured_amount`` is the ``uint128`` in the currency's minor unit, as decimal text.
    ``last_*`` is the position of the last event applied to the row.
    """

    __tablename__: ClassVar[str] = "pledge"
    __table_args__ = (
        _raw_event_fk("registered_block", "registered_log_index", "fk_pledge_raw_event"),
        _registration_fk("fk_pledge_registration"),
        Index("ix_pledge_token", "chain_id", "token_id"),
        Index("ix_pledge_pledgor", "pledgor"),
        Index("ix_pledge_pledgee", "pledgee"),
        Index("ix_pledge_status", "status"),
        Index("ix_pledge_last", "chain_id", "last_block", "last_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    id: int = Field(sa_type=BigInteger, primary_key=True)
    token_id: int = Field(sa_type=BigInteger)
    pledgor: str = Field(sa_type=String(ADDRESS_LENGTH))
    pledgee: str = Field(sa_type=String(ADDRESS_LENGTH))
    secured_amount: str = Field(sa_type=String(UINT128_DIGITS))
    currency: str = Field(sa_type=String(3))
    loan_ref: str = Field(sa_type=String(HASH_LENGTH))
    registered_at: datetime = Field(sa_type=UTCDateTime)
    maturity: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(sa_type=String(16), description="PledgeStatus value")
    relayer: str = Field(sa_type=String(ADDRESS_LENGTH))
    registered_block: int = Field(sa_type=BigInteger)
    registered_log_index: int = Field(sa_type=Integer)
    registered_tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    enforced_to: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)


class PledgeEventRecord(SQLModel, table=True):
    """Every event of every pledge, in chain order: the lien history of a certificate.

    ``kind`` is registered, released, enforced, consent_granted, consent_used or
    pledgor_changed; ``action`` is the consent's ``ConsentAction`` value; ``party`` is the
    pledgor (registered, pledgor_changed), the pledgee (released), the recipient (enforced) or
    the counterparty (consents).
    """

    __tablename__: ClassVar[str] = "pledge_event"
    __table_args__ = (
        _raw_event_fk("block_number", "log_index", "fk_pledge_event_raw_event"),
        Index("ix_pledge_event_pledge", "chain_id", "pledge_id"),
        Index("ix_pledge_event_token", "chain_id", "token_id"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(sa_type=Integer, primary_key=True)
    pledge_id: int = Field(sa_type=BigInteger)
    token_id: int = Field(sa_type=BigInteger)
    kind: str = Field(sa_type=String(24))
    action: str | None = Field(default=None, sa_type=String(24))
    party: str = Field(sa_type=String(ADDRESS_LENGTH))
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    at: datetime = Field(sa_type=UTCDateTime)


class FreezeRecord(SQLModel, table=True):
    """Whether a certificate is frozen now (冻结): one row per certificate ever frozen.

    ``since``, ``frozen_by`` and ``case_ref`` describe the current freeze (``None`` once
    unfrozen, as the contract clears them); ``last_*`` is the last freeze or unfreeze applied.
    """

    __tablename__: ClassVar[str] = "freeze"
    __table_args__ = (
        _registration_fk("fk_freeze_registration"),
        Index("ix_freeze_last", "chain_id", "last_block", "last_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    token_id: int = Field(sa_type=BigInteger, primary_key=True)
    frozen: bool = Field(sa_type=Boolean)
    since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    frozen_by: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    case_ref: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)


class FreezeEventRecord(SQLModel, table=True):
    """Every freeze and unfreeze, in chain order, with the regulator and the case reference."""

    __tablename__: ClassVar[str] = "freeze_event"
    __table_args__ = (
        _raw_event_fk("block_number", "log_index", "fk_freeze_event_raw_event"),
        Index("ix_freeze_event_token", "chain_id", "token_id"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(sa_type=Integer, primary_key=True)
    token_id: int = Field(sa_type=BigInteger)
    frozen: bool = Field(sa_type=Boolean, description="true: frozen, false: unfrozen")
    regulator: str = Field(sa_type=String(ADDRESS_LENGTH))
    case_ref: str = Field(sa_type=String(HASH_LENGTH))
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    at: datetime = Field(sa_type=UTCDateTime)


class LicenceRecord(SQLModel, table=True):
    """A licence or sublicence (数据许可) of ``LicenceRegistry``: granted (``granted_*``), and
    terminated once a party ends it (``terminated_*``).

    ``right`` is the :class:`~registry.domain.registration.Right` value; ``purposes`` and
    ``territories`` are the ``uint64`` bit sets (docs/licences.md) as decimal text. Whether a
    licence is *live* depends on the time and on its parents, so it is derived when read.
    """

    __tablename__: ClassVar[str] = "licence"
    __table_args__ = (
        _raw_event_fk("granted_block", "granted_log_index", "fk_licence_raw_event"),
        _registration_fk("fk_licence_registration"),
        Index("ix_licence_token", "chain_id", "token_id"),
        Index("ix_licence_parent", "chain_id", "parent_id"),
        Index("ix_licence_licensee", "licensee"),
        Index("ix_licence_licensor", "licensor"),
        Index("ux_licence_voucher_number", "voucher_number", unique=True),
        Index("ix_licence_last", "chain_id", "last_block", "last_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    id: int = Field(sa_type=BigInteger, primary_key=True)
    voucher_number: str = Field(sa_type=String(16))
    token_id: int = Field(sa_type=BigInteger)
    parent_id: int | None = Field(default=None, sa_type=BigInteger)
    licensor: str = Field(sa_type=String(ADDRESS_LENGTH))
    licensee: str = Field(sa_type=String(ADDRESS_LENGTH))
    right: str = Field(sa_type=String(24))
    exclusive: bool = Field(sa_type=Boolean)
    sublicensable: bool = Field(sa_type=Boolean)
    purposes: str = Field(sa_type=String(UINT64_DIGITS))
    territories: str = Field(sa_type=String(UINT64_DIGITS))
    granted_at: datetime = Field(sa_type=UTCDateTime)
    start: datetime = Field(sa_type=UTCDateTime)
    end: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(sa_type=String(16), description="LicenceStatus value")
    terms_hash: str = Field(sa_type=String(HASH_LENGTH))
    fee_terms_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    relayer: str = Field(sa_type=String(ADDRESS_LENGTH))
    granted_block: int = Field(sa_type=BigInteger)
    granted_log_index: int = Field(sa_type=Integer)
    granted_tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    terminated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    terminated_by: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    termination_reason_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)


class TransferApprovalRecord(SQLModel, table=True):
    """A regulator's approval of a transfer of important data to one recipient, as last set
    (``expiry`` ``None``: withdrawn). Not tied to a registration: the contract accepts any id."""

    __tablename__: ClassVar[str] = "transfer_approval"
    __table_args__ = (
        Index("ix_transfer_approval_updated", "chain_id", "updated_block", "updated_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    token_id: int = Field(sa_type=BigInteger, primary_key=True)
    recipient: str = Field(sa_type=String(ADDRESS_LENGTH), primary_key=True)
    expiry: datetime | None = Field(default=None, sa_type=UTCDateTime)
    regulator: str = Field(sa_type=String(ADDRESS_LENGTH))
    updated_block: int = Field(sa_type=BigInteger)
    updated_log_index: int = Field(sa_type=Integer)


class CrossBorderRecordRow(SQLModel, table=True):
    """The basis of a transfer abroad (数据出境) of one certificate to one recipient, as last
    recorded: mechanism, expiry, recipient country, hash of the approval (filing) number."""

    __tablename__: ClassVar[str] = "cross_border_record"
    __table_args__ = (
        Index("ix_cross_border_record_updated", "chain_id", "updated_block", "updated_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    token_id: int = Field(sa_type=BigInteger, primary_key=True)
    recipient: str = Field(sa_type=String(ADDRESS_LENGTH), primary_key=True)
    mechanism: str = Field(sa_type=String(24), description="CrossBorderMechanism value")
    expiry: datetime | None = Field(default=None, sa_type=UTCDateTime)
    country: str = Field(sa_type=String(2))
    approval_number_hash: str = Field(sa_type=String(HASH_LENGTH))
    regulator: str = Field(sa_type=String(ADDRESS_LENGTH))
    updated_block: int = Field(sa_type=BigInteger)
    updated_log_index: int = Field(sa_type=Integer)


class PartyCountry(SQLModel, table=True):
    """The country a regulator recorded for a party (``None``: cleared, i.e. domestic, CN)."""

    __tablename__: ClassVar[str] = "party_country"
    __table_args__ = (
        Index("ix_party_country_updated", "chain_id", "updated_block", "updated_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    party: str = Field(sa_type=String(ADDRESS_LENGTH), primary_key=True)
    country: str | None = Field(default=None, sa_type=String(2))
    regulator: str = Field(sa_type=String(ADDRESS_LENGTH))
    updated_block: int = Field(sa_type=BigInteger)
    updated_log_index: int = Field(sa_type=Integer)


class AppraiserRecord(SQLModel, table=True):
    """An appraiser's accreditation (评估机构), kept after removal so its valuations can be
    judged: accredited (again) by ``AppraiserAccredited``, removed by ``AppraiserRemoved``.

    As in the contract, ``accredited_at`` and ``accreditation_hash`` are those of the latest
    accreditation and ``removed_at`` is ``None`` while accredited (cleared on re-accreditation,
    with ``removed_by`` and ``removal_reason_hash``). ``last_*`` is the last event applied.
    """

    __tablename__: ClassVar[str] = "appraiser"
    __table_args__ = (Index("ix_appraiser_last", "chain_id", "last_block", "last_log_index"),)

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    address: str = Field(sa_type=String(ADDRESS_LENGTH), primary_key=True)
    accredited: bool = Field(sa_type=Boolean)
    accredited_at: datetime = Field(sa_type=UTCDateTime)
    accreditation_hash: str = Field(sa_type=String(HASH_LENGTH))
    accredited_by: str = Field(sa_type=String(ADDRESS_LENGTH))
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    removal_reason_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)


class ValuationRecordRow(SQLModel, table=True):
    """A valuation (数据资产评估) of a certificate: submitted by an accredited appraiser
    (``submitted_*``: its ``ValuationSubmitted`` log), withdrawn by that appraiser
    (``withdrawn_at``, ``withdraw_reason_hash``); never edited otherwise.

    ``value`` is the ``uint128`` in minor units of ``currency``, as decimal text; ``method``,
    ``value_type``, ``purpose`` and ``status`` are the snake_case names of the contract's enums;
    ``facts_hash`` and ``report_uri`` are ``None`` when the appraiser gave none (the URI is
    carried only by the event). ``last_*`` is the position of the last event applied.
    """

    __tablename__: ClassVar[str] = "valuation"
    __table_args__ = (
        _raw_event_fk("submitted_block", "submitted_log_index", "fk_valuation_raw_event"),
        _registration_fk("fk_valuation_registration"),
        Index("ix_valuation_token", "chain_id", "token_id"),
        Index("ix_valuation_appraiser", "appraiser"),
        Index("ix_valuation_last", "chain_id", "last_block", "last_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    id: int = Field(sa_type=BigInteger, primary_key=True)
    token_id: int = Field(sa_type=BigInteger)
    appraiser: str = Field(sa_type=String(ADDRESS_LENGTH))
    asset_version: int = Field(sa_type=Integer)
    value: str = Field(sa_type=String(UINT128_DIGITS))
    currency: str = Field(sa_type=String(3))
    method: str = Field(sa_type=String(16), description="ValuationMethod value")
    value_type: str = Field(sa_type=String(32), description="ValueType value")
    purpose: str = Field(sa_type=String(24), description="ValuationPurpose value")
    base_date: datetime = Field(sa_type=UTCDateTime)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    report_hash: str = Field(sa_type=String(HASH_LENGTH))
    facts_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    report_uri: str | None = Field(default=None, sa_type=Text)
    status: str = Field(sa_type=String(16), description="ValuationStatus value")
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdraw_reason_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    submitted_block: int = Field(sa_type=BigInteger)
    submitted_log_index: int = Field(sa_type=Integer)
    submitted_tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)


class AccountingClassRecord(SQLModel, table=True):
    """The accounting class (数据资源入表: ``intangible_asset`` or ``inventory``) a holder last
    recorded for a certificate, and that holder. The choice lapses when the certificate moves to
    another holder; that is judged when read, against ``registration.holder``."""

    __tablename__: ClassVar[str] = "accounting_class"
    __table_args__ = (
        _registration_fk("fk_accounting_class_registration"),
        Index("ix_accounting_class_last", "chain_id", "last_block", "last_log_index"),
    )

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    token_id: int = Field(sa_type=BigInteger, primary_key=True)
    accounting_class: str = Field(sa_type=String(24), description="AccountingClass value")
    holder: str = Field(sa_type=String(ADDRESS_LENGTH))
    set_at: datetime = Field(sa_type=UTCDateTime)
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)


def table_of(model: type[SQLModel]) -> Table:
    """The Core :class:`~sqlalchemy.Table` of a table model (for bulk statements)."""
    return SQLModel.metadata.tables[str(model.__tablename__)]


cursor_table = table_of(IndexerCursor)
mirror_batch_table = table_of(MirrorBatch)
mirror_undo_table = table_of(MirrorUndo)
reorg_rollback_table = table_of(ReorgRollback)
row_version_table = table_of(RowVersion)
block_table = table_of(Block)
raw_event_table = table_of(RawEvent)
evidence_table = table_of(Evidence)
document_table = table_of(Document)
registrar_profile_table = table_of(RegistrarProfile)
asset_facts_table = table_of(AssetFacts)
report_label_table = table_of(ReportLabel)
report_certificate_table = table_of(ReportCertificate)
report_state_table = table_of(ReportState)
registration_table = table_of(RegistrationRecord)
asset_version_table = table_of(AssetVersion)
objection_table = table_of(ObjectionRecord)
registrar_table = table_of(RegistrarRecord)
registrar_account_table = table_of(RegistrarAccount)
transfer_table = table_of(TransferRecord)
pledge_table = table_of(PledgeRecord)
pledge_event_table = table_of(PledgeEventRecord)
freeze_table = table_of(FreezeRecord)
freeze_event_table = table_of(FreezeEventRecord)
licence_table = table_of(LicenceRecord)
transfer_approval_table = table_of(TransferApprovalRecord)
cross_border_record_table = table_of(CrossBorderRecordRow)
party_country_table = table_of(PartyCountry)
appraiser_table = table_of(AppraiserRecord)
valuation_table = table_of(ValuationRecordRow)
accounting_class_table = table_of(AccountingClassRecord)

#: Every table of the mirror, in an order safe for inserts (referenced tables first).
MIRROR_TABLES: tuple[Table, ...] = (
    cursor_table,
    block_table,
    raw_event_table,
    evidence_table,
    registrar_table,
    registrar_account_table,
    registration_table,
    asset_version_table,
    objection_table,
    transfer_table,
    pledge_table,
    pledge_event_table,
    freeze_table,
    freeze_event_table,
    licence_table,
    transfer_approval_table,
    cross_border_record_table,
    party_country_table,
    appraiser_table,
    valuation_table,
    accounting_class_table,
    row_version_table,
)
