"""Rights over a certificate after issuance: transfers, pledges, freezes, cross-border records
and licences, as typed objects mirroring ``TransferAgent`` and ``LicenceRegistry``.

Enum members are listed in the order of the contracts' Solidity enums, so a member's position is
its chain value (``.chain`` / ``of_chain``). Purposes and territories of licences are bit sets on
chain: :class:`Purpose` and :class:`Territory` name the bits (documented in docs/licences.md;
a code, once published, never changes its bit). Amounts are integers in the currency's minor
unit (fen, cents); currencies are ISO 4217 codes (:mod:`registry.domain.money`).

:class:`PledgeTerms` and :class:`LicenceTerms` are what clients send (pydantic, validated with
messages that name the field); :class:`Pledge`, :class:`Licence`, :class:`Freeze` and
:class:`CrossBorderRecord` are what the chain holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from registry.domain.chain import ChainEnum, hex_text, optional_hash, when
from registry.domain.inputs import as_value_error, checked_address
from registry.domain.money import format_minor, minor_unit_exponent, normalise_currency
from registry.domain.numbers import Uint256, check_digit, cst_year_month, with_check_digit
from registry.domain.registration import Right
from registry.errors import InputError, MalformedNumberError

VOUCHER_DIGITS = 16
_MAX_UINT48 = 2**48 - 1
_MAX_UINT128 = 2**128 - 1


class TransferReason(ChainEnum):
    """Why a certificate moved (``ITransferAgent.TransferReason``)."""

    NONE = "none"
    SALE = "sale"  # 买卖
    INHERITANCE = "inheritance"  # 继承
    MERGER = "merger"  # 合并分立
    COURT_ORDER = "court_order"  # 司法划转
    PLEDGE_ENFORCEMENT = "pledge_enforcement"  # 质权实现


#: Reasons a holder may give for a transfer it makes itself.
HOLDER_REASONS = frozenset({TransferReason.SALE, TransferReason.INHERITANCE, TransferReason.MERGER})


class PledgeStatus(ChainEnum):
    NONE = "none"
    LIVE = "live"
    RELEASED = "released"  # 解押
    ENFORCED = "enforced"  # 质权实现
    SETTLED = "settled"  # closed by the certificate's end (cancelled, revoked, expired)


class ConsentAction(ChainEnum):
    """What a pledgee's consent unlocks while its pledge is live."""

    TRANSFER = "transfer"
    CANCEL = "cancel"
    EXCLUSIVE_LICENCE = "exclusive_licence"
    CHANGE = "change"  # a new dataset version (the collateral changes)


class CrossBorderMechanism(ChainEnum):
    """Legal basis of a transfer abroad (数据出境)."""

    NONE = "none"
    SECURITY_ASSESSMENT = "security_assessment"  # 数据出境安全评估
    STANDARD_CONTRACT = "standard_contract"  # 个人信息出境标准合同
    CERTIFICATION = "certification"  # 个人信息保护认证


#: The longest a cross-border record may run (``TransferAgent.CROSS_BORDER_MAX_TERM``: three
#: years with a leap day).
CROSS_BORDER_MAX_TERM = timedelta(days=1096)

#: The mechanisms a cross-border record of important data may use (general data: any but NONE).
IMPORTANT_DATA_MECHANISMS = frozenset({CrossBorderMechanism.SECURITY_ASSESSMENT})


class LicenceStatus(ChainEnum):
    """The stored status; whether a licence is *live* also depends on time and its parents."""

    NONE = "none"
    ACTIVE = "active"
    TERMINATED = "terminated"
    #: ended with its certificate (cancelled, revoked or closed as expired: ``LicencesSettled``)
    SETTLED = "settled"


#: Rights a licence can grant (the holding right is transferred, never licensed).
LICENSABLE_RIGHTS = (Right.PROCESSING_USE, Right.PRODUCT_OPERATION)


# --- purposes and territories: named bits --------------------------------------------------------


