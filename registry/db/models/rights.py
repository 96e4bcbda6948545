"""Rights over certificates, derived from the events of ``TransferAgent`` and
``LicenceRegistry``: ``transfer``, ``pledge``, ``pledge_event``, ``freeze``, ``freeze_event``,
``licence``, ``transfer_approval``, ``cross_border_record`` and ``party_country``."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlmodel import Field

from registry.db.models.base import (
    ADDRESS_LENGTH,
    HASH_LENGTH,
    UINT64_DIGITS,
    UINT128_DIGITS,
    CertificateKey,
    ChainKey,
    EventKey,
    RecordKey,
    UTCDateTime,
    certificate_event_args,
    position_index,
    raw_event_fk,
    registration_fk,
)


class TransferRecord(EventKey, table=True):
    """One movement of a certificate (``TransferAgent.CertificateTransferred``), with its reason.

    ``document_hash`` is the SHA-256 of the contract or court order (``None``: none given); for
    a pledge enforcement it is the pledge id as 32 bytes.
    """

    __tablename__: ClassVar[str] = "transfer"
    __table_args__ = (
        *certificate_event_args("transfer", "block_number", "log_index"),
        Index("ix_transfer_from", "from_address"),
        Index("ix_transfer_to", "to_address"),
    )

    token_id: int = Field(sa_type=BigInteger)
    from_address: str = Field(sa_type=String(ADDRESS_LENGTH))
    to_address: str = Field(sa_type=String(ADDRESS_LENGTH))
    reason: str = Field(sa_type=String(24), description="TransferReason value")
    document_hash: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    transferred_at: datetime = Field(sa_type=UTCDateTime)
    actor: str | None = Field(
        default=None,
        sa_type=String(ADDRESS_LENGTH),
        description="who moved it: the holder, a regulator (court order), the pledgee "
        "(enforcement); None for events mirrored before contracts v2",
    )


class PledgeRecord(RecordKey, table=True):
    """A pledge (质押) as its events leave it: registered (``registered_*``), its pledgor
    following the certificate (``PledgorChanged``), then released, enforced or settled by the
    certificate's end (``closed_*``; ``end_status``: the end that settled it, cancelled, revoked
    or expired).

    ``secured_amount`` is the ``uint128`` in the currency's minor unit, as decimal text.
    ``last_*`` is the position of the last event applied to the row.
    """

    __tablename__: ClassVar[str] = "pledge"
    __table_args__ = (
        *certificate_event_args("pledge", "registered_block", "registered_log_index"),
        Index("ix_pledge_pledgor", "pledgor"),
        Index("ix_pledge_pledgee", "pledgee"),
        Index("ix_pledge_status", "status"),
        position_index("pledge", "last"),
    )

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
    end_status: str | None = Field(
        default=None, sa_type=String(16), description="registration Status value of the end"
    )


class PledgeEventRecord(EventKey, table=True):
    """Every event of every pledge, in chain order: the lien history of a certificate.

    ``kind`` is registered, released, enforced, settled, consent_granted, consent_used,
    consent_withdrawn or pledgor_changed; ``action`` is the consent's ``ConsentAction`` value;
    ``party`` is the pledgor (registered, pledgor_changed, settled), the pledgee (released), the
    recipient (enforced) or the counterparty (consents). ``actor`` is who acted (the pledgee
    granting or withdrawing a consent, the pledgor using one, whoever moved the certificate for
    pledgor_changed; ``None`` where the event does not say, e.g. settled, or before contracts
    v2); ``deadline`` is when a granted consent lapses.
    """

    __tablename__: ClassVar[str] = "pledge_event"
    __table_args__ = (
        raw_event_fk("block_number", "log_index", "fk_pledge_event_raw_event"),
        Index("ix_pledge_event_pledge", "chain_id", "pledge_id"),
        Index("ix_pledge_event_token", "chain_id", "token_id"),
    )

    pledge_id: int = Field(sa_type=BigInteger)
    token_id: int = Field(sa_type=BigInteger)
    kind: str = Field(sa_type=String(24))
    action: str | None = Field(default=None, sa_type=String(24))
    party: str = Field(sa_type=String(ADDRESS_LENGTH))
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FreezeRecord(CertificateKey, table=True):
    """Whether a certificate is frozen now (冻结): one row per certificate ever frozen.

    ``since``, ``frozen_by`` and ``case_ref`` describe the current freeze (``None`` once
    unfrozen, as the contract clears them); ``last_*`` is the last freeze or unfreeze applied.
    """

    __tablename__: ClassVar[str] = "freeze"
    __table_args__ = (
        registration_fk("fk_freeze_registration"),
        position_index("freeze", "last"),
    )

    frozen: bool = Field(sa_type=Boolean)
    since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    frozen_by: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    case_ref: str | None = Field(default=None, sa_type=String(HASH_LENGTH))
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)


class FreezeEventRecord(EventKey, table=True):
    """Every freeze and unfreeze, in chain order, with who acted (``regulator``: the regulator
    that froze; for an unfreeze that regulator or the admin) and the case reference."""

    __tablename__: ClassVar[str] = "freeze_event"
    __table_args__ = (
        raw_event_fk("block_number", "log_index", "fk_freeze_event_raw_event"),
        Index("ix_freeze_event_token", "chain_id", "token_id"),
    )

    token_id: int = Field(sa_type=BigInteger)
    frozen: bool = Field(sa_type=Boolean, description="true: frozen, false: unfrozen")
    regulator: str = Field(sa_type=String(ADDRESS_LENGTH))
    case_ref: str = Field(sa_type=String(HASH_LENGTH))
    tx_hash: str = Field(sa_type=String(HASH_LENGTH))
    at: datetime = Field(sa_type=UTCDateTime)


class LicenceRecord(RecordKey, table=True):
    """A licence or sublicence (数据许可) of ``LicenceRegistry``: granted (``granted_*``), and
    terminated once a party ends it (``terminated_*``) or settled when its certificate ends
    (``settled_*``, from ``LicencesSettled``). ``licensor`` is the licensor at the grant; the
    licensor of a direct licence is whoever holds the certificate now (resolved when read).

    ``right`` is the :class:`~registry.domain.registration.Right` value; ``purposes`` and
    ``territories`` are the ``uint64`` bit sets (docs/licences.md) as decimal text. Whether a
    licence is *live* depends on the time and on its parents, so it is derived when read.
    """

    __tablename__: ClassVar[str] = "licence"
    __table_args__ = (
        *certificate_event_args("licence", "granted_block", "granted_log_index"),
        Index("ix_licence_parent", "chain_id", "parent_id"),
        Index("ix_licence_licensee", "licensee"),
        Index("ix_licence_licensor", "licensor"),
        Index("ux_licence_voucher_number", "voucher_number", unique=True),
        position_index("licence", "last"),
    )

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
    settled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    settled_end: str | None = Field(
        default=None, sa_type=String(16), description="the certificate's end (Status value)"
    )
    last_block: int = Field(sa_type=BigInteger)
    last_log_index: int = Field(sa_type=Integer)


class RecipientKey(CertificateKey):
    """Key of a regulator's record about one certificate and one recipient."""

    recipient: str = Field(sa_type=String(ADDRESS_LENGTH), primary_key=True)


