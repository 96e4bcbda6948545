"""Financier verification: the one-call lending answer, and whether a dataset matches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import Public
from api.schemas.rights import FreezePublic, LicencePublic, PledgePublic
from api.schemas.valuation import ValuationPublic
from registry.certificates.standing import Standing
from registry.domain.registration import Classification, Status
from registry.domain.valuation import AccountingClass
from registry.verification.service import Verification


class PartyPublic(Public):
    address: str
    name: str | None


class VerificationPublic(Public):
    """The one-call answer a lender needs, as of ``as_of_block``."""

    number: str
    genuine: bool = Field(description="the number exists on this registry's contract on this chain")
    chain_id: int
    contract: str
    as_of_block: int
    as_of_time: datetime
    status: Status | None = None
    standing: Standing | None = Field(
        default=None,
        description="the effective standing as of as_of_block: lifecycle and encumbrances",
    )
    holder: PartyPublic | None = None
    asset_name: str | None = None
    registrar_code: int | None = None
    registrar_name: str | None = None
    classification: Classification | None = None
    issued_at: datetime | None = None
    valid_until: datetime | None = None
    fingerprint: str | None = None
    version: int | None = None
    open_objections: int = 0
    pledges: list[PledgePublic] = Field(default_factory=list, description="live pledges")
    licences: list[LicencePublic] = Field(default_factory=list, description="live licences")
    frozen: bool = False
    freeze: FreezePublic | None = None
    latest_valuation: ValuationPublic | None = Field(
        default=None, description="the newest valuation not withdrawn, with its staleness"
    )
    accounting_class: AccountingClass | None = None
    lendable: bool
    blockers: list[str]
    cautions: list[str]

    @classmethod
    def of(cls, answer: Verification) -> VerificationPublic:
        """The answer with its registration's facts, its verdict, the holder's name and the
        latest valuation's staleness; for a number not on this registry, only the answer's
        frame (:data:`_FRAME`) and verdict."""
        r = answer.registration
        if r is None:
            return cls.build(answer.verdict, **{name: getattr(answer, name) for name in _FRAME})
        valuation = answer.valuation
        return cls.build(
            answer,
            r,
            answer.verdict,
            holder=PartyPublic(address=r.holder, name=answer.holder_name),
            frozen=answer.freeze is not None,
            latest_valuation=(
                None
                if valuation is None
                else ValuationPublic.of(
                    valuation,
                    stale_reasons=answer.valuation_stale,
                    removed=answer.appraiser_removed,
                )
            ),
        )


_FRAME = ("number", "genuine", "chain_id", "contract", "as_of_block", "as_of_time")
"""What every verification answer states: the number, whether it is genuine, and the chain,
contract and block the answer is as of."""


class DataMatchCreate(BaseModel):
    """A dataset fingerprint, or an inclusion proof (`dareg prove`) of one of its files."""

    fingerprint: str | None = None
    proof: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one(self) -> DataMatchCreate:
        if (self.fingerprint is None) == (self.proof is None):
            raise ValueError("send either a fingerprint or an inclusion proof")
        return self


class DataMatchPublic(Public):
    number: str
    fingerprint: str
    matches: bool
    version: int | None = Field(description="the registered version with this fingerprint")
    current_version: int
    is_current: bool
    as_of_block: int
    member: dict[str, Any] | None = Field(default=None, description="the proven file, if a proof")
