"""Upgrade the registry's proxies to new implementations, and record it in the manifest.

An upgrade has three steps (docs/upgrades.md):

1. :func:`prepare_upgrade`: the operator deploys a new implementation of every upgradeable
   contract (an implementation is inert: its constructor disables its initializers, and nobody
   but the admin can point a proxy at it). The :class:`UpgradePlan` names them and the admin's
   transactions, ``upgradeToAndCall(implementation, "")`` on each proxy.
2. The admin sends those transactions: :func:`execute_upgrade` with the admin's key, or a
   multisig or timelock proposes and executes :meth:`UpgradePlan.transactions`.
3. :func:`record_upgrade`: once the chain runs the new implementations, the manifest records
   them and the artifacts hash of the build they came from, so the service starts again
   (``verify_deployment`` refuses to start while the chain and the manifest differ).

Linked libraries: the new implementations are linked exactly as the first deployment links
them (:func:`registry.chain.deploy.deploy_libraries`): every external library they reference is
deployed afresh from the same build, once, and linked into each implementation that needs it.
The plan names those libraries, and :func:`record_upgrade` records them in the manifest in place
of the previous ones (libraries are stateless: nothing is lost with the old instances).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from pydantic import BaseModel, Field

from registry.artifacts import FORWARDER_CONTRACT
from registry.chain.client import ChainClient
from registry.chain.deploy import deploy_libraries
from registry.domain.chain import ContractCall, Receipt
from registry.domain.deployment import DeployedContract, DeploymentManifest
from registry.errors import DeploymentError

#: The authority whose admin (DEFAULT_ADMIN_ROLE) alone authorises upgrades.
AUTHORITY_CONTRACT = "RegistryAuthority"
#: The UUPS function every implementation exposes behind its proxy.
UPGRADE_FUNCTION = "upgradeToAndCall"


class ImplementationChange(BaseModel):
    """One proxy's move to a new implementation."""

    contract: str = Field(description="the contract's name in the manifest")
    proxy: str
    previous: str = Field(description="the implementation the proxy ran when prepared")
    implementation: str = Field(description="the new implementation")
    implementation_codehash: str
    artifact: str = Field(description="the compiled contract the implementation was built from")
    deploy_tx_hash: str


class Transaction(BaseModel):
    """A transaction for the admin to send (a multisig or timelock proposal's entry)."""

    to: str
    value: str = "0"
    data: str


class UpgradePlan(BaseModel):
    """New implementations, deployed and waiting for the admin's ``upgradeToAndCall``."""

    chain_id: int
    artifacts_hash: str = Field(description="the build the new implementations come from")
    admin: str = Field(description="the authority's admin when prepared: it must send them")
    changes: list[ImplementationChange]
    libraries: dict[str, DeployedContract] = Field(
        default_factory=dict,
        description="the external libraries deployed for (and linked into) the implementations",
    )

    def calls(self) -> list[tuple[str, ContractCall]]:
        """``(proxy, call)`` for every change: the admin's ``upgradeToAndCall``."""
        return [
            (
                change.proxy,
                ContractCall(change.contract, UPGRADE_FUNCTION, (change.implementation, b"")),
            )
            for change in self.changes
        ]

    def transactions(self, client: ChainClient) -> list[Transaction]:
        """The admin's transactions as ``to``/``value``/``data`` (e.g. a Safe transaction
        batch, or the entries of a TimelockController ``scheduleBatch``)."""
        return [
            Transaction(
                to=proxy,
                data=client.encode_call(call.contract, proxy, call.function, call.args),
            )
            for proxy, call in self.calls()
        ]


def _upgradeable(manifest: DeploymentManifest) -> list[str]:
    """The manifest's proxied contracts, the authority last: a broken authority upgrade must not
    stop the others (each module asks the authority who the admin is)."""
    names = [n for n, c in manifest.contracts.items() if c.implementation is not None]
    return sorted(names, key=lambda n: n == AUTHORITY_CONTRACT)


def current_admin(client: ChainClient, manifest: DeploymentManifest) -> str:
    """The authority's admin (DEFAULT_ADMIN_ROLE), who alone may upgrade."""
    authority = manifest.address_of(AUTHORITY_CONTRACT)
    return str(client.read(AUTHORITY_CONTRACT, authority, "defaultAdmin"))


