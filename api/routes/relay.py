"""Actions a party signs itself and the registry's operator relays (ERC-2771).

A holder transfers, licenses or cancels; a licensee sublicenses or terminates; a pledgee
releases, enforces or consents. The contracts require the act to come from that party, so the
service never acts for it: each ``…/prepare`` endpoint builds the call (storing its documents),
runs it as the signer against the pending block (a refusal comes back here, with the contract's
error, before anyone signs) and returns the EIP-712 ``ForwardRequest`` to sign. ``POST /relay``
takes the request and its signature, checks both, and sends it through the registry's forwarder;
the contract records the signer as the actor, the operator pays the gas.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, status

from api.deps import Registry
from api.schemas import (
    ConsentPrepare,
    EnforcementPrepare,
    ErrorPublic,
    ForwardRequestPublic,
    LicencePrepare,
    PreparedRequestPublic,
    ReasonPrepare,
    RelayCreate,
    RelayPrepare,
    RelayResultPublic,
    TransferPrepare,
)
from registry.context import RegistryContext
from registry.domain.chain import ContractCall
from registry.domain.inputs import parse_signature
from registry.domain.numbers import parse_certificate_number

router = APIRouter(tags=["relayed actions"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorPublic} for code in (403, 404, 409, 422, 503)
}


def prepared(registry: RegistryContext, call: ContractCall, body: RelayPrepare) -> Any:
    request = registry.relay.prepare(call, body.signer, body.ttl_seconds)
    return PreparedRequestPublic(
        contract=call.contract,
        function=call.function,
        request=ForwardRequestPublic.of(request),
        typed_data=registry.relay.typed_data(request),
        expires_at=datetime.fromtimestamp(request.deadline, tz=UTC),
    )


def _token(registry: RegistryContext, number: str) -> int:
    return registry.rights.token_id_of(parse_certificate_number(number).text)


@router.post(
    "/certificates/{number}/transfers/prepare",
    response_model=PreparedRequestPublic,
    responses=_ERRORS,
)
def prepare_transfer(number: str, body: TransferPrepare, registry: Registry) -> Any:
    """The holder transfers (sale, inheritance, merger). Refused while not issued or expired,
    frozen, pledged without the pledgee's consent, important data without the regulator's
    approval, or to a recipient abroad without a valid cross-border record."""
    call = registry.rights.transfer_call(
        _token(registry, number), body.to, body.reason, body.document
    )
    return prepared(registry, call, body)


@router.post(
    "/certificates/{number}/licences/prepare",
    response_model=PreparedRequestPublic,
    responses=_ERRORS,
)
def prepare_licence(number: str, body: LicencePrepare, registry: Registry) -> Any:
    """The holder grants a licence of the processing-use or product-operation right."""
    call = registry.rights.licence_call(_token(registry, number), body.terms, body.signer)
    return prepared(registry, call, body)


@router.post(
    "/certificates/{number}/cancellation/prepare",
    response_model=PreparedRequestPublic,
    responses=_ERRORS,
)
def prepare_cancellation(number: str, body: ReasonPrepare, registry: Registry) -> Any:
    """The holder cancels its certificate (注销); refused while frozen, or pledged without the
    pledgee's consent."""
    call = registry.registrations.cancellation_call(_token(registry, number), body.reason)
    return prepared(registry, call, body)


@router.post(
    "/licences/{licence_id}/sublicences/prepare",
    response_model=PreparedRequestPublic,
    responses=_ERRORS,
)
def prepare_sublicence(licence_id: int, body: LicencePrepare, registry: Registry) -> Any:
    """The licensee of a sublicensable licence grants a sublicence within its scope and term."""
    call = registry.rights.sublicence_call(licence_id, body.terms, body.signer)
    return prepared(registry, call, body)


@router.post(
    "/licences/{licence_id}/termination/prepare",
    response_model=PreparedRequestPublic,
    responses=_ERRORS,
)
def prepare_termination(licence_id: int, body: ReasonPrepare, registry: Registry) -> Any:
    """The licensor or the licensee terminates a licence."""
    registry.rights.licence(licence_id)  # 404 for an unknown licence
    return prepared(registry, registry.rights.termination_call(licence_id, body.reason), body)


@router.post(
    "/pledges/{pledge_id}/release/prepare",
    response_model=PreparedRequestPublic,
    responses=_ERRORS,
)
def prepare_release(pledge_id: int, body: RelayPrepare, registry: Registry) -> Any:
    """The pledgee releases its pledge (解押)."""
    registry.rights.pledge(pledge_id)  # 404 for an unknown pledge
    return prepared(registry, registry.rights.release_call(pledge_id), body)


@router.post(
    "/pledges/{pledge_id}/enforcement/prepare",
    response_model=PreparedRequestPublic,
    responses=_ERRORS,
)
def prepare_enforcement(pledge_id: int, body: EnforcementPrepare, registry: Registry) -> Any:
    """After maturity the pledgee enforces: the certificate goes to itself or a buyer it names
    (the transfer rules for the recipient still apply)."""
    registry.rights.pledge(pledge_id)
    return prepared(registry, registry.rights.enforcement_call(pledge_id, body.to), body)


@router.post(
    "/pledges/{pledge_id}/consents/prepare",
    response_model=PreparedRequestPublic,
    responses=_ERRORS,
)
def prepare_consent(pledge_id: int, body: ConsentPrepare, registry: Registry) -> Any:
    """The pledgee consents once to a transfer, a cancellation or an exclusive licence."""
    registry.rights.pledge(pledge_id)
    call = registry.rights.consent_call(pledge_id, body.action, body.counterparty)
    return prepared(registry, call, body)


@router.post(
    "/relay",
    response_model=RelayResultPublic,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
def relay(body: RelayCreate, registry: Registry) -> Any:
    """Send a signed forward request. Refused: a signature not by ``request.from``, altered
    fields, a used nonce (replay), a passed deadline, a target outside this registry, and
    whatever the contract refuses for the signer now."""
    request = body.request.domain()
    contract, function, _ = registry.relay.describe(request)
    receipt = registry.relay.submit(request, parse_signature(body.signature), registry.operator)
    return RelayResultPublic.of(contract, function, request.signer, receipt)