class _Bits(StrEnum):
    """Named bits of a ``uint64`` set; the bit is the member's position (never reorder)."""

    @property
    def bit(self) -> int:
        return 1 << list(type(self)).index(self)

    @classmethod
    def mask(cls, members: Any) -> int:
        value = 0
        for member in members:
            value |= cls(member).bit
        return value

    @classmethod
    def of_mask(cls, mask: int) -> frozenset[Self]:
        return frozenset(m for m in cls if mask & m.bit)

    @classmethod
    def unknown_bits(cls, mask: int) -> int:
        """Bits of ``mask`` that no member names."""
        return mask & ~((1 << len(cls)) - 1)


class Purpose(_Bits):
    """Purposes a licence permits (docs/licences.md). Bit = position."""

    INTERNAL_ANALYSIS = "internal_analysis"  # 0 内部分析
    PRODUCT_DEVELOPMENT = "product_development"  # 1 产品研发
    MODEL_TRAINING = "model_training"  # 2 模型训练
    RESALE = "resale"  # 3 转售
    MARKETING = "marketing"  # 4 营销推广
    CREDIT_ASSESSMENT = "credit_assessment"  # 5 信用评估
    RISK_CONTROL = "risk_control"  # 6 风险控制
    PUBLIC_SERVICE = "public_service"  # 7 公共服务
    RESEARCH = "research"  # 8 科学研究
    STATISTICS = "statistics"  # 9 统计分析
    URBAN_GOVERNANCE = "urban_governance"  # 10 城市治理
    INSURANCE = "insurance"  # 11 保险精算
    SUPPLY_CHAIN = "supply_chain"  # 12 供应链管理
    HEALTHCARE = "healthcare"  # 13 医疗健康


class Territory(_Bits):
    """Territories a licence covers (docs/licences.md). Bit = position."""

    MAINLAND_CHINA = "mainland_china"  # 0 中国大陆
    HONG_KONG = "hong_kong"  # 1 香港
    MACAO = "macao"  # 2 澳门
    TAIWAN = "taiwan"  # 3 台湾
    ASEAN = "asean"  # 4 东盟
    EU = "eu"  # 5 欧盟
    USA = "usa"  # 6 美国
    UNITED_KINGDOM = "united_kingdom"  # 7 英国
    JAPAN = "japan"  # 8 日本
    SOUTH_KOREA = "south_korea"  # 9 韩国
    MIDDLE_EAST = "middle_east"  # 10 中东
    WORLDWIDE_OTHER = "worldwide_other"  # 11 其他国家和地区


# --- currencies ----------------------------------------------------------------------------------

#: ISO 4217 codes accepted for secured amounts, with the digits of their minor unit.
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def check_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 country code (two letters), upper-cased."""
    upper = code.strip().upper()
    if not _COUNTRY.match(upper):
        raise InputError(f"country {code[:20]!r} must be an ISO 3166-1 alpha-2 code such as US")
    return upper


# --- times -------------------------------------------------------------------------------------


def timestamp_of(moment: datetime, field: str) -> int:
    """Unix seconds of an aware ``moment`` that fits a ``uint48``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(f"{field} {moment.isoformat()} has no timezone; give an aware time")
    seconds = int(moment.timestamp())
    if not 0 < seconds <= _MAX_UINT48:
        raise InputError(f"{field} {moment.isoformat()} is out of range")
    return seconds


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def _ascii(value: Any) -> str:
    raw = value if isinstance(value, bytes | bytearray) else bytes.fromhex(hex_text(value)[2:])
    return bytes(raw).rstrip(b"\0").decode("ascii", errors="replace")


def _seconds_normalised(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} has no timezone; give an aware time")
    return value.astimezone(UTC).replace(microsecond=0)


# --- voucher numbers ---------------------------------------------------------------------------


