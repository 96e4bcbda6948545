"""Deploy the registry's contracts once, and recognise them on every later start."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from registry.artifacts import DEPLOYED_CONTRACTS
from registry.chain.client import ChainClient
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


def _constructor_args(
    name: str, deployed: dict[str, DeployedContract], deployer: LocalAccount, token_base_uri: str
) -> list[Any]:
    if name == "DataAssetRegistry":
        return [
            deployer.address,
            deployed["EvidenceRegistry"].address,
            token_base_uri,
            deployed["RegistryForwarder"].address,
        ]
    if name in ("TransferAgent", "LicenceRegistry", "ValuationRegistry"):
        return [deployed["DataAssetRegistry"].address, deployed["RegistryForwarder"].address]
    return []


def deploy_all(
    client: ChainClient, deployer: LocalAccount, artifacts_hash: str, token_base_uri: str
) -> DeploymentManifest:
    """Deploy every registry contract; the deployer becomes the registry's admin."""
    contracts: dict[str, DeployedContract] = {}
    first_block: int | None = None
    for name in DEPLOYED_CONTRACTS:
        args = _constructor_args(name, contracts, deployer, token_base_uri)
        receipt = client.deploy(name, deployer, args)
        if receipt.contract_address is None:
            raise DeploymentError(f"deploying {name} returned no contract address")
        codehash = client.code_hash(receipt.contract_address)
        if codehash is None:
            raise DeploymentError(f"{name} deployed at {receipt.contract_address} has no code")
        contracts[name] = DeployedContract(
            address=receipt.contract_address,
            codehash=codehash,
            tx_hash=receipt.tx_hash,
            block_number=receipt.block_number,
        )
        first_block = receipt.block_number if first_block is None else first_block
    assert first_block is not None
    # the certificate contract lets only its transfer agent move tokens; wire the modules once
    client.transact(
        "DataAssetRegistry",
        contracts["DataAssetRegistry"].address,
        "setModules",
        [contracts["TransferAgent"].address, contracts["LicenceRegistry"].address],
        deployer,
    )
    return DeploymentManifest(
        chain_id=client.chain_id(),
        deploy_block=first_block,
        artifacts_hash=artifacts_hash,
        deployer=deployer.address,
        deployed_at=datetime.now(tz=UTC),
        contracts=contracts,
    )


def ensure_deployment(
    client: ChainClient,
    deployer: LocalAccount,
    manifest_path: Path,
    artifacts_hash: str,
    token_base_uri: str,
) -> tuple[DeploymentManifest, bool]:
    """The manifest of the live deployment, deploying first if there is none.

    Returns ``(manifest, deployed_now)``.
    """
    manifest = DeploymentManifest.load(manifest_path)
    if manifest is None:
        manifest = deploy_all(client, deployer, artifacts_hash, token_base_uri)
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
