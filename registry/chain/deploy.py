"""Deploy the registry's contracts once, and recognise them on every later start."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from registry.artifacts import DEPLOYED_CONTRACTS, FORWARDER_CONTRACT, PROXY_CONTRACT
from registry.chain.client import ChainClient, create_address
from registry.domain.chain import Receipt
from registry.domain.deployment import DeployedContract, DeploymentManifest
from registry.errors import ContractsMissingError, DeploymentError


def verify_deployment(
    client: ChainClient, manifest: DeploymentManifest, manifest_path: Path
) -> None:
    """Check that the chain still holds exactly the contracts the manifest records.

    Raises :class:`ContractsMissingError` (one sentence) when it does not: a registry must never
    be silently redeployed over its own data.
    """
    chain_id = client.chain_id()
    if chain_id != manifest.chain_id:
        raise ContractsMissingError(
            f"the chain at {client.rpc_url} has chain id {chain_id}, but {manifest_path} records "
            f"a deployment on chain {manifest.chain_id}; refusing to redeploy over registry data"
        )
    for name, contract in manifest.contracts.items():
        found = client.code_hash(contract.address)
        if found != contract.codehash:
            state = "holds no code" if found is None else "holds different code"
            raise ContractsMissingError(
                f"the chain at {client.rpc_url} no longer holds the registry recorded in "
                f"{manifest_path} ({name} at {contract.address} {state}); refusing to redeploy "
                "over registry data: restore the chain state or move the manifest aside"
            )
        if contract.implementation is not None:
            current = client.implementation_of(contract.address)
            if current.lower() != contract.implementation.lower():
                raise ContractsMissingError(
                    f"{name} at {contract.address} runs implementation {current}, but "
                    f"{manifest_path} records {contract.implementation}; an upgrade happened "
                    "outside this service: record it with `dareg upgrade` before starting"
                )


#: Delay of a handover of the admin role (AccessControlDefaultAdminRules): two days.
ADMIN_DELAY_SECONDS = 2 * 86_400

#: The upgradeable contracts, in the order their proxies are created (the forwarder comes first,
#: without a proxy). Each proxy's address is known before any is created (the deployer's nonces),
#: so every initializer names the others and no one ever wires contracts after deployment.
_PROXIED = tuple(name for name in DEPLOYED_CONTRACTS if name != FORWARDER_CONTRACT)


def _initializer(
    name: str, at: dict[str, str], admin: str, token_base_uri: str, admin_delay: int
) -> tuple[str, list[Any]]:
    """The initializer call of ``name``'s proxy, given every contract's (future) address."""
    if name == "RegistryAuthority":
        return "initialize", [admin, admin_delay]
    if name == "EvidenceRegistry":
        return "initialize", [at["RegistryAuthority"]]
    if name == "DataAssetRegistry":
        return "initialize", [
            at["RegistryAuthority"],
            at["EvidenceRegistry"],
            at["TransferAgent"],
            at["LicenceRegistry"],
            token_base_uri,
        ]
    return "initialize", [at["RegistryAuthority"], at["DataAssetRegistry"]]


def deployed_contract(client: ChainClient, name: str, receipt: Receipt) -> DeployedContract:
    """The contract ``receipt`` created, with the code hash found on chain."""
    if receipt.contract_address is None:
        raise DeploymentError(f"deploying {name} returned no contract address")
    codehash = client.code_hash(receipt.contract_address)
    if codehash is None:
        raise DeploymentError(f"{name} deployed at {receipt.contract_address} has no code")
    return DeployedContract(
        address=receipt.contract_address,
        codehash=codehash,
        tx_hash=receipt.tx_hash,
        block_number=receipt.block_number,
    )


def deploy_libraries(
    client: ChainClient, deployer: LocalAccount, contracts: Sequence[str]
) -> dict[str, DeployedContract]:
    """Deploy, once each, every external library ``contracts`` are linked with (a library's own
    libraries first), by ``deployer``; returns them by name, in deployment order.

    Both the first deployment and every upgrade (:mod:`registry.chain.upgrade`) use it: a new
    implementation is always linked with freshly deployed libraries of its own build."""
    deployed: dict[str, DeployedContract] = {}

    def need(name: str, trail: tuple[str, ...]) -> None:
        for library in client.libraries_of(name):
            if library in trail:
                raise DeploymentError(f"libraries link each other in a cycle: {trail}")
            if library not in deployed:
                need(library, (*trail, library))
                addresses = {n: c.address for n, c in deployed.items()}
                receipt = client.deploy(library, deployer, libraries=addresses)
                deployed[library] = deployed_contract(client, library, receipt)

    for name in contracts:
        need(name, (name,))
    return deployed


def deploy_all(
    client: ChainClient,
    deployer: LocalAccount,
    admin: str,
    artifacts_hash: str,
    token_base_uri: str,
    *,
    admin_delay: int = ADMIN_DELAY_SECONDS,
) -> DeploymentManifest:
    """Deploy every registry contract behind its proxy, with ``admin`` as the registry's admin.

    External libraries the implementations are linked with are deployed first (once each) and
    recorded in the manifest as contracts of their own (no proxy: they hold no state).

    The deployer (the service's operator) only pays: it holds no role on any contract, and
    ``admin`` must be another account (a multisig or timelock in production).
    """
    if admin.lower() == deployer.address.lower():
        raise DeploymentError(
            "the registry's admin must be another account than the operator that deploys it"
        )
    forwarder = deployed_contract(
        client, FORWARDER_CONTRACT, client.deploy(FORWARDER_CONTRACT, deployer)
    )
    libraries = deploy_libraries(client, deployer, _PROXIED)
    linked = {name: library.address for name, library in libraries.items()}
    implementations = {
        name: deployed_contract(
            client, name, client.deploy(name, deployer, [forwarder.address], libraries=linked)
        )
        for name in _PROXIED
    }
    first_proxy_nonce = client.next_nonce(deployer.address)
    at = {
        name: create_address(deployer.address, first_proxy_nonce + i)
        for i, name in enumerate(_PROXIED)
    }
    contracts: dict[str, DeployedContract] = {FORWARDER_CONTRACT: forwarder, **libraries}
    for name in _PROXIED:
        function, args = _initializer(name, at, admin, token_base_uri, admin_delay)
        implementation = implementations[name]
        data = client.encode_call(name, implementation.address, function, args)
        proxy = deployed_contract(
            client,
            name,
            client.deploy(
                PROXY_CONTRACT, deployer, [implementation.address, bytes.fromhex(data[2:])]
            ),
        )
        if proxy.address.lower() != at[name].lower():
            raise DeploymentError(
                f"{name}'s proxy landed at {proxy.address}, not at {at[name]}: another "
                f"transaction from {deployer.address} interleaved with the deployment"
            )
        contracts[name] = proxy.model_copy(
            update={
                "implementation": implementation.address,
                "implementation_codehash": implementation.codehash,
            }
        )
    return DeploymentManifest(
        chain_id=client.chain_id(),
        deploy_block=forwarder.block_number,
        artifacts_hash=artifacts_hash,
        deployer=deployer.address,
        deployed_at=datetime.now(tz=UTC),
        contracts=contracts,
    )


def ensure_deployment(
    client: ChainClient,
    deployer: LocalAccount,
    admin: str,
    manifest_path: Path,
    artifacts_hash: str,
    token_base_uri: str,
) -> tuple[DeploymentManifest, bool]:
    """The manifest of the live deployment, deploying first if there is none.

    Returns ``(manifest, deployed_now)``.
    """
    manifest = DeploymentManifest.load(manifest_path)
    if manifest is None:
        manifest = deploy_all(client, deployer, admin, artifacts_hash, token_base_uri)
        manifest.save(manifest_path)
        return manifest, True
    verify_deployment(client, manifest, manifest_path)
    if manifest.artifacts_hash != artifacts_hash:
        raise DeploymentError(
            f"the contracts recorded in {manifest_path} were built from other sources "
            f"({manifest.artifacts_hash}) than the current build ({artifacts_hash}); "
            "rebuild the recorded version or start a new registry in another DAREG_VAR_DIR"
        )
    return manifest, False
