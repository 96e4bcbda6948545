"""The registration lifecycle of ``DataAssetRegistry``, derived from its events (see
:mod:`registry.indexer.contracts.registry`): ``registration``, ``asset_version``, ``objection``,
``registrar`` and ``registrar_account``."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String
from sqlmodel import Field

from registry.db.models.base import (
    ADDRESS_LENGTH,
    HASH_LENGTH,
    ChainKey,
    RecordKey,
    UTCDateTime,
    position_index,
    raw_event_fk,
    registration_fk,
)


class RegistrationRecord(RecordKey, table=True):
    """One registration of ``DataAssetRegistry`` as its events leave it.

    Created by ``ApplicationSubmitted`` (``submitted_*`` is that event's position; deleting its
    raw event deletes the row) and changed by every later lifecycle event of the same id
    (``last_*`` is the position of the last one applied). ``status`` is the stored lifecycle
    status (:class:`registry.domain.registration.Status` values; ``expired`` only once someone
    closed the expired certificate with ``closeExpired``, otherwise expiry is derived from
    ``valid_until`` when read). ``issued_by`` is the registrar account that issued the
    certificate; ``ended_by`` the account that cancelled, revoked or closed it, and
    ``end_ruling_hash`` the ruling recorded when a pledged or frozen certificate was revoked.
    ``kind`` and ``level`` are the
    :class:`~registry.domain.registration.AssetKind` and
    :class:`~registry.domain.registration.Classification` values; ``rights`` is the contract's
    bit set; ``source_agreement_end`` is unix seconds as the applicant stated it (``None``: no
    agreement), kept as an integer because any ``uint48`` is accepted on chain.
    """

    __tablename__: ClassVar[str] = "registration"
    __table_args__ = (
        raw_event_fk("submitted_block", "submitted_log_index", "fk_registration_raw_event"),
        Index("ix_registration_holder", "holder"),
        Index("ix_registration_status", "status"),
        Index("ix_registration_registrar_code", "registrar_code"),
        Index("ux_registration_certificate_number", "certificate_number", unique=True),
        Index("ux_registration_registration_number", "registration_number", unique=True),
        position_index("registration", "submitted"),
        position_index("registration", "last"),
    )

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
    issued_by: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    ended_by: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    end_ruling_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    submitted_block: int = Field(sa_type=BigInteger)
    submitted_log_index: int = Field(sa_type=Integer)
    submitted_tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)


class AssetVersion(ChainKey, table=True):
    """One version of an issued asset's content: 1 from ``CertificateIssued``, later ones from
    ``AssetChanged`` (``correction``: recorded by the registrar rather than the holder).

    ``changed_by`` is the account that supplied the content: the holder for version 1 (who
    applied or resubmitted it), the event's ``by`` afterwards.
    """

    __tablename__: ClassVar[str] = "asset_version"
    __table_args__ = (
        raw_event_fk("block_number", "log_index", "fk_asset_version_raw_event"),
        registration_fk("fk_asset_version_registration", "registration_id"),
        Index("ix_asset_version_position", "chain_id", "block_number", "log_index"),
    )

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


class ObjectionRecord(ChainKey, table=True):
    """An objection (异议) filed during a public notice, and its ruling once made.

    Created by ``ObjectionFiled`` (``filed_*``), ruled by ``ObjectionRuled`` (``ruled_*``, whose
    position is also kept so a rollback can undo the ruling). ``status`` is open, upheld or
    dismissed.
    """

    __tablename__: ClassVar[str] = "objection"
    __table_args__ = (
        raw_event_fk("filed_block", "filed_log_index", "fk_objection_raw_event"),
        registration_fk("fk_objection_registration", "registration_id"),
        Index("ix_objection_registration", "chain_id", "registration_id"),
        position_index("objection", "filed"),
        position_index("objection", "ruled"),
    )

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


class RegistrarRecord(ChainKey, table=True):
    """A registration agency's policy as the last ``RegistrarConfigured`` of its code set it."""

    __tablename__: ClassVar[str] = "registrar"
    __table_args__ = (position_index("registrar", "updated"),)

    code: int = Field(sa_type=Integer, primary_key=True)
    active: bool = Field(sa_type=Boolean)
    objections_open_to_all: bool = Field(sa_type=Boolean)
    evidence_required: bool = Field(sa_type=Boolean)
    notice_period: int = Field(sa_type=BigInteger, description="seconds")
    updated_block: int = Field(sa_type=BigInteger)
    updated_log_index: int = Field(sa_type=Integer)


class RegistrarAccount(ChainKey, table=True):
    """A staff account and the registrar code it was last bound to (``RegistrarAccountSet``).

    ``enabled`` is whether the account acts for ``code`` now: ``RegistrarAccountSet`` with
    ``enabled = false`` and any revocation of ``REGISTRAR_ROLE`` (``RoleRevoked``) unbind it.
    """

    __tablename__: ClassVar[str] = "registrar_account"
    __table_args__ = (
        Index("ix_registrar_account_code", "chain_id", "code"),
        position_index("registrar_account", "updated"),
    )

    account: str = Field(sa_type=String(ADDRESS_LENGTH), primary_key=True)
    code: int = Field(sa_type=Integer)
    enabled: bool = Field(sa_type=Boolean)
    updated_block: int = Field(sa_type=BigInteger)
    updated_log_index: int = Field(sa_type=Integer)
