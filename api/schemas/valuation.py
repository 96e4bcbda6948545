"""Valuations (资产评估), the calculators, appraisers and accounting classes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import Public
from api.schemas.relay import RelayPrepare
from registry.domain.money import format_minor
from registry.domain.valuation import (
    AccountingClass,
    Valuation,
    ValuationMethod,
    ValuationPurpose,
    ValuationStatus,
    ValuationSubmission,
    ValueType,
)


class ValuationPublic(Public):
    """A valuation (资产评估) as recorded on chain, with whether it still counts as current."""

    id: int
    token_id: int
    appraiser: str
    appraiser_removed: bool = Field(description="the appraiser has since lost its accreditation")
    method: ValuationMethod
    value: int = Field(description="minor units of currency")
    amount: str = Field(description="value in major units, e.g. 12000000.00")
    currency: str
    value_type: ValueType
    purpose: ValuationPurpose
    base_date: date = Field(description="评估基准日 (China Standard Time)")
    asset_version: int
    report_hash: str
    facts_hash: str | None
    submitted_at: datetime
    status: ValuationStatus
    withdrawn_at: datetime | None
    stale: bool
    stale_reasons: list[str]

    @classmethod
    def of(
        cls, valuation: Valuation, *, stale_reasons: Sequence[str], removed: bool
    ) -> ValuationPublic:
        """The valuation with its amount, staleness and whether its appraiser was removed."""
        return cls.build(
            valuation,
            appraiser_removed=removed,
            amount=format_minor(valuation.value, valuation.currency),
            stale=bool(stale_reasons),
            stale_reasons=list(stale_reasons),
        )


class ComputationCreate(BaseModel):
    method: str = Field(description="cost, income, market or combined")
    inputs: dict[str, Any] = Field(description="the calculator's inputs (docs/valuation.md)")


class ComputationPublic(Public):
    """A calculator's result; ``report_hash`` is the SHA-256 of ``record`` (RFC 8785 JSON)."""

    method: str
    value: int = Field(description="minor units of currency")
    amount: str
    currency: str
    report_hash: str
    record: dict[str, Any]


class ValuationPrepare(RelayPrepare):
    """An appraiser's valuation; ``signer`` is the appraiser."""

    submission: ValuationSubmission


class WithdrawalPrepare(RelayPrepare):
    reason: str = Field(min_length=1, max_length=20_000)


class AccountingClassPrepare(RelayPrepare):
    accounting_class: AccountingClass


class ValuationList(Public):
    """A certificate's valuation history (oldest first), read from the chain as of a block."""

    certificate_number: str
    as_of_block: int
    latest_id: int | None = Field(description="the newest valuation not withdrawn")
    accounting_class: AccountingClass | None
    items: list[ValuationPublic]


class AppraiserPrepare(RelayPrepare):
    """An appraiser's accreditation; ``signer`` is a regulator or the admin."""

    appraiser: str
    accreditation: str = Field(
        min_length=1, max_length=2_000, description="firm name and accreditation number"
    )


class AppraiserRemovalPrepare(RelayPrepare):
    """Removing an appraiser's accreditation; ``signer`` is a regulator or the admin."""

    reason: str | None = Field(default=None, min_length=1, max_length=20_000)


class AppraiserPublic(Public):
    address: str
    accredited: bool
    accredited_at: datetime | None
    removed_at: datetime | None
    accreditation_hash: str | None