def voucher_number(granted_at: int, right: Right | int, exclusive: bool, licence_id: int) -> str:
    """The 16-digit licence voucher number (许可凭证号), as ``LicenceRegistry`` computes it:
    grant year in UTC+8 (4), right (1: 2 processing-use, 4 product-operation), exclusive (1),
    licence id (9), ISO 7064 MOD 11,10 check digit (1)."""
    year, _ = cst_year_month(granted_at)
    digit = right.bit if isinstance(right, Right) else int(right)
    return with_check_digit(f"{year:04d}{digit:01d}{int(exclusive):01d}{licence_id:09d}")


@dataclass(frozen=True)
class VoucherNumber:
    text: str
    year: int
    right: Right
    exclusive: bool
    licence_id: int


def parse_voucher_number(text: str) -> VoucherNumber:
    """Validate a voucher number's shape and check digit (spaces and hyphens are ignored)."""
    digits = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(rf"\d{{{VOUCHER_DIGITS}}}", digits):
        raise MalformedNumberError(f"voucher number {text[:40]!r} must be {VOUCHER_DIGITS} digits")
    expected = check_digit(digits[:-1])
    if expected != int(digits[-1]):
        raise MalformedNumberError(
            f"voucher number {text!r} fails its check digit: it is mistyped (expected last "
            f"digit {expected})"
        )
    rights = {r.bit: r for r in LICENSABLE_RIGHTS}
    if int(digits[4]) not in rights or digits[5] not in "01":
        raise MalformedNumberError(f"voucher number {text!r} names no licensable right")
    return VoucherNumber(
        digits, int(digits[:4]), rights[int(digits[4])], digits[5] == "1", int(digits[6:15])
    )


# --- what the chain holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pledge:
    """A registered pledge (质押登记) of a certificate."""

    id: int
    token_id: int
    pledgor: str
    pledgee: str
    secured_amount: int  # minor units of ``currency``
    currency: str
    loan_ref: str  # SHA-256 of the loan reference text
    registered_at: datetime
    maturity: datetime
    status: PledgeStatus

    @property
    def live(self) -> bool:
        return self.status is PledgeStatus.LIVE

    @property
    def amount_text(self) -> str:
        return f"{format_minor(self.secured_amount, self.currency)} {self.currency}"

    @classmethod
    def from_chain(cls, pledge_id: int, raw: tuple[Any, ...]) -> Pledge:
        token_id, pledgor, pledgee, amount, currency, registered_at, maturity, status, loan = raw
        return cls(
            id=pledge_id,
            token_id=int(token_id),
            pledgor=str(pledgor),
            pledgee=str(pledgee),
            secured_amount=int(amount),
            currency=_ascii(currency),
            loan_ref=hex_text(loan).lower(),
            registered_at=_utc(registered_at),
            maturity=_utc(maturity),
            status=PledgeStatus.of_chain(int(status)),
        )


@dataclass(frozen=True)
class Freeze:
    """Whether a certificate is frozen (冻结), since when, by whom, for which case."""

    token_id: int
    frozen: bool
    since: datetime | None
    by: str | None
    case_ref: str | None  # SHA-256 of the case reference text

    @classmethod
    def from_chain(cls, token_id: int, raw: tuple[Any, ...]) -> Freeze:
        frozen, since, by, case_ref = raw
        return cls(
            token_id=token_id,
            frozen=bool(frozen),
            since=when(since),
            by=None if int(str(by), 16) == 0 else str(by),
            case_ref=optional_hash(case_ref),
        )


