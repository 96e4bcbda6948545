"""Valuations (资产评估) of certificates, appraisers and accounting classes, as typed objects
mirroring ``ValuationRegistry``.

Enum members follow the contract's Solidity enums (position = chain value). Values are integers
in the currency's minor unit (:mod:`registry.domain.money`). A valuation base date (评估基准日)
is a calendar date in China Standard Time; on chain it is that day's first second (UTC+8).

:class:`ValuationSubmission` is what an appraiser sends (pydantic, validated with messages that
name the field); :class:`Valuation`, :class:`Appraiser` are what the chain holds;
:func:`staleness` says why a valuation no longer counts as current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from registry.domain.chain import ZERO_HASH, ChainEnum, optional_hash, when
from registry.domain.inputs import as_value_error
from registry.domain.money import format_minor, normalise_currency
from registry.domain.numbers import CST
from registry.domain.registration import Scale, UpdateFrequency

_MAX_UINT128 = 2**128 - 1
#: Longest report URI the contract accepts (bytes of UTF-8).
MAX_REPORT_URI_BYTES = 512


class ValuationMethod(ChainEnum):
    """The appraisal approach (评估方法)."""

    NONE = "none"
    COST = "cost"  # 成本法
    INCOME = "income"  # 收益法
    MARKET = "market"  # 市场法
    COMBINED = "combined"  # 多种方法综合


class ValueType(ChainEnum):
    """The type of value (价值类型)."""

    NONE = "none"
    MARKET_VALUE = "market_value"  # 市场价值
    INVESTMENT_VALUE = "investment_value"  # 投资价值
    ORDERLY_LIQUIDATION_VALUE = "orderly_liquidation_value"  # 有序清算价值
    FORCED_LIQUIDATION_VALUE = "forced_liquidation_value"  # 强制清算价值
    OTHER_VALUE = "other_value"


class ValuationPurpose(ChainEnum):
    """Why the valuation was made (评估目的)."""

    NONE = "none"
    PLEDGE_FINANCING = "pledge_financing"  # 质押融资
    TRANSACTION = "transaction"  # 交易
    FINANCIAL_REPORTING = "financial_reporting"  # 入表
    INVESTMENT = "investment"  # 出资
    LITIGATION = "litigation"  # 诉讼
    OTHER = "other"


class ValuationStatus(ChainEnum):
    NONE = "none"
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class AccountingClass(ChainEnum):
    """How the holder accounts for the data (企业数据资源相关会计处理暂行规定, 2024)."""

    NONE = "none"
    INTANGIBLE_ASSET = "intangible_asset"  # 无形资产: used internally
    INVENTORY = "inventory"  # 存货: held for sale


def base_date_timestamp(day: date) -> int:
    """The first second of ``day`` in China Standard Time, as Unix seconds."""
    return int(datetime.combine(day, time(0), tzinfo=timezone(CST)).timestamp())


def base_date_of(seconds: int) -> date:
    return datetime.fromtimestamp(int(seconds), tz=timezone(CST)).date()


def _hash32(value: str, field: str) -> str:
    text = value.strip().lower()
    body = text.removeprefix("0x")
    if len(body) != 64 or any(c not in "0123456789abcdef" for c in body):
        raise ValueError(f"{field} must be 32 bytes of hex (0x + 64 hex digits)")
    return "0x" + body


class AssetFacts(BaseModel):
    """The facts of the asset a valuation assumed (scale, structure, update frequency)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    scale: Scale
    structure: str = Field(min_length=1, max_length=20_000)
    update_frequency: UpdateFrequency