class TransferApprovalRecord(RecipientKey, table=True):
    """A regulator's approval of one move of important data from ``from_address`` (the holder
    when approved) to one recipient, as last set (``expiry`` ``None``: withdrawn). The move
    spends it (``used_at``, ``used_by``: when and who moved; the contract then forgets it). Not
    tied to a registration row (approvals before contracts v2 accepted any id)."""

    __tablename__: ClassVar[str] = "transfer_approval"
    __table_args__ = (position_index("transfer_approval", "updated"),)

    expiry: datetime | None = Field(default=None, sa_type=UTCDateTime)
    regulator: str = Field(sa_type=String(ADDRESS_LENGTH))
    updated_block: int = Field(sa_type=BigInteger)
    updated_log_index: int = Field(sa_type=Integer)
    from_address: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))


class CrossBorderRecordRow(RecipientKey, table=True):
    """The basis of a transfer abroad (数据出境) of one certificate to one recipient, as last
    recorded: mechanism, expiry, recipient country, hash of the approval (filing) number, and
    the exporter it lets export (the holder when recorded; ``None`` before contracts v2)."""

    __tablename__: ClassVar[str] = "cross_border_record"
    __table_args__ = (position_index("cross_border_record", "updated"),)

    mechanism: str = Field(sa_type=String(24), description="CrossBorderMechanism value")
    expiry: datetime | None = Field(default=None, sa_type=UTCDateTime)
    country: str = Field(sa_type=String(2))
    approval_number_hash: str = Field(sa_type=String(HASH_LENGTH))
    regulator: str = Field(sa_type=String(ADDRESS_LENGTH))
    updated_block: int = Field(sa_type=BigInteger)
    updated_log_index: int = Field(sa_type=Integer)
    exporter: str | None = Field(default=None, sa_type=String(ADDRESS_LENGTH))


class PartyCountry(ChainKey, table=True):
    """The country a regulator recorded for a party (``None``: cleared; no certificate moves to
    a party without a country)."""

    __tablename__: ClassVar[str] = "party_country"
    __table_args__ = (position_index("party_country", "updated"),)

    party: str = Field(sa_type=String(ADDRESS_LENGTH), primary_key=True)
    country: str | None = Field(default=None, sa_type=String(2))
    regulator: str = Field(sa_type=String(ADDRESS_LENGTH))
    updated_block: int = Field(sa_type=BigInteger)
    updated_log_index: int = Field(sa_type=Integer)
