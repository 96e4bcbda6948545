"""Foundry's ``cast`` (npm @foundry-rs/cast) reads the certificates through the plain ERC-721
interface: ``ownerOf``, ``balanceOf`` and ``supportsInterface``, after issuance and a transfer."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.domain.deployment import DeploymentManifest
from registry.settings import Settings
from tests.conftest import admin as governor
from tests.contracts.agent_helpers import (
    AGENT,
    REGISTRY,
    Reason,
    Rights,
    h,
    issue_certificate,
    open_context,
)

HOLDER, BUYER = dev_account(1), dev_account(2)
ERC721_ID = "0x80ac58cd"
ERC165_ID = "0x01ffc9a7"
NOT_AN_INTERFACE = "0xffffffff"


def cast_binary() -> Path:
    binary = Settings().node_modules_dir / "@foundry-rs" / "cast-linux-amd64" / "bin" / "cast"
    if not binary.is_file():
        pytest.skip(f"the npm cast binary is not installed at {binary}")
    return binary


def cast_call(rpc_url: str, address: str, signature: str, *args: str) -> str:
    """``cast call <address> <signature> <args> --rpc-url <rpc_url>``, its output stripped."""
    completed = subprocess.run(
        [str(cast_binary()), "call", address, signature, *args, "--rpc-url", rpc_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


@pytest.fixture
def ctx(
    chain: ChainClient, deployment: DeploymentManifest, test_settings: Settings
) -> RegistryContext:
    return open_context(chain, deployment, test_settings)


def test_cast_reads_owner_and_balance_after_issue_and_transfer(
    ctx: RegistryContext, chain: ChainClient, deployment: DeploymentManifest
) -> None:
    rights = Rights(chain, deployment, governor())
    registry = rights.registry
    url = chain.rpc_url
    token = issue_certificate(ctx, chain, HOLDER)

    def owner() -> str:
        return cast_call(url, registry, "ownerOf(uint256)(address)", str(token))

    def balance(account: str) -> int:
        return int(cast_call(url, registry, "balanceOf(address)(uint256)", account))

    assert owner() == HOLDER.address  # cast prints the checksummed address
    assert balance(HOLDER.address) == 1
    assert balance(BUYER.address) == 0

    rights.grant_regulator(HOLDER)  # v2: a regulator records the recipient's country
    rights.set_country(BUYER.address, "CN", HOLDER)
    rights.tx(AGENT, "transfer", [token, BUYER.address, int(Reason.SALE), h("sale")], HOLDER)
    assert owner() == BUYER.address
    assert balance(HOLDER.address) == 0
    assert balance(BUYER.address) == 1
    # what cast sees is what the contract answers through web3
    assert rights.call(REGISTRY, "ownerOf", [token]) == BUYER.address


def test_cast_sees_an_erc721(chain: ChainClient, deployment: DeploymentManifest) -> None:
    registry = deployment.address_of(REGISTRY)

    def supports(interface: str) -> str:
        return cast_call(chain.rpc_url, registry, "supportsInterface(bytes4)(bool)", interface)

    assert supports(ERC721_ID) == "true"
    assert supports(ERC165_ID) == "true"
    assert supports(NOT_AN_INTERFACE) == "false"
    name = cast_call(chain.rpc_url, registry, "name()(string)")
    assert name == '"dareg Data Asset Certificate"'
