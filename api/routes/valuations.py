"""Valuations (资产评估), appraisers and accounting classes over REST.

Anyone reads a certificate's valuation history and computes with the calculators. Appraisers
attest and withdraw, and holders record their accounting class, by signing a forward request
(``…/prepare`` then ``POST /relay``, see :mod:`api.routes.relay`). A regulator (or the admin)
accredits and removes appraisers the same way, signing ``/regulator/appraisers/…/prepare``
itself: the operator only relays and holds no role.
"""

from __future__ import annotations

import json

from fastapi import APIRouter

from api.deps import (
    Registry,
    SignedInOnly,
    require_appraiser,
    require_appraiser_of,
    require_holder,
    require_regulator,
)
from api.routes.common import ERRORS, certificate_of, prepare
from api.schemas.valuation import (
    AccountingClassPrepare,
    AppraiserPrepare,
    AppraiserPublic,
    AppraiserRemovalPrepare,
    ComputationCreate,
    ComputationPublic,
    ValuationList,
    ValuationPrepare,
    ValuationPublic,
    WithdrawalPrepare,
)
from registry.context import RegistryContext
from registry.domain.chain import ContractCall
from registry.domain.money import format_minor
from registry.domain.numbers import Uint256
from registry.domain.valuation import Valuation
from registry.errors import AppraiserNotFoundError

router = APIRouter(tags=["valuations"])
regulator_router = APIRouter(prefix="/regulator", tags=["regulator"])


def _public(
    registry: RegistryContext, valuations: list[Valuation], block: int | str = "latest"
) -> list[ValuationPublic]:
    """Valuations with their staleness (active ones) and whether their appraiser was removed."""
    return [
        ValuationPublic.of(v, stale_reasons=stale, removed=removed)
        for v, stale, removed in registry.valuations.annotated(valuations, block)
    ]


@router.post(
    "/valuations/compute",
    dependencies=[SignedInOnly],
    response_model=ComputationPublic,
    responses=ERRORS,
)
def compute(body: ComputationCreate, registry: Registry) -> ComputationPublic:
    """Run a calculator (no chain call): the value, and the computation record whose SHA-256
    can be the valuation's report hash."""
    result = registry.valuations.compute(body.method, body.inputs)
    return ComputationPublic(
        method=body.method,
        value=result.value_minor,
        amount=format_minor(result.value_minor, result.currency),
        currency=result.currency,
        report_hash="0x" + result.digest().hex(),
        record=json.loads(result.record.to_json()),
    )


@router.get(
    "/certificates/{number}/valuations",
    dependencies=[SignedInOnly],
    response_model=ValuationList,
    responses=ERRORS,
)
def certificate_valuations(number: str, registry: Registry) -> ValuationList:
    """Every valuation of a certificate, withdrawn ones included (append-only history)."""
    token_id, text = certificate_of(registry, number)
    block = registry.client.head()
    service = registry.valuations
    latest = service.latest_of(token_id, block)
    return ValuationList(
        certificate_number=text,
        as_of_block=block,
        latest_id=latest.id if latest is not None else None,
        accounting_class=service.accounting_class_of(token_id, block),
        items=_public(registry, service.valuations_of(token_id, block), block),
    )


@router.get(
    "/valuations/{valuation_id}",
    dependencies=[SignedInOnly],
    response_model=ValuationPublic,
    responses=ERRORS,
)
def get_valuation(valuation_id: Uint256, registry: Registry) -> ValuationPublic:
    return _public(registry, [registry.valuations.valuation(valuation_id)])[0]


@router.get(
    "/appraisers/{address}",
    dependencies=[SignedInOnly],
    response_model=AppraiserPublic,
    responses=ERRORS,
)
def get_appraiser(address: str, registry: Registry) -> AppraiserPublic:
    """An appraisal firm's accreditation (and its removal); 404 for an account never
    accredited."""
    appraiser = registry.valuations.appraiser(address)
    if appraiser.accredited_at is None:
        raise AppraiserNotFoundError(
            f"{appraiser.address} was never accredited as an appraiser", address=appraiser.address
        )
    return AppraiserPublic.model_validate(appraiser)


@prepare(router, "/certificates/{number}/valuations/prepare", require_appraiser)
def prepare_valuation(number: str, body: ValuationPrepare, registry: Registry) -> ContractCall:
    """An accredited appraiser attests a valuation (refused for anyone else, a certificate not
    issued, a base date in the future, an asset version that does not exist)."""
    token_id, _ = certificate_of(registry, number)
    return registry.valuations.submission_call(token_id, body.submission)


@prepare(router, "/valuations/{valuation_id}/withdrawal/prepare", require_appraiser_of)
def prepare_withdrawal(
    valuation_id: Uint256, body: WithdrawalPrepare, registry: Registry
) -> ContractCall:
    """The appraiser withdraws its own valuation; it stays in the history, marked withdrawn."""
    registry.valuations.valuation(valuation_id)  # 404 for an unknown valuation
    return registry.valuations.withdrawal_call(valuation_id, body.reason)


@prepare(router, "/certificates/{number}/accounting-class/prepare", require_holder)
def prepare_accounting_class(
    number: str, body: AccountingClassPrepare, registry: Registry
) -> ContractCall:
    """The holder records its accounting class: intangible asset (used internally) or
    inventory (held for sale)."""
    token_id, _ = certificate_of(registry, number)
    return registry.valuations.accounting_call(token_id, body.accounting_class)


@prepare(regulator_router, "/appraisers/prepare", require_regulator)
def prepare_accreditation(body: AppraiserPrepare, registry: Registry) -> ContractCall:
    """A regulator (or the admin) accredits an appraisal firm's account."""
    return registry.valuations.accreditation_call(body.appraiser, body.accreditation)


@prepare(regulator_router, "/appraisers/{address}/removal/prepare", require_regulator)
def prepare_removal(
    address: str, body: AppraiserRemovalPrepare, registry: Registry
) -> ContractCall:
    """A regulator (or the admin) removes an appraiser's accreditation; its past valuations
    stay, marked so."""
    return registry.valuations.removal_call(address, body.reason)
