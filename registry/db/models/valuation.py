"""Valuations, derived from the events of ``ValuationRegistry``: appraisers' accreditations
(``appraiser``), their valuations of certificates (``valuation``) and holders' accounting
classes (``accounting_class``)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlmodel import Field

from registry.db.models.base import (
    ADDRESS_LENGTH,
    HASH_LENGTH,
    UINT128_DIGITS,
    CertificateKey,
    ChainKey,
    RecordKey,
    UTCDateTime,
    certificate_event_args,
    position_index,
    registration_fk,
)


class AppraiserRecord(ChainKey, table=True):
    """An appraiser's accreditation (评估机构), kept after removal so its valuations can be
    judged: accredited (again) by ``AppraiserAccredited``, removed by ``AppraiserRemoved``.

    As in the contract, ``accredited_at`` and ``accreditation_hash`` are those of the latest
    accreditation and ``removed_at`` is ``None`` while accredited (cleared on re-accreditation,
    with ``removed_by`` and ``removal_reason_hash``). ``last_*`` is the last event applied.
    """

    __tablename__: ClassVar[str] = "appraiser"
    __table_args__ = (position_index("appraiser", "last"),)

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


class ValuationRecordRow(RecordKey, table=True):
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
        *certificate_event_args("valuation", "submitted_block", "submitted_log_index"),
        Index("ix_valuation_appraiser", "appraiser"),
        position_index("valuation", "last"),
    )

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


class AccountingClassRecord(CertificateKey, table=True):
    """The accounting class (数据资源入表: ``intangible_asset`` or ``inventory``) a holder last
    recorded for a certificate, and that holder. The choice lapses when the certificate moves to
    another holder; that is judged when read, against ``registration.holder``."""

    __tablename__: ClassVar[str] = "accounting_class"
    __table_args__ = (
        registration_fk("fk_accounting_class_registration"),
        position_index("accounting_class", "last"),
    )

    accounting_class: str = Field(sa_type=String(24), description="AccountingClass value")
    holder: str = Field(sa_type=String(ADDRESS_LENGTH))
    set_at: datetime = Field(sa_type=UTCDateTime)
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)