@dataclass(frozen=True)
class CrossBorderRecord:
    """The basis on which a certificate may go to one recipient abroad (数据出境)."""

    token_id: int
    recipient: str
    mechanism: CrossBorderMechanism
    expiry: datetime | None
    country: str | None
    approval_number_hash: str | None
    #: the holder allowed to export under the record (the holder when it was recorded)
    exporter: str | None

    @classmethod
    def from_chain(cls, token_id: int, recipient: str, raw: tuple[Any, ...]) -> CrossBorderRecord:
        mechanism, expiry, country, approval, exporter = raw
        return cls(
            token_id=token_id,
            recipient=recipient,
            mechanism=CrossBorderMechanism.of_chain(int(mechanism)),
            expiry=when(expiry),
            country=_ascii(country) or None,
            approval_number_hash=optional_hash(approval),
            exporter=None if int(str(exporter), 16) == 0 else str(exporter),
        )

    def valid_at(self, moment: datetime, exporter: str | None = None) -> bool:
        """Whether the record lets ``exporter`` (any exporter when ``None``) move at ``moment``."""
        return (
            self.mechanism is not CrossBorderMechanism.NONE
            and self.expiry is not None
            and self.expiry >= moment
            and (
                exporter is None
                or (self.exporter is not None and self.exporter.lower() == exporter.lower())
            )
        )


@dataclass(frozen=True)
class PledgeConsent:
    """A pledgee's consent to one action with one counterparty (``ITransferAgent.Consent``):
    given to ``pledgor`` until ``deadline``; ``None`` values: no consent."""

    pledge_id: int
    action: ConsentAction
    counterparty: str
    pledgor: str | None
    deadline: datetime | None

    @classmethod
    def from_chain(
        cls, pledge_id: int, action: ConsentAction, counterparty: str, raw: tuple[Any, ...]
    ) -> PledgeConsent:
        pledgor, deadline = raw
        return cls(
            pledge_id=pledge_id,
            action=action,
            counterparty=counterparty,
            pledgor=None if int(str(pledgor), 16) == 0 else str(pledgor),
            deadline=when(deadline),
        )

    def usable_by(self, pledgor: str, moment: datetime) -> bool:
        """Whether the consent lets ``pledgor`` act at ``moment``."""
        return (
            self.pledgor is not None
            and self.pledgor.lower() == pledgor.lower()
            and self.deadline is not None
            and self.deadline >= moment
        )


@dataclass(frozen=True)
class Transfer:
    """One movement of a certificate (``CertificateTransferred``)."""

    token_id: int
    from_: str
    to: str
    reason: TransferReason
    document_hash: str | None  # contract or court order (SHA-256); pledge id for enforcement
    tx_hash: str
    block_number: int


@dataclass(frozen=True)
class Licence:
    """A licence (数据许可) or sublicence, with its voucher number and liveness.

    ``live`` is the contract's ``isLive`` at the block read: active, inside its term, every
    parent live, the certificate issued and not expired.
    """

    id: int
    voucher_number: str
    token_id: int
    parent_id: int | None
    licensor: str
    licensee: str
    right: Right
    exclusive: bool
    sublicensable: bool
    purposes: frozenset[Purpose]
    territories: frozenset[Territory]
    granted_at: datetime
    start: datetime
    end: datetime
    status: LicenceStatus
    terms_hash: str
    fee_terms_hash: str | None
    live: bool

    @classmethod
    def from_chain(cls, licence_id: int, raw: tuple[Any, ...], live: bool) -> Licence:
        (
            token_id,
            parent_id,
            licensor,
            granted_at,
            start,
            licensee,
            end,
            right,
            exclusive,
            sublicensable,
            status,
            purposes,
            territories,
            terms_hash,
            fee_terms_hash,
        ) = raw
        return cls(
            id=licence_id,
            voucher_number=voucher_number(int(granted_at), int(right), bool(exclusive), licence_id),
            token_id=int(token_id),
            parent_id=int(parent_id) or None,
            licensor=str(licensor),
            licensee=str(licensee),
            right=right_of_bit(int(right)),
            exclusive=bool(exclusive),
            sublicensable=bool(sublicensable),
            purposes=Purpose.of_mask(int(purposes)),
            territories=Territory.of_mask(int(territories)),
            granted_at=_utc(granted_at),
            start=_utc(start),
            end=_utc(end),
            status=LicenceStatus.of_chain(int(status)),
            terms_hash=hex_text(terms_hash).lower(),
            fee_terms_hash=optional_hash(fee_terms_hash),
            live=bool(live),
        )


