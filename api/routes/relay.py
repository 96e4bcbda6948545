"""Actions a party signs itself and the registry's operator relays (ERC-2771).

A holder transfers, licenses or cancels; a licensee sublicenses or terminates; a pledgee
releases, enforces or consents; registrar staff, regulators and appraisers act the same way
through their own ``…/prepare`` endpoints (:mod:`api.routes.applications`,
:mod:`api.routes.rights`, :mod:`api.routes.valuations`). The contracts require the act to come
from that party, and the operator holds no role, so the service never acts for anyone: each
``…/prepare`` endpoint builds the call (storing its documents), runs it as the signer against
the pending block (a refusal comes back here, with the contract's error, before anyone signs)
and returns the EIP-712 ``ForwardRequest`` to sign. ``POST /relay``
takes the request and its signature, checks both, and sends it through the registry's forwarder;
the contract records the signer as the actor, the operator pays the gas. The operator relays only
the actions these endpoints prepare (:mod:`registry.relay.policy`), and at most so many an hour
for each signer and for everyone (:mod:`registry.relay.quota`).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import (
    AnyCaller,
    Registry,
    acting_for,
    require_holder,
    require_licence_party,
    require_licensee,
    require_pledgee,
    require_signed_in,
)
from api.routes.common import certificate_of, created, prepare
from api.schemas.relay import (
    ConsentPrepare,
    ConsentWithdrawalPrepare,
    EnforcementPrepare,
    LicencePrepare,
    ReasonPrepare,
    RelayCreate,
    RelayResultPublic,
    TransferPrepare,
)
from registry.domain.chain import ContractCall
from registry.domain.inputs import parse_signature
from registry.domain.numbers import Uint256

router = APIRouter(tags=["relayed actions"])


@prepare(router, "/certificates/{number}/transfers/prepare", require_holder)
def prepare_transfer(number: str, body: TransferPrepare, registry: Registry) -> ContractCall:
    """The holder transfers (sale, inheritance, merger). Refused while not issued or expired,
    frozen, pledged without the pledgee's consent, important data without the regulator's
    approval, or to a recipient abroad without a valid cross-border record."""
    token_id, _ = certificate_of(registry, number)
    return registry.rights.transfer_call(token_id, body.to, body.reason, body.document)


@prepare(router, "/certificates/{number}/licences/prepare", require_holder)
def prepare_licence(number: str, body: LicencePrepare, registry: Registry) -> ContractCall:
    """The holder grants a licence of the processing-use or product-operation right."""
    token_id, _ = certificate_of(registry, number)
    return registry.rights.licence_call(token_id, body.terms, body.signer)


@prepare(router, "/certificates/{number}/cancellation/prepare", require_holder)
def prepare_cancellation(number: str, body: ReasonPrepare, registry: Registry) -> ContractCall:
    """The holder cancels its certificate (注销); refused while frozen, or pledged without the
    pledgee's consent."""
    token_id, _ = certificate_of(registry, number)
    return registry.registrations.cancellation_call(token_id, body.reason)


@prepare(router, "/certificates/{number}/expiry-closure/prepare", require_signed_in)
def prepare_expiry_closure(number: str, registry: Registry) -> ContractCall:
    """Anyone closes a certificate whose validity has ended (到期注销): it is burned, its live
    pledge and licences are settled and its dataset may be registered again. Before its expiry:
    409 (``contract_registry_not_expired``)."""
    token_id, _ = certificate_of(registry, number)
    return registry.registrations.close_expired_call(token_id)


@prepare(router, "/licences/{licence_id}/sublicences/prepare", require_licensee)
def prepare_sublicence(
    licence_id: Uint256, body: LicencePrepare, registry: Registry
) -> ContractCall:
    """The licensee of a sublicensable licence grants a sublicence within its scope and term."""
    return registry.rights.sublicence_call(licence_id, body.terms, body.signer)


@prepare(router, "/licences/{licence_id}/termination/prepare", require_licence_party)
def prepare_termination(
    licence_id: Uint256, body: ReasonPrepare, registry: Registry
) -> ContractCall:
    """The licensor or the licensee terminates a licence."""
    registry.rights.licence(licence_id)  # 404 for an unknown licence
    return registry.rights.termination_call(licence_id, body.reason)


@prepare(router, "/pledges/{pledge_id}/release/prepare", require_pledgee)
def prepare_release(pledge_id: Uint256, registry: Registry) -> ContractCall:
    """The pledgee releases its pledge (解押)."""
    registry.rights.pledge(pledge_id)  # 404 for an unknown pledge
    return registry.rights.release_call(pledge_id)


@prepare(router, "/pledges/{pledge_id}/enforcement/prepare", require_pledgee)
def prepare_enforcement(
    pledge_id: Uint256, body: EnforcementPrepare, registry: Registry
) -> ContractCall:
    """After maturity the pledgee enforces: the certificate goes to itself or a buyer it names
    (the transfer rules for the recipient still apply)."""
    registry.rights.pledge(pledge_id)
    return registry.rights.enforcement_call(pledge_id, body.to)


@prepare(router, "/pledges/{pledge_id}/consents/prepare", require_pledgee)
def prepare_consent(pledge_id: Uint256, body: ConsentPrepare, registry: Registry) -> ContractCall:
    """The pledgee consents once to a transfer, a cancellation, an exclusive licence or a new
    dataset version, for the current pledgor until the deadline."""
    registry.rights.pledge(pledge_id)
    return registry.rights.consent_call(pledge_id, body.action, body.counterparty, body.deadline)


@prepare(router, "/pledges/{pledge_id}/consents/withdrawal/prepare", require_pledgee)
def prepare_consent_withdrawal(
    pledge_id: Uint256, body: ConsentWithdrawalPrepare, registry: Registry
) -> ContractCall:
    """The pledgee withdraws its unused consent to the action with the counterparty."""
    registry.rights.pledge(pledge_id)
    return registry.rights.withdrawal_call(pledge_id, body.action, body.counterparty)


@created(router, "/relay", RelayResultPublic)
def relay(body: RelayCreate, registry: Registry, caller: AnyCaller) -> RelayResultPublic:
    """Send a signed forward request of the signed-in caller. Refused before anything is sent:
    a request of another account, an action the relay policy does not pay for (403
    ``relay_action_not_allowed``: only the actions of the ``…/prepare`` endpoints), a signature
    not by ``request.from``, altered fields, a used nonce (replay), a passed deadline, a target
    outside this registry, whatever the contract refuses for the signer now, and a signer (or
    everyone together) over the hourly quota of relayed transactions (429
    ``relay_quota_exceeded``, with ``Retry-After``)."""
    request = body.request.domain()
    acting_for(caller, request.signer, "the forward request")
    contract, function, _ = registry.relay.describe(request)
    receipt = registry.relay.submit(request, parse_signature(body.signature), registry.operator)
    return RelayResultPublic.of(contract, function, request.signer, receipt)
