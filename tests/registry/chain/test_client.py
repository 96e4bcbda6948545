"""The chain client's send, read and dry-run helpers: a refusal comes back as the project's
error, translated once here for every service."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from web3.types import RPCEndpoint, RPCResponse

from registry.artifacts import load_client_artifacts
from registry.chain.client import BoundedHTTPProvider, ChainClient, dev_account
from registry.domain.chain import ContractCall
from registry.domain.deployment import DeploymentManifest
from registry.errors import ContractRevertError, RegistrationNotFoundError
from registry.settings import Settings

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


class _CountingProvider(BoundedHTTPProvider):
    """The client's own provider, counting the JSON-RPC methods it sends."""

    def __init__(self, url: str) -> None:
        super().__init__(url, 30)
        self.sent: Counter[str] = Counter()

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.sent[method] += 1
        return super().make_request(method, params)


def test_a_view_call_is_one_round_trip(
    chain: ChainClient, deployment: DeploymentManifest, test_settings: Settings
) -> None:
    """Once the client knows its chain id, a read is one ``eth_call``: web3 no longer asks the
    node for the chain id before each call (twice, filling and validating it)."""
    provider = _CountingProvider(chain.rpc_url)
    client = ChainClient(
        chain.rpc_url, load_client_artifacts(test_settings.artifacts_dir), provider=provider
    )
    assert client.chain_id() == chain.chain_id()
    provider.sent.clear()
    address = deployment.address_of(REGISTRY)
    for _ in range(5):
        assert client.call(REGISTRY, address, "validityPeriod") > 0
    assert provider.sent == Counter({"eth_call": 5})