def right_of_bit(bit: int) -> Right:
    for right in Right:
        if right.bit == bit:
            return right
    raise InputError(f"{bit} is not the bit of a right")


# --- what clients send -------------------------------------------------------------------------


class _Terms(BaseModel):
    """Terms a party signs for: the other party (``pledgee``, ``licensee``) is named by a chain
    address, checked like every address (an error names the field)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("pledgee", "licensee", check_fields=False)
    @classmethod
    def _counterparty(cls, value: str, info: ValidationInfo) -> str:
        assert info.field_name is not None  # always set for a field validator
        return as_value_error(checked_address, value, info.field_name)


class PledgeTerms(_Terms):
    """A pledge both the holder (pledgor) and the lender (pledgee) sign (EIP-712).

    The certificate is named by ``token_id`` or ``certificate_number`` (one of them). The loan
    reference (loan contract number) is kept off chain; its SHA-256 is signed and recorded.
    ``deadline`` is when the two signatures stop being accepted.
    """

    token_id: Uint256 | None = Field(default=None, gt=0)
    certificate_number: str | None = Field(default=None, description="17 digits")
    pledgee: str = Field(description="the lender's chain address")
    secured_amount: int = Field(gt=0, le=_MAX_UINT128, description="minor units (fen, cents)")
    currency: str = Field(description="ISO 4217 code, e.g. CNY")
    loan_reference: str = Field(min_length=1, max_length=500, description="loan contract no.")
    maturity: datetime = Field(description="when the secured loan falls due")
    deadline: datetime | None = Field(default=None, description="the signatures expire then")

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return as_value_error(normalise_currency, value)

    @field_validator("maturity", "deadline")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _seconds_normalised(value)

    @model_validator(mode="after")
    def _one_certificate(self) -> PledgeTerms:
        if (self.token_id is None) == (self.certificate_number is None):
            raise ValueError("name the certificate by token_id or by certificate_number (one)")
        return self

    @property
    def minor_units(self) -> int:
        return minor_unit_exponent(self.currency)


class LicenceTerms(_Terms):
    """A licence (or sublicence) to grant: who, which right, scope, term and terms documents.

    ``odrl`` is the machine-readable policy; when omitted the service builds it from these
    fields (:mod:`registry.rights.odrl`), when given it must state exactly these terms.
    ``fee_terms`` (text) is stored off chain and its SHA-256 recorded.
    """

    licensee: str
    right: Right = Field(description="processing_use or product_operation")
    purposes: list[Purpose] = Field(min_length=1)
    territories: list[Territory] = Field(min_length=1)
    start: datetime
    end: datetime
    exclusive: bool = False
    sublicensable: bool = False
    odrl: dict[str, Any] | None = None
    fee_terms: str | None = Field(default=None, min_length=1, max_length=20_000)

    @field_validator("right")
    @classmethod
    def _licensable(cls, value: Right) -> Right:
        if value not in LICENSABLE_RIGHTS:
            raise ValueError(
                "only the processing_use and product_operation rights are licensed "
                "(the holding right is transferred)"
            )
        return value

    @field_validator("purposes", "territories")
    @classmethod
    def _distinct(cls, value: list[Any]) -> list[Any]:
        if len(set(value)) != len(value):
            raise ValueError("each code may be listed once")
        return sorted(value, key=lambda member: member.bit)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _seconds_normalised(value)

    @model_validator(mode="after")
    def _term(self) -> LicenceTerms:
        if self.end <= self.start:
            raise ValueError("a licence must end after it starts")
        return self

    @property
    def purpose_mask(self) -> int:
        return Purpose.mask(self.purposes)

    @property
    def territory_mask(self) -> int:
        return Territory.mask(self.territories)
