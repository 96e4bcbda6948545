"""The relay policy: exactly the actions the services build are relayed, nothing else of the
relayed contracts' ABIs, and a refusal comes before any simulation or sending."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from registry.artifacts import load_artifact
from registry.context import RegistryContext
from registry.domain.chain import ContractCall
from registry.domain.registration import RegistrarPolicy
from registry.errors import ContractRevertError, RelayActionNotAllowedError
from registry.evidence.service import EvidenceService
from registry.registration.service import (
    DEFAULT_ADMIN_ROLE,
    PAUSER_ROLE,
    REGULATOR_ROLE,
    RegistrationService,
)
from registry.relay.policy import RELAYABLE, check_relayable
from registry.relay.service import RELAYED_CONTRACTS
from registry.rights.service import RightsService
from registry.settings import Settings
from registry.valuation.service import ValuationService
from tests.registry.registration.conftest import REGISTRAR_CODE, metadata
from tests.registry.rights.test_service import (
    buyer,
    chain_now,
    foreigner,
    holder,
    issue,
    licence_terms,
    licensee,
    sublicensee,
)
from tests.registry.valuation.test_service import submission

#: Functions of the relayed contracts a stranger must never make the operator send.
DANGEROUS = {
    "DataAssetRegistry": (
        "setApprovalForAll",
        "approve",
        "transferFrom",
        "safeTransferFrom",
        "upgradeToAndCall",
        "submitApplicationFor",
        "initialize",
    ),
    "RegistryAuthority": (
        "renounceRole",
        "beginDefaultAdminTransfer",
        "acceptDefaultAdminTransfer",
        "upgradeToAndCall",
    ),
    "TransferAgent": ("registerPledge", "upgradeToAndCall"),
    "EvidenceRegistry": ("anchorFor", "upgradeToAndCall"),
    "LicenceRegistry": ("upgradeToAndCall",),
    "ValuationRegistry": ("upgradeToAndCall",),
}

#: ``…_call`` methods whose calls are not relayed: the party sends its own transaction.
NOT_RELAYED = {"RegistrationService.correction_call"}

SERVICES = (RegistrationService, RightsService, ValuationService, EvidenceService)


def abi_functions(contract: str) -> set[str]:
    abi = load_artifact(Settings().artifacts_dir, contract).abi
    return {entry["name"] for entry in abi if entry["type"] == "function"}


def test_every_abi_function_of_the_relayed_contracts_is_allowlisted_or_refused() -> None:
    allowed = 0
    for contract in RELAYED_CONTRACTS:
        functions = abi_functions(contract)
        assert set(DANGEROUS[contract]) <= functions, contract  # the refusals below mean it
        for function in sorted(functions):
            if (contract, function) in RELAYABLE:
                allowed += 1
                continue
            with pytest.raises(RelayActionNotAllowedError) as refusal:
                check_relayable(contract, function, {})
            assert refusal.value.code == "relay_action_not_allowed"
            assert refusal.value.http_status == 403
            assert f"{contract}.{function}" in refusal.value.message
        for function in DANGEROUS[contract]:
            assert (contract, function) not in RELAYABLE
    # every entry names a function its contract has (no typo relays nothing, silently)
    for contract, function in RELAYABLE:
        assert contract in RELAYED_CONTRACTS
        assert function in abi_functions(contract), f"{contract}.{function}"
    assert allowed == len(RELAYABLE) == 38


def test_roles_are_granted_and_revoked_through_the_relay_only_as_documented() -> None:
    account = buyer().address
    for function in ("grantRole", "revokeRole"):
        for role in (REGULATOR_ROLE, PAUSER_ROLE):
            check_relayable("RegistryAuthority", function, {"role": role, "account": account})
        for role in (DEFAULT_ADMIN_ROLE, keccak(text="MINTER_ROLE")):
            with pytest.raises(RelayActionNotAllowedError, match="not one the service grants"):
                check_relayable("RegistryAuthority", function, {"role": role, "account": account})


def built_calls(ctx: RegistryContext) -> dict[str, list[ContractCall]]:
    """Every ``…_call`` of the services, with the calls it builds (both branches where it has
    two), on a chain with an issued certificate and a licence of it."""
    token = issue(ctx)
    licence = ctx.rights.grant_licence(token, licence_terms(ctx), holder())
    later = chain_now(ctx.client) + timedelta(days=30)
    party = buyer().address
    reg, rights, valuations = ctx.registrations, ctx.rights, ctx.valuations
    policy = RegistrarPolicy(
        active=True, objections_open_to_all=True, evidence_required=False, notice_period=86_400
    )
    return {
        "RegistrationService.registrar_configuration_call": [
            reg.registrar_configuration_call(441, policy)
        ],
        "RegistrationService.registrar_account_call": [
            reg.registrar_account_call(REGISTRAR_CODE, party, enabled=True),
            reg.registrar_account_call(REGISTRAR_CODE, party, enabled=False),
        ],
        "RegistrationService.regulator_call": [
            reg.regulator_call(party, enabled=True),
            reg.regulator_call(party, enabled=False),
        ],
        "RegistrationService.pauser_call": [
            reg.pauser_call(party, enabled=True),
            reg.pauser_call(party, enabled=False),
        ],
        "RegistrationService.accept_call": [reg.accept_call(token)],
        "RegistrationService.return_call": [reg.return_call(token, 1, "材料不全")],
        "RegistrationService.rejection_call": [reg.rejection_call(token, 2, "来源不合法")],
        "RegistrationService.notice_call": [reg.notice_call(token)],
        "RegistrationService.standing_call": [reg.standing_call(token, party)],
        "RegistrationService.ruling_call": [reg.ruling_call(1, True, "异议成立")],
        "RegistrationService.issue_call": [reg.issue_call(token)],
        "RegistrationService.batch_issue_call": [reg.batch_issue_call([token])],
        "RegistrationService.renewal_call": [reg.renewal_call(token, None)],
        "RegistrationService.revocation_call": [
            reg.revocation_call(token, 3, "欺诈"),
            reg.revocation_call(token, 3, "欺诈", ruling="（2026）粤01民终1号"),
        ],
        "RegistrationService.cancellation_call": [reg.cancellation_call(token, "业务终止")],
        "RegistrationService.close_expired_call": [reg.close_expired_call(token)],
        "RegistrationService.correction_call": [
            reg.correction_call(token, metadata(holder().address, 0xB2))
        ],
        "RightsService.transfer_call": [rights.transfer_call(token, party, "sale", None)],
        "RightsService.court_order_call": [rights.court_order_call(token, party, "（2026）1号")],
        "RightsService.transfer_approval_call": [
            rights.transfer_approval_call(token, party, later)
        ],
        "RightsService.cross_border_call": [
            rights.cross_border_call(
                token, foreigner().address, "standard_contract", "备案 No. 7", later, "SG"
            )
        ],
        "RightsService.party_country_call": [rights.party_country_call(party, "CN")],
        "RightsService.approval_requirement_call": [rights.approval_requirement_call(True)],
        "RightsService.freeze_call": [rights.freeze_call(token, "（2026）2号")],
        "RightsService.unfreeze_call": [rights.unfreeze_call(token, "（2026）2号")],
        "RightsService.release_call": [rights.release_call(1)],
        "RightsService.enforcement_call": [rights.enforcement_call(1, party)],
        "RightsService.consent_call": [rights.consent_call(1, "transfer", party, later)],
        "RightsService.withdrawal_call": [rights.withdrawal_call(1, "transfer", party)],
        "RightsService.licence_call": [
            rights.licence_call(token, licence_terms(ctx), holder().address)
        ],
        "RightsService.sublicence_call": [
            rights.sublicence_call(
                licence.id, licence_terms(ctx, to=sublicensee(), days=30), licensee().address
            )
        ],
        "RightsService.termination_call": [rights.termination_call(licence.id, "到期前终止")],
        "ValuationService.accreditation_call": [
            valuations.accreditation_call(party, "某评估公司 资质 No. 1")
        ],
        "ValuationService.removal_call": [valuations.removal_call(party, None)],
        "ValuationService.submission_call": [valuations.submission_call(token, submission(ctx))],
        "ValuationService.withdrawal_call": [valuations.withdrawal_call(1, "数据有误")],
        "ValuationService.accounting_call": [valuations.accounting_call(token, "inventory")],
        "EvidenceService.anchor_call": [ctx.evidence.anchor_call(bytes(range(32)))],
    }


def _decoded(ctx: RegistryContext, call: ContractCall) -> tuple[str, dict[str, Any]]:
    """The call as the relay reads it back from a forward request's data."""
    address = ctx.manifest.address_of(call.contract)
    data = ctx.client.encode_call(call.contract, address, call.function, call.args)
    return ctx.client.decode_call(call.contract, data)


