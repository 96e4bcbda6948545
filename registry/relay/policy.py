"""What the operator relays: the explicit list of actions a forward request may make.

The operator pays for a forward request only when it makes one of the actions the service
documents, each built by a service's ``…_call`` method and offered by a ``…/prepare`` endpoint,
a CLI command or the demo (the table below names them). Everything else a relayed contract
exposes is refused with :class:`RelayActionNotAllowedError` (403, ``relay_action_not_allowed``)
before it is simulated, signed or sent: the ERC-721 approvals and movements (``approve``,
``setApprovalForAll``, ``transferFrom``, ``safeTransferFrom``; certificates move only through
the transfer agent's documented actions), the role changes the service does not offer
(``renounceRole``, ``grantRole`` of any role but the regulator's and the pauser's, the two-step
admin transfer), upgrades (``upgradeToAndCall``), initializers, views, and the service's
operator-paid calls that have their own signed endpoints (``anchorFor``,
``submitApplicationFor``, ``registerPledge``).

The policy only says *which* actions may be relayed; *who* may make them is the contracts'
decision: every allowed call is run as its signer against the pending block before anyone signs
(:meth:`RelayService.prepare <registry.relay.service.RelayService.prepare>`) and again before it
is sent (:meth:`RelayService.check <registry.relay.service.RelayService.check>`), so a signer
without standing is refused with the contract's error and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registry.errors import RelayActionNotAllowedError
from registry.registration.service import PAUSER_ROLE, REGULATOR_ROLE

#: The roles the admin grants and revokes through the service (``/admin/roles/prepare``).
DOCUMENTED_ROLES = {REGULATOR_ROLE: "REGULATOR_ROLE", PAUSER_ROLE: "PAUSER_ROLE"}


def _documented_role(args: Mapping[str, Any]) -> str | None:
    """``None`` for the regulator or pauser role; otherwise why the role is refused."""
    role = args.get("role")
    if isinstance(role, bytes) and role in DOCUMENTED_ROLES:
        return None
    shown = "0x" + role.hex() if isinstance(role, bytes) else repr(role)
    return (
        f"role {shown} is not one the service grants or revokes "
        f"({', '.join(DOCUMENTED_ROLES.values())})"
    )


@dataclass(frozen=True)
class RelayableAction:
    """One (contract, function) the operator relays, the ``…_call`` that builds it, and for a
    few, a further condition on its arguments (why not, or ``None``)."""

    contract: str
    function: str
    built_by: str
    condition: Callable[[Mapping[str, Any]], str | None] | None = None


_ACTIONS: tuple[RelayableAction, ...] = (
    # the admin (RegistryAuthority): /admin/registrars/…, /admin/roles/prepare
    RelayableAction(
        "RegistryAuthority",
        "configureRegistrar",
        "RegistrationService.registrar_configuration_call",
    ),
    RelayableAction(
        "RegistryAuthority", "setRegistrarAccount", "RegistrationService.registrar_account_call"
    ),
    RelayableAction(
        "RegistryAuthority",
        "grantRole",
        "RegistrationService.regulator_call / pauser_call",
        _documented_role,
    ),
    RelayableAction(
        "RegistryAuthority",
        "revokeRole",
        "RegistrationService.regulator_call / pauser_call",
        _documented_role,
    ),
    # registrar staff (DataAssetRegistry): /applications/{id}/…/prepare, /objections/…
    RelayableAction("DataAssetRegistry", "accept", "RegistrationService.accept_call"),
    RelayableAction("DataAssetRegistry", "returnForCorrection", "RegistrationService.return_call"),
    RelayableAction("DataAssetRegistry", "reject", "RegistrationService.rejection_call"),
    RelayableAction("DataAssetRegistry", "openNotice", "RegistrationService.notice_call"),
    RelayableAction("DataAssetRegistry", "grantStanding", "RegistrationService.standing_call"),
    RelayableAction("DataAssetRegistry", "ruleObjection", "RegistrationService.ruling_call"),
    RelayableAction("DataAssetRegistry", "issue", "RegistrationService.issue_call"),
    RelayableAction("DataAssetRegistry", "issueBatch", "RegistrationService.batch_issue_call"),
    RelayableAction("DataAssetRegistry", "renew", "RegistrationService.renewal_call"),
    RelayableAction("DataAssetRegistry", "revoke", "RegistrationService.revocation_call"),
    RelayableAction("DataAssetRegistry", "revokeEncumbered", "RegistrationService.revocation_call"),
    # the holder, anyone after expiry: /certificates/{number}/{cancellation,expiry-closure}/…
    RelayableAction("DataAssetRegistry", "cancel", "RegistrationService.cancellation_call"),
    RelayableAction("DataAssetRegistry", "closeExpired", "RegistrationService.close_expired_call"),
    # holders and pledgees (TransferAgent): /certificates/{number}/transfers, /pledges/{id}/…
    RelayableAction("TransferAgent", "transfer", "RightsService.transfer_call"),
    RelayableAction("TransferAgent", "releasePledge", "RightsService.release_call"),
    RelayableAction("TransferAgent", "enforcePledge", "RightsService.enforcement_call"),
    RelayableAction("TransferAgent", "grantConsent", "RightsService.consent_call"),
    RelayableAction("TransferAgent", "withdrawConsent", "RightsService.withdrawal_call"),
    # regulators and the admin (TransferAgent): /regulator/…, /admin/important-data-approval
    RelayableAction("TransferAgent", "freeze", "RightsService.freeze_call"),
    RelayableAction("TransferAgent", "unfreeze", "RightsService.unfreeze_call"),
    RelayableAction("TransferAgent", "courtOrderTransfer", "RightsService.court_order_call"),
    RelayableAction("TransferAgent", "approveTransfer", "RightsService.transfer_approval_call"),
    RelayableAction("TransferAgent", "recordCrossBorder", "RightsService.cross_border_call"),
    RelayableAction("TransferAgent", "setPartyCountry", "RightsService.party_country_call"),
    RelayableAction(
        "TransferAgent",
        "setImportantDataApprovalRequired",
        "RightsService.approval_requirement_call",
    ),
    # holders and licensees (LicenceRegistry): /certificates/{number}/licences, /licences/{id}/…
    RelayableAction("LicenceRegistry", "grantLicence", "RightsService.licence_call"),
    RelayableAction("LicenceRegistry", "grantSublicence", "RightsService.sublicence_call"),
    RelayableAction("LicenceRegistry", "terminate", "RightsService.termination_call"),
    # appraisers, holders, regulators (ValuationRegistry): /certificates/{number}/valuations, …
    RelayableAction("ValuationRegistry", "submitValuation", "ValuationService.submission_call"),
    RelayableAction("ValuationRegistry", "withdrawValuation", "ValuationService.withdrawal_call"),
    RelayableAction("ValuationRegistry", "setAccountingClass", "ValuationService.accounting_call"),
    RelayableAction(
        "ValuationRegistry", "accreditAppraiser", "ValuationService.accreditation_call"
    ),
    RelayableAction("ValuationRegistry", "removeAppraiser", "ValuationService.removal_call"),
    # a registrant's own anchor, signed as a forward request (EvidenceRegistry)
    RelayableAction("EvidenceRegistry", "anchor", "EvidenceService.anchor_call"),
)

#: The actions the operator relays, by (contract, function).
RELAYABLE: Mapping[tuple[str, str], RelayableAction] = {
    (action.contract, action.function): action for action in _ACTIONS
}


def check_relayable(contract: str, function: str, args: Mapping[str, Any]) -> None:
    """Refuse (:class:`RelayActionNotAllowedError`) a call the operator does not relay."""
    action = RELAYABLE.get((contract, function))
    if action is None:
        raise RelayActionNotAllowedError(
            f"the operator does not relay {contract}.{function}: only the registry's documented "
            "actions are relayed (see docs/relay.md)",
            contract=contract,
            function=function,
        )
    if action.condition is not None:
        why = action.condition(args)
        if why is not None:
            raise RelayActionNotAllowedError(
                f"the operator does not relay this {contract}.{function}: {why}",
                contract=contract,
                function=function,
            )