class Computation(BaseModel):
    """A calculator run (``registry.valuation.calculators``): its record becomes the report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = Field(description="cost, income, market or combined")
    inputs: dict[str, Any]


class ValuationSubmission(BaseModel):
    """A valuation an appraiser attests to.

    The report is named by ``report_hash`` (SHA-256 of the appraisal report, kept by the
    appraiser) or produced by ``computation``: the calculator's computation record is stored
    and its SHA-256 recorded; ``value`` and ``currency`` then come from it (if given they must
    agree). ``asset_version`` defaults to the certificate's current version; ``facts`` to the
    scale, structure and update frequency of the current metadata.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    method: ValuationMethod
    value: int | None = Field(default=None, gt=0, le=_MAX_UINT128, description="minor units")
    currency: str | None = None
    value_type: ValueType = ValueType.MARKET_VALUE
    base_date: date = Field(description="评估基准日 (a date; China Standard Time)")
    purpose: ValuationPurpose
    asset_version: int | None = Field(default=None, ge=1, le=2**32 - 1)
    report_hash: str | None = None
    report_uri: str | None = Field(default=None, max_length=MAX_REPORT_URI_BYTES)
    computation: Computation | None = None
    facts: AssetFacts | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else as_value_error(normalise_currency, value)

    @field_validator("method", "value_type", "purpose")
    @classmethod
    def _not_none(cls, value: ChainEnum) -> ChainEnum:
        if value.value == "none":
            raise ValueError("must be given (not 'none')")
        return value

    @field_validator("report_hash")
    @classmethod
    def _report_hash(cls, value: str | None) -> str | None:
        if value is None:
            return None
        checked = _hash32(value, "report_hash")
        if checked == ZERO_HASH:
            raise ValueError("report_hash cannot be zero")
        return checked

    @field_validator("report_uri")
    @classmethod
    def _report_uri(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if any(not 0x21 <= ord(c) <= 0x7E for c in value):
            raise ValueError(
                "report_uri must be visible ASCII without spaces (percent-encode the rest, as "
                "RFC 3986 asks)"
            )
        return value

    @model_validator(mode="after")
    def _report(self) -> ValuationSubmission:
        if (self.report_hash is None) == (self.computation is None):
            raise ValueError("give either report_hash or computation (not both, not neither)")
        if self.computation is None and (self.value is None or self.currency is None):
            raise ValueError("value and currency are required with a report_hash")
        return self


@dataclass(frozen=True)
class Appraiser:
    """An appraisal firm's account and its accreditation (资产评估机构)."""

    address: str
    accredited: bool
    accredited_at: datetime | None
    removed_at: datetime | None
    accreditation_hash: str | None

    @property
    def removed(self) -> bool:
        return self.removed_at is not None and not self.accredited

    @classmethod
    def from_chain(cls, address: str, raw: tuple[Any, ...]) -> Appraiser:
        accredited, accredited_at, removed_at, accreditation = raw
        return cls(
            address=address,
            accredited=bool(accredited),
            accredited_at=when(accredited_at),
            removed_at=when(removed_at),
            accreditation_hash=optional_hash(accreditation),
        )


@dataclass(frozen=True)
class Valuation:
    """A valuation as recorded on chain (append-only; withdrawn ones stay visible)."""

    id: int
    token_id: int
    appraiser: str
    asset_version: int
    value: int  # minor units of ``currency``
    currency: str
    method: ValuationMethod
    value_type: ValueType
    purpose: ValuationPurpose
    base_date: date
    submitted_at: datetime
    status: ValuationStatus
    withdrawn_at: datetime | None
    report_hash: str
    facts_hash: str | None

    @property
    def active(self) -> bool:
        return self.status is ValuationStatus.ACTIVE

    @property
    def amount_text(self) -> str:
        return f"{format_minor(self.value, self.currency)} {self.currency}"

    @classmethod
    def from_chain(cls, valuation_id: int, raw: tuple[Any, ...]) -> Valuation:
        (
            token_id,
            appraiser,
            version,
            value,
            submitted_at,
            base_date,
            currency,
            method,
            value_type,
            purpose,
            status,
            withdrawn_at,
            report,
            facts,
        ) = raw
        return cls(
            id=valuation_id,
            token_id=int(token_id),
            appraiser=str(appraiser),
            asset_version=int(version),
            value=int(value),
            currency=bytes(currency).decode("ascii"),
            method=ValuationMethod.of_chain(int(method)),
            value_type=ValueType.of_chain(int(value_type)),
            purpose=ValuationPurpose.of_chain(int(purpose)),
            base_date=base_date_of(int(base_date)),
            submitted_at=datetime.fromtimestamp(int(submitted_at), tz=UTC),
            status=ValuationStatus.of_chain(int(status)),
            withdrawn_at=when(withdrawn_at),
            report_hash="0x" + bytes(report).hex(),
            facts_hash=optional_hash(facts),
        )


def staleness(
    valuation: Valuation, *, now: datetime, current_version: int, max_age_days: int
) -> list[str]:
    """Why ``valuation`` is stale at ``now`` (empty: it is current).

    Stale: its base date is more than ``max_age_days`` before ``now`` (China Standard Time
    dates), or it assumed an older data version than the certificate's current one.
    """
    reasons: list[str] = []
    today = now.astimezone(timezone(CST)).date()
    if today - valuation.base_date > timedelta(days=max_age_days):
        reasons.append(
            f"the base date {valuation.base_date.isoformat()} is more than {max_age_days} days "
            f"before {today.isoformat()}"
        )
    if valuation.asset_version < current_version:
        reasons.append(
            f"it values data version {valuation.asset_version}; the asset is at version "
            f"{current_version}"
        )
    return reasons