def test_the_allowlist_is_exactly_what_the_services_build(ctx: RegistryContext) -> None:
    built = built_calls(ctx)
    methods = {
        f"{service.__name__}.{name}"
        for service in SERVICES
        for name in dir(service)
        if name.endswith("_call") and not name.startswith("_")
    }
    assert set(built) == methods  # a new …_call joins the table (and the policy, if relayed)
    produced: set[tuple[str, str]] = set()
    for method, calls in built.items():
        for call in calls:
            function, args = _decoded(ctx, call)
            if method in NOT_RELAYED:
                with pytest.raises(RelayActionNotAllowedError):
                    check_relayable(call.contract, function, args)
                continue
            check_relayable(call.contract, function, args)
            action = RELAYABLE[(call.contract, function)]
            service, name = method.split(".")
            assert service in action.built_by, (method, action)
            assert name in action.built_by, (method, action)
            produced.add((call.contract, function))
    assert produced == set(RELAYABLE)  # nothing missing, no dead entry


def test_a_call_outside_the_policy_is_refused_before_it_is_simulated(
    ctx: RegistryContext,
) -> None:
    """A stranger renouncing a role it does not hold would run on chain (and cost the operator
    gas for nothing), yet the relay refuses to prepare or send it; ``setApprovalForAll`` too,
    whatever the contract would say."""
    stranger = Account.from_key(keccak(text="dareg policy stranger"))
    authority = ctx.manifest.address_of("RegistryAuthority")
    renounce = ContractCall("RegistryAuthority", "renounceRole", (REGULATOR_ROLE, stranger.address))
    data = ctx.client.encode_call(renounce.contract, authority, renounce.function, renounce.args)
    assert ctx.client.dry_run(authority, data, stranger.address) > 0  # the chain would run it
    with pytest.raises(RelayActionNotAllowedError, match="renounceRole"):
        ctx.relay.prepare(renounce, stranger.address)
    approval = ContractCall("DataAssetRegistry", "setApprovalForAll", (buyer().address, True))
    with pytest.raises(RelayActionNotAllowedError, match="setApprovalForAll"):
        ctx.relay.prepare(approval, stranger.address)
    grant_admin = ContractCall(
        "RegistryAuthority", "grantRole", (DEFAULT_ADMIN_ROLE, stranger.address)
    )
    with pytest.raises(RelayActionNotAllowedError, match="not one the service grants"):
        ctx.relay.prepare(grant_admin, stranger.address)
    # an allowed action without standing: the contract refuses it as the signer, before signing
    grant_regulator = ctx.registrations.regulator_call(stranger.address, enabled=True)
    with pytest.raises(ContractRevertError) as refusal:
        ctx.relay.prepare(grant_regulator, stranger.address)
    assert refusal.value.http_status == 403
