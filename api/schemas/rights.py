"""Rights over issued certificates: pledges (质押), licences (许可), transfers, freezes (冻结),
transfer approvals, cross-border records and party countries.

One public shape per concept (``PledgeRecordPublic``, ``LicenceRecordPublic``,
``FreezeStatePublic``); the compact variants a verification answer lists (``PledgePublic``,
``LicencePublic``, ``FreezePublic``) are subsets of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import Public, compact_of
from api.schemas.relay import RelayPrepare
from registry.domain.money import format_minor
from registry.domain.numbers import Uint256
from registry.domain.registration import Right, Status
from registry.domain.rights import (
    CrossBorderMechanism,
    Freeze,
    Licence,
    LicenceStatus,
    Pledge,
    PledgeStatus,
    PledgeTerms,
    Purpose,
    Territory,
    Transfer,
    TransferReason,
)
from registry.mirror import LicenceRow, PledgeRow, TransferRow

# --- pledges ------------------------------------------------------------------------------------


class PledgeTypedDataCreate(BaseModel):
    """Pledge terms to be signed (EIP-712) by both the holder (pledgor) and the lender."""

    terms: PledgeTerms
    pledgor: str | None = Field(
        default=None, description="the signing holder; default: the certificate's holder now"
    )
    ttl_seconds: int = Field(
        default=600, ge=30, le=86_400, description="used when terms.deadline is not given"
    )


class PledgeTypedData(BaseModel):
    typed_data: dict[str, Any] = Field(description="the EIP-712 document both parties sign")
    terms: PledgeTerms = Field(description="the terms with their deadline: send these to POST")
    pledgor: str
    nonce: int


class PledgeCreate(BaseModel):
    """A pledge both parties signed; the service relays it in one transaction."""

    terms: PledgeTerms
    pledgor_signature: str = Field(description="0x-hex EIP-712 signature of the holder")
    pledgee_signature: str = Field(description="0x-hex EIP-712 signature of the lender")
    pledgor: str | None = Field(default=None, description="default: the certificate's holder")
    nonce: Uint256 | None = Field(
        default=None, description="the signed nonce; default: the certificate's current one"
    )


class PledgeRecordPublic(Public):
    """A registered pledge (质押登记); the ``registered_*`` and closing fields come with mirror
    reads (lien search)."""

    id: int
    token_id: int
    certificate_number: str | None
    pledgor: str
    pledgee: str
    secured_amount: int = Field(description="minor units of the currency (fen, cents)")
    amount: str = Field(description="the secured amount as a decimal, e.g. 5000000.00")
    currency: str
    loan_ref: str = Field(description="SHA-256 of the loan reference")
    registered_at: datetime
    maturity: datetime
    status: PledgeStatus
    live: bool
    closed_at: datetime | None = None
    enforced_to: str | None = None
    end_status: Status | None = Field(
        default=None,
        description="the certificate's end (cancelled, revoked, expired) that settled the pledge",
    )
    registered_block: int | None = None
    registered_tx_hash: str | None = None

    @classmethod
    def of(cls, pledge: Pledge, certificate_number: str | None) -> PledgeRecordPublic:
        """A pledge read from the chain, with its certificate's number."""
        return cls.build(pledge, amount=_amount(pledge), certificate_number=certificate_number)

    @classmethod
    def of_row(cls, row: PledgeRow) -> PledgeRecordPublic:
        """A pledge as mirrored (lien search)."""
        return cls.build(row, amount=_amount(row))


def _amount(pledge: Pledge | PledgeRow) -> str:
    """The secured amount as a decimal in major units."""
    return format_minor(pledge.secured_amount, pledge.currency)


@compact_of(PledgeRecordPublic)
class PledgePublic(Public):
    id: int
    pledgor: str
    pledgee: str
    secured_amount: int
    currency: str
    registered_at: datetime
    maturity: datetime


class PledgeList(Public):
    """Lien search (the mirror), as of ``indexer_head``."""

    items: list[PledgeRecordPublic]
    indexer_head: int | None = Field(description="the mirror's head: the answer is as of it")


# --- licences -----------------------------------------------------------------------------------


class LicenceRecordPublic(Public):
    """A licence (数据许可) or sublicence with its voucher number (许可凭证号)."""

    id: int
    voucher_number: str
    token_id: int
    certificate_number: str | None
    parent_id: int | None
    licensor: str = Field(
        description="a direct licence's licensor is the certificate's current holder; a "
        "sublicence's is its parent's licensee"
    )
    licensee: str
    right: Right
    exclusive: bool
    sublicensable: bool
    purposes: list[Purpose]
    territories: list[Territory]
    granted_at: datetime
    start: datetime
    end: datetime
    status: LicenceStatus
    live: bool
    terms_hash: str = Field(description="SHA-256 of the ODRL policy (GET .../policy)")
    fee_terms_hash: str | None
    granted_tx_hash: str | None = None
    settled_at: datetime | None = Field(
        default=None, description="when the licence ended with its certificate (mirror only)"
    )
    settled_end: str | None = Field(
        default=None,
        description="the certificate's end that settled it: cancelled, revoked, expired",
    )

    @classmethod
    def of(cls, licence: Licence, certificate_number: str | None) -> LicenceRecordPublic:
        """A licence read from the chain, with its certificate's number."""
        return cls.build(licence, certificate_number=certificate_number, **_in_bit_order(licence))

    @classmethod
    def of_row(cls, row: LicenceRow) -> LicenceRecordPublic:
        """A licence as mirrored (disclosure, a certificate's licences)."""
        return cls.build(row, **_in_bit_order(row))


