"""The chain client's send, read and dry-run helpers: a refusal comes back as the project's
error, translated once here for every service."""

from __future__ import annotations

import pytest

from registry.chain.client import ChainClient, dev_account
from registry.domain.chain import ContractCall
from registry.domain.deployment import DeploymentManifest
from registry.errors import ContractRevertError, RegistrationNotFoundError

REGISTRY = "DataAssetRegistry"
AUTHORITY = "RegistryAuthority"


def test_an_unknown_registration_becomes_not_found(
    chain: ChainClient, deployment: DeploymentManifest
) -> None:
    address = deployment.address_of(REGISTRY)
    with pytest.raises(RegistrationNotFoundError, match="there is no registration 424242"):
        chain.read(REGISTRY, address, "registration", [424242])
    with pytest.raises(RegistrationNotFoundError, match="there is no registration 424242"):
        chain.send(ContractCall(REGISTRY, "accept", (424242,)), address, dev_account(0))


def test_other_refusals_go_on_unchanged(chain: ChainClient, deployment: DeploymentManifest) -> None:
    # v2: registrars are configured on the authority (admin only), no longer on the registry
    address = deployment.address_of(AUTHORITY)
    stranger = dev_account(9)
    call = ContractCall(AUTHORITY, "configureRegistrar", (999, (True, True, False, 86_400)))
    with pytest.raises(ContractRevertError) as sent:
        chain.send(call, address, stranger)
    assert sent.value.error_name == "AccessControlUnauthorizedAccount"
    assert sent.value.args_by_name["account"] == stranger.address
    data = chain.encode_call(AUTHORITY, address, call.function, call.args)
    with pytest.raises(ContractRevertError) as simulated:
        chain.dry_run(address, data, stranger.address)
    assert simulated.value.error_name == sent.value.error_name
