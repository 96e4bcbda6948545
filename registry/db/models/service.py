"""The service's own data, which the mirror does not hold and a rollback never touches:
off-chain documents (``document``), registrars' public names (``registrar_profile``), the
facts of asset-metadata documents (``asset_facts``) and the statistics cache derived from them
and from the mirror (``report_label``, ``report_certificate``, ``report_state``)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel

from registry.db.models.base import (
    FACT_LENGTH,
    HASH_LENGTH,
    REGISTRAR_NAME_LENGTH,
    UINT128_DIGITS,
    CertificateKey,
    ChainKey,
    UTCDateTime,
)


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
    so a row never goes stale; :mod:`registry.indexer.derived` fills the table from ``document``
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


class ReportCertificate(CertificateKey, table=True):
    """One row per certificate with everything the statistics group it by, as small integers
    (derived data, kept in step with the mirror by :mod:`registry.indexer.derived`): the report
    reads this table alone instead of joining five tables for every certificate. Enum columns
    hold the member's position in the domain enum; texts are ``report_label`` ids (``NULL``:
    unknown)."""

    __tablename__: ClassVar[str] = "report_certificate"

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


class ReportState(ChainKey, table=True):
    """Up to which indexed block ``report_certificate`` is current, and how many rollbacks and
    asset facts it has seen (a new rollback rebuilds it; new facts recompute unknown rows)."""

    __tablename__: ClassVar[str] = "report_state"

    block: int = Field(sa_type=BigInteger)
    rollbacks: int = Field(sa_type=Integer)
    facts: int = Field(sa_type=Integer)