def prepare_upgrade(
    client: ChainClient,
    manifest: DeploymentManifest,
    deployer: LocalAccount,
    artifacts_hash: str,
    *,
    artifacts: Mapping[str, str] | None = None,
) -> UpgradePlan:
    """Deploy a new implementation of every upgradeable contract of ``manifest``.

    ``artifacts`` maps a contract to the compiled contract its new implementation is built from
    (default: the contract of the same name in the current build), e.g. a test's next version.
    Each implementation trusts the manifest's forwarder (an immutable of its constructor). The
    external libraries the implementations reference are deployed first, once each, and linked
    in (as :func:`registry.chain.deploy.deploy_all` does); ``client`` must know their artifacts.
    """
    chain_id = client.chain_id()
    if chain_id != manifest.chain_id:
        raise DeploymentError(
            f"the chain at {client.rpc_url} has chain id {chain_id}, but the manifest records a "
            f"deployment on chain {manifest.chain_id}"
        )
    forwarder = manifest.address_of(FORWARDER_CONTRACT)
    chosen = dict(artifacts or {})
    unknown = set(chosen) - set(_upgradeable(manifest))
    if unknown:
        raise DeploymentError(f"not upgradeable contracts of this deployment: {sorted(unknown)}")
    names = _upgradeable(manifest)
    libraries = deploy_libraries(client, deployer, [chosen.get(name, name) for name in names])
    linked = {library: deployed.address for library, deployed in libraries.items()}
    changes = []
    for name in names:
        artifact = chosen.get(name, name)
        proxy = manifest.contracts[name].address
        receipt = client.deploy(artifact, deployer, [forwarder], libraries=linked)
        implementation = _created(client, artifact, receipt)
        codehash = client.code_hash(implementation)
        assert codehash is not None  # _created checked the code
        changes.append(
            ImplementationChange(
                contract=name,
                proxy=proxy,
                previous=client.implementation_of(proxy),
                implementation=implementation,
                implementation_codehash=codehash,
                artifact=artifact,
                deploy_tx_hash=receipt.tx_hash,
            )
        )
    return UpgradePlan(
        chain_id=chain_id,
        artifacts_hash=artifacts_hash,
        admin=current_admin(client, manifest),
        changes=changes,
        libraries=libraries,
    )


def _created(client: ChainClient, artifact: str, receipt: Receipt) -> str:
    address = receipt.contract_address
    if address is None or client.code_hash(address) is None:
        raise DeploymentError(f"deploying the implementation {artifact} left no code")
    return address


def execute_upgrade(client: ChainClient, plan: UpgradePlan, admin: LocalAccount) -> list[Receipt]:
    """Send the admin's ``upgradeToAndCall`` of every change, signed by ``admin``.

    The chain is the judge (the authority's DEFAULT_ADMIN_ROLE); a signer who is not the admin
    is refused before anything is sent.
    """
    if admin.address.lower() != plan.admin.lower():
        raise DeploymentError(
            f"{admin.address} is not the registry's admin ({plan.admin}): only the admin "
            "upgrades; a multisig or timelock admin sends the plan's transactions itself"
        )
    return [client.send(call, proxy, admin) for proxy, call in plan.calls()]


def record_upgrade(
    client: ChainClient, manifest: DeploymentManifest, plan: UpgradePlan
) -> DeploymentManifest:
    """The manifest with the plan's implementations, libraries and build, once the chain runs
    them all. The plan's libraries replace the manifest's previous ones (the new implementations
    are linked with them alone).

    Raises :class:`DeploymentError` naming the first proxy that does not run its planned
    implementation (the admin has not sent, or the timelock not yet executed, its upgrade), or
    the first library whose code is not on chain as planned.
    """
    if plan.chain_id != manifest.chain_id:
        raise DeploymentError(
            f"the upgrade plan is for chain {plan.chain_id}, the manifest for {manifest.chain_id}"
        )
    for library, deployed in plan.libraries.items():
        if client.code_hash(deployed.address) != deployed.codehash:
            raise DeploymentError(
                f"the upgrade plan's library {library} at {deployed.address} does not hold the "
                "planned code"
            )
    contracts = _with_libraries(manifest.contracts, plan.libraries)
    for change in plan.changes:
        recorded = contracts.get(change.contract)
        if recorded is None or recorded.address.lower() != change.proxy.lower():
            raise DeploymentError(
                f"the upgrade plan's {change.contract} at {change.proxy} is not in the manifest"
            )
        running = client.implementation_of(change.proxy)
        if running.lower() != change.implementation.lower():
            raise DeploymentError(
                f"{change.contract} at {change.proxy} runs implementation {running}, not the "
                f"planned {change.implementation}: the admin's upgrade has not been executed"
            )
        contracts[change.contract] = recorded.model_copy(
            update={
                "implementation": change.implementation,
                "implementation_codehash": change.implementation_codehash,
            }
        )
    return manifest.model_copy(
        update={"contracts": contracts, "artifacts_hash": plan.artifacts_hash}
    )


def _with_libraries(
    contracts: Mapping[str, DeployedContract], libraries: Mapping[str, DeployedContract]
) -> dict[str, DeployedContract]:
    """``contracts`` with its libraries (the entries with no proxy, but the forwarder) replaced
    by ``libraries``, in the order ``deploy_all`` records them: forwarder, libraries, proxies."""
    unproxied = {n: c for n, c in contracts.items() if c.implementation is None}
    forwarder = {n: c for n, c in unproxied.items() if n == FORWARDER_CONTRACT}
    proxied = {n: c for n, c in contracts.items() if c.implementation is not None}
    return {**forwarder, **libraries, **proxied}


def upgrade(
    client: ChainClient,
    manifest: DeploymentManifest,
    deployer: LocalAccount,
    admin: LocalAccount,
    artifacts_hash: str,
    *,
    artifacts: Mapping[str, str] | None = None,
) -> tuple[DeploymentManifest, UpgradePlan]:
    """Prepare, execute with the admin's key and record: the new manifest and the plan."""
    plan = prepare_upgrade(client, manifest, deployer, artifacts_hash, artifacts=artifacts)
    execute_upgrade(client, plan, admin)
    return record_upgrade(client, manifest, plan), plan


def plan_summary(plan: UpgradePlan) -> Sequence[dict[str, Any]]:
    """One row per change, for the CLI."""
    return [
        {
            "contract": c.contract,
            "proxy": c.proxy,
            "from": c.previous,
            "to": c.implementation,
        }
        for c in plan.changes
    ]