def _in_bit_order(licence: Licence | LicenceRow) -> dict[str, list[Any]]:
    """The purposes and territories of ``licence`` in the order of their bits."""
    return {
        "purposes": sorted(licence.purposes, key=lambda m: m.bit),
        "territories": sorted(licence.territories, key=lambda m: m.bit),
    }


@compact_of(LicenceRecordPublic)
class LicencePublic(Public):
    id: int
    voucher_number: str
    licensee: str
    right: Right
    exclusive: bool
    sublicensable: bool
    start: datetime
    end: datetime


class LicenceList(Public):
    """Licences as mirrored (public disclosure, 授权运营公示), as of ``indexer_head``."""

    items: list[LicenceRecordPublic]
    total: int | None = None
    limit: int | None = None
    offset: int | None = None
    indexer_head: int | None = Field(description="the mirror's head: the answer is as of it")


# --- transfers ----------------------------------------------------------------------------------


class TransferRecordPublic(Public):
    token_id: int
    from_address: str
    to: str
    reason: TransferReason
    document_hash: str | None = Field(
        description="SHA-256 of the contract or court order; the pledge id for an enforcement"
    )
    transferred_at: datetime | None = None
    block_number: int
    tx_hash: str
    actor: str | None = Field(
        default=None,
        description="who moved it (holder, regulator, pledgee); from the mirror, v2 events only",
    )

    @classmethod
    def of(cls, transfer: Transfer | TransferRow) -> TransferRecordPublic:
        """A transfer from a receipt or the mirror (which has its time), ``from_`` renamed."""
        return cls.build(transfer, from_address=transfer.from_)


class TransferList(Public):
    certificate_number: str
    items: list[TransferRecordPublic]
    indexer_head: int | None = Field(description="the mirror's head: the answer is as of it")


class CourtOrderPrepare(RelayPrepare):
    """A court-ordered transfer; ``signer`` is a regulator."""

    certificate_number: str
    to: str
    case_reference: str = Field(min_length=1, max_length=4000, description="kept off chain")


class TransferApprovalPrepare(RelayPrepare):
    """A transfer approval for important data; ``signer`` is a regulator."""

    certificate_number: str
    to: str
    expiry: datetime = Field(description="timezone-aware")


# --- freezes ------------------------------------------------------------------------------------


class FreezePrepare(RelayPrepare):
    """A freeze for a case; ``signer`` is a regulator."""

    certificate_number: str
    case_reference: str = Field(min_length=1, max_length=4000, description="kept off chain")


class FreezeReleasePrepare(RelayPrepare):
    """Lifting a freeze; ``signer`` is the regulator that froze."""

    case_reference: str = Field(min_length=1, max_length=4000, description="kept off chain")


class FreezeStatePublic(Public):
    certificate_number: str
    token_id: int
    frozen: bool
    since: datetime | None
    by: str | None
    case_ref: str | None = Field(description="SHA-256 of the case reference")

    @classmethod
    def of(cls, freeze: Freeze, certificate_number: str) -> FreezeStatePublic:
        """The freeze state with the certificate's number."""
        return cls.build(freeze, certificate_number=certificate_number)


@compact_of(FreezeStatePublic)
class FreezePublic(Public):
    since: datetime | None
    by: str | None
    case_ref: str | None


# --- cross-border records and party countries ---------------------------------------------------


class CrossBorderRecordPrepare(RelayPrepare):
    """The legal basis of a transfer abroad; ``signer`` is a regulator."""

    certificate_number: str
    recipient: str
    mechanism: CrossBorderMechanism
    approval_number: str = Field(min_length=1, max_length=500, description="kept off chain")
    expiry: datetime = Field(description="timezone-aware")
    country: str = Field(description="ISO 3166-1 alpha-2 country of the recipient")


class CrossBorderRecordPublic(Public):
    certificate_number: str
    recipient: str
    mechanism: CrossBorderMechanism
    expiry: datetime | None
    country: str | None
    approval_number_hash: str | None
    exporter: str | None = Field(
        description="the holder the record lets export (the holder when it was recorded)"
    )


class PartyCountryPrepare(RelayPrepare):
    """A party's country; ``signer`` is a regulator."""

    party: str
    country: str | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2 (CN: domestic); null clears it, and no certificate "
        "moves to a party without a recorded country",
    )


class PartyCountryPublic(Public):
    party: str
    country: str | None
