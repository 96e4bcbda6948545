"""The upgrade path on anvil (docs/upgrades.md): a filled registry is upgraded in place.

The registry is deployed as the current version and filled through the services (certificates
submitted, in notice, issued, transferred, cancelled, revoked and expired; a pledge, a licence, a
valuation, a freeze; evidence and the registrar directory), the indexer mirrors it, then every
proxy is upgraded by the admin (DataAssetRegistry to the test-only ``DataAssetRegistryV2Probe``,
which adds one view; every other contract to a fresh deployment of the same code). Every record
reads back unchanged through the contracts' views, the mirror keeps indexing what happens after
the upgrade, and the audit finds mirror and chain consistent. Nobody but the admin upgrades, and
no implementation can be initialised or upgraded directly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from eth_utils.crypto import keccak
from sqlalchemy import select

from registry.artifacts import FORWARDER_CONTRACT, client_contracts, load_artifact
from registry.chain.client import ChainClient, dev_account
from registry.chain.deploy import verify_deployment
from registry.chain.upgrade import (
    UPGRADE_FUNCTION,
    execute_upgrade,
    prepare_upgrade,
    record_upgrade,
    upgrade,
)
from registry.context import RegistryContext
from registry.db.models import pledge_table, raw_event_table, registration_table
from registry.domain.deployment import DeploymentManifest
from registry.errors import ContractRevertError, ContractsMissingError, DeploymentError
from registry.indexer.follow import Indexer
from registry.settings import Settings
from tests.conftest import admin as governor
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, metadata, registrar, travel
from tests.registry.rights.test_service import (
    bank,
    buyer,
    chain_now,
    holder,
    licence_terms,
    pledge_terms,
    record_domestic,
    regulator,
)
from tests.registry.valuation.test_service import appraiser, submission

PROBE = "DataAssetRegistryV2Probe"
REGISTRY = "DataAssetRegistry"
PROXIED = ("RegistryAuthority", "EvidenceRegistry", REGISTRY, "TransferAgent", "LicenceRegistry",
           "ValuationRegistry")  # fmt: skip
REGULATOR_ROLE = keccak(text="REGULATOR_ROLE")
DEPLOYER = dev_account(11)  # anyone may deploy an implementation; the CLI uses the operator


@pytest.fixture
def upgrader(chain: ChainClient, base_settings: Settings) -> ChainClient:
    """A client that also knows the test-only next version of the registry (and, as the
    service's client, the libraries the contracts are linked with)."""
    names = [*client_contracts(base_settings.artifacts_dir), PROBE]
    client = ChainClient(
        chain.rpc_url, [load_artifact(base_settings.artifacts_dir, n) for n in names]
    )
    chain.rpc("anvil_setBalance", [DEPLOYER.address, hex(10**21)])
    return client


def sync(ctx: RegistryContext) -> int:
    return Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()


# --- filling the registry through the services --------------------------------------------------


class Filled:
    """What the set-up created, by name."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.pledge = self.licence = self.valuation = 0
        self.fingerprints: list[bytes] = []


def fill(ctx: RegistryContext) -> Filled:
    f = Filled()
    reg, staff, op = ctx.registrations, registrar(), ctx.operator
    ctx.registrations.set_regulator(regulator().address, governor())
    record_domestic(ctx)  # v2: a recipient without a recorded country fails closed
    ctx.valuations.accredit(appraiser().address, "中联资产评估集团 资格证书 11020001", regulator())
    # evidence: the holder anchors its dataset (relayed)
    fp = bytes([0xE1]) * 32
    ctx.evidence.sign_and_relay(fp, holder(), op)
    f.fingerprints.append(fp)
    # certificates to issue, one of them with a source agreement ending soon (it will expire)
    soon = (chain_now(ctx.client) + timedelta(days=22)).date()
    plans: dict[str, dict[str, Any]] = {
        "issued": {},
        "transferred": {},
        "pledged": {},
        "licensed": {},
        "valued": {},
        "frozen": {},
        "cancelled": {},
        "revoked": {},
        "expired": {"source_agreement_end": soon},
    }
    for n, (name, changes) in enumerate(plans.items()):
        doc = metadata(holder().address, 0xA0 + n, **changes)
        f.ids[name] = reg.sign_and_submit(doc, REGISTRAR_CODE, holder(), op).id
        reg.accept(f.ids[name], staff)
        reg.open_notice(f.ids[name], staff)
    travel(ctx.client, NOTICE + 1)
    for name in plans:
        reg.issue(f.ids[name], staff)
    # applications that stay open: submitted, and in notice
    f.ids["submitted"] = reg.sign_and_submit(metadata(holder().address, 0xC1), 440, holder(), op).id
    f.ids["in_notice"] = reg.sign_and_submit(metadata(holder().address, 0xC2), 440, holder(), op).id
    reg.accept(f.ids["in_notice"], staff)
    reg.open_notice(f.ids["in_notice"], staff)
    # rights
    rights = ctx.rights
    rights.transfer(f.ids["transferred"], buyer().address, "sale", "转让合同 No. 7", holder())
    f.pledge = rights.sign_and_register(
        pledge_terms(ctx, f.ids["pledged"]), holder(), bank(), op
    ).id
    f.licence = rights.grant_licence(f.ids["licensed"], licence_terms(ctx), holder()).id
    f.valuation = ctx.valuations.submit(f.ids["valued"], submission(ctx), appraiser()).id
    rights.freeze(f.ids["frozen"], "(2026)粤01执保123号", regulator())
    reg.cancel(f.ids["cancelled"], "业务调整，申请注销", holder())
    reg.revoke(f.ids["revoked"], 2, "登记事项与事实不符", staff)
    travel(ctx.client, 8 * 86_400)  # past the short source agreement: expired
    return f


Read = tuple[str, str, tuple[Any, ...]]


def reads(ctx: RegistryContext, f: Filled) -> list[Read]:
    """Every view worth comparing, as (contract, function, args)."""
    out: list[Read] = []
    staff, owners = registrar().address, (holder().address, buyer().address)
    for reg_id in f.ids.values():
        out += [(REGISTRY, fn, (reg_id,)) for fn in ("registration", "statusOf",
                "registrationNumber", "certificateNumber", "ownerOf", "tokenURI")]  # fmt: skip
        out += [(REGISTRY, "versionOf", (reg_id, 1))]
        out += [("TransferAgent", fn, (reg_id,)) for fn in ("encumbrance", "livePledgeOf",
                "freezeOf", "pledgeNonce")]  # fmt: skip
        out += [("LicenceRegistry", "licencesOf", (reg_id,))]
        out += [("ValuationRegistry", fn, (reg_id,)) for fn in ("valuationsOf",
                "latestValuationOf", "accountingClassOf")]  # fmt: skip
    out += [(REGISTRY, fn, ()) for fn in ("name", "symbol", "validityPeriod", "authority")]
    out += [(REGISTRY, "balanceOf", (a,)) for a in owners]
    out += [(REGISTRY, "applicationNonce", (a,)) for a in owners]
    out += [("TransferAgent", "partyCountry", (a,)) for a in owners]
    out += [("TransferAgent", "pledge", (f.pledge,))]
    out += [("LicenceRegistry", fn, (f.licence,)) for fn in ("licence", "isLive", "voucherNumber")]
    out += [("ValuationRegistry", "valuation", (f.valuation,))]
    out += [("ValuationRegistry", "appraiser", (appraiser().address,))]
    out += [("EvidenceRegistry", "evidenceOf", (fp,)) for fp in f.fingerprints]
    out += [("EvidenceRegistry", "anchorNonce", (holder().address,))]
    out += [
        ("RegistryAuthority", "registrarPolicy", (REGISTRAR_CODE,)),
        ("RegistryAuthority", "registrarCodeOf", (staff,)),
        ("RegistryAuthority", "hasRole", (REGULATOR_ROLE, regulator().address)),
        ("RegistryAuthority", "defaultAdmin", ()),
        ("RegistryAuthority", "defaultAdminDelay", ()),
        ("RegistryAuthority", "paused", ()),
    ]
    return out


def snapshot(client: ChainClient, manifest: DeploymentManifest, items: list[Read]) -> list[Any]:
    """Each read's answer (a refusal counts as an answer: its error and arguments)."""
    answers: list[Any] = []
    for contract, function, args in items:
        try:
            answers.append(client.call(contract, manifest.address_of(contract), function, args))
        except ContractRevertError as exc:
            answers.append(("refused", exc.error_name, exc.args_by_name))
    return answers


# --- the upgrade ---------------------------------------------------------------------------------


def test_an_upgrade_keeps_every_record_and_the_mirror_keeps_indexing(
    ctx: RegistryContext,
    upgrader: ChainClient,
    test_settings: Settings,
) -> None:
    f = fill(ctx)
    status = {name: ctx.registrations.get(i).status.value for name, i in f.ids.items()}
    assert status == {
        **dict.fromkeys(("issued", "pledged", "licensed", "valued", "frozen"), "issued"),
        "transferred": "issued",
        "cancelled": "cancelled",
        "revoked": "revoked",
        "expired": "expired",
        "submitted": "submitted",
        "in_notice": "in_notice",
    }
    sync(ctx)
    assert ctx.audit.audit().consistent
    manifest = ctx.manifest
    items = reads(ctx, f)
    before = snapshot(ctx.client, manifest, items)
    # refusals are answers too, but only where there is nothing to read: the certificate of an
    # open application (and, where ended certificates are burnt, their tokens)
    open_ids = {f.ids["submitted"], f.ids["in_notice"]}
    refused = [item for item, answer in zip(items, before, strict=True) if _is_refusal(answer)]
    assert all(i[1] in {"ownerOf", "tokenURI"} or i[2][0] in open_ids for i in refused), refused
    events_before = len(_raw_events(ctx))

    # the admin upgrades every proxy: the registry to its next version, the rest to fresh copies
    new_manifest, plan = upgrade(
        upgrader,
        manifest,
        DEPLOYER,
        governor(),
        "sha256:next",
        artifacts={REGISTRY: PROBE},
    )
    ctx.client.reset_nonces()
    assert [c.contract for c in plan.changes][-1] == "RegistryAuthority"  # the authority last
    assert sorted(c.contract for c in plan.changes) == sorted(PROXIED)
    for change in plan.changes:
        assert change.previous == manifest.contracts[change.contract].implementation
        assert upgrader.implementation_of(change.proxy) == change.implementation
        assert change.implementation != change.previous
        recorded = new_manifest.contracts[change.contract]
        assert (recorded.address, recorded.codehash) == (
            manifest.contracts[change.contract].address,
            manifest.contracts[change.contract].codehash,  # the proxy itself never changes
        )
        assert recorded.implementation == change.implementation
    assert new_manifest.artifacts_hash == "sha256:next"
    assert new_manifest.contracts[FORWARDER_CONTRACT] == manifest.contracts[FORWARDER_CONTRACT]
    # the new registry (the probe) is linked with freshly deployed libraries, recorded in place
    # of the previous ones
    linked = upgrader.libraries_of(PROBE)
    assert linked
    assert set(linked) <= set(plan.libraries)
    old_libraries = {n for n, c in manifest.contracts.items() if c.implementation is None}
    assert old_libraries - {FORWARDER_CONTRACT} == set(plan.libraries)
    for name, library in plan.libraries.items():
        assert new_manifest.contracts[name] == library
        assert library.address != manifest.contracts[name].address
        assert upgrader.code_hash(library.address) == library.codehash
    registry_change = next(c for c in plan.changes if c.contract == REGISTRY)
    probe_code = upgrader.rpc("eth_getCode", [registry_change.implementation, "latest"]).lower()
    for name in linked:
        assert plan.libraries[name].address.lower().removeprefix("0x") in probe_code, name
    registry_proxy = manifest.address_of(REGISTRY)
    assert upgrader.call(PROBE, registry_proxy, "upgradeProbe") == 2  # the new code runs

    # every record reads back unchanged
    after = snapshot(ctx.client, manifest, items)
    changed = [(item, a, b) for item, a, b in zip(items, before, after, strict=True) if a != b]
    assert not changed

    # the service refuses the old manifest, accepts the recorded one
    with pytest.raises(ContractsMissingError, match="record it with `dareg upgrade`"):
        verify_deployment(ctx.client, manifest, test_settings.manifest_path)
    verify_deployment(ctx.client, new_manifest, test_settings.manifest_path)

    # the mirror keeps indexing: what happens after the upgrade lands in it
    assert sync(ctx) >= 0
    upgraded = _raw_events(ctx)
    assert [e for e in upgraded[events_before:] if e == "Upgraded"] == ["Upgraded"] * len(PROXIED)
    reg, staff = ctx.registrations, registrar()
    ctx.rights.release(f.pledge, bank())
    ctx.rights.unfreeze(f.ids["frozen"], "(2026)粤01执保123号", regulator())
    reg.accept(f.ids["submitted"], staff)
    travel(ctx.client, NOTICE + 1)
    reg.issue(f.ids["in_notice"], staff)
    ctx.valuations.submit(f.ids["valued"], submission(ctx, value=11_000_000_00), appraiser())
    sync(ctx)
    rows = _registration_status(ctx)
    assert rows[f.ids["in_notice"]] == "issued"
    assert rows[f.ids["submitted"]] == "accepted"
    with ctx.engine.connect() as connection:
        pledge_status = connection.execute(
            select(pledge_table.c.status).where(pledge_table.c.id == f.pledge)
        ).scalar_one()
    assert pledge_status == "released"
    report = ctx.audit.audit()
    assert report.consistent, report
    assert report.events_on_chain == report.events_in_mirror


def _is_refusal(answer: Any) -> bool:
    return isinstance(answer, tuple) and len(answer) == 3 and answer[0] == "refused"


def _raw_events(ctx: RegistryContext) -> list[str]:
    t = raw_event_table
    with ctx.engine.connect() as connection:
        rows = connection.execute(select(t.c.event).order_by(t.c.block_number, t.c.log_index))
        return [str(r[0]) for r in rows]


def _registration_status(ctx: RegistryContext) -> dict[int, str]:
    t = registration_table
    with ctx.engine.connect() as connection:
        return {int(i): str(s) for i, s in connection.execute(select(t.c.id, t.c.status))}


# --- who may upgrade -----------------------------------------------------------------------------


def _refused(send: Callable[[], Any]) -> ContractRevertError:
    try:
        send()
    except ContractRevertError as exc:
        return exc
    raise AssertionError("the call was not refused")


def test_nobody_but_the_admin_upgrades(
    ctx: RegistryContext, upgrader: ChainClient, deployment: DeploymentManifest
) -> None:
    ctx.registrations.set_regulator(regulator().address, governor())
    plan = prepare_upgrade(upgrader, deployment, DEPLOYER, "sha256:next")
    assert plan.admin == governor().address
    for someone in (ctx.operator, registrar(), regulator(), holder()):
        for proxy, call in plan.calls():
            error = _refused(
                lambda proxy=proxy, call=call, someone=someone: upgrader.transact(
                    call.contract, proxy, call.function, call.args, someone
                )
            )
            assert error.error_name == "AccessControlUnauthorizedAccount", (call, someone)
            assert error.args_by_name["account"] == someone.address
        with pytest.raises(DeploymentError, match="not the registry's admin"):
            execute_upgrade(upgrader, plan, someone)
    # nothing changed, so nothing can be recorded
    with pytest.raises(DeploymentError, match="the admin's upgrade has not been executed"):
        record_upgrade(upgrader, deployment, plan)
    # a multisig or timelock sends the same transactions
    transactions = plan.transactions(upgrader)
    assert [t.to for t in transactions] == [c.proxy for c in plan.changes]
    assert all(
        t.data.startswith(_selector(upgrader, plan.changes[0].contract)) for t in transactions
    )
    execute_upgrade(upgrader, plan, governor())
    assert record_upgrade(upgrader, deployment, plan).artifacts_hash == "sha256:next"


def _selector(client: ChainClient, contract: str) -> str:
    data = client.encode_call(contract, "0x" + "00" * 20, UPGRADE_FUNCTION, ["0x" + "00" * 20, b""])
    return data[:10]


def test_an_implementation_is_never_initialised_or_upgraded_directly(
    ctx: RegistryContext, upgrader: ChainClient, deployment: DeploymentManifest
) -> None:
    """An implementation's constructor disables its initializers: nobody can take it over (and
    UUPS refuses ``upgradeToAndCall`` called on the implementation itself)."""
    admin, someone = governor(), dev_account(12)
    upgrader.rpc("anvil_setBalance", [someone.address, hex(10**21)])
    addresses = {name: deployment.address_of(name) for name in PROXIED}
    initializers: dict[str, list[Any]] = {
        "RegistryAuthority": [someone.address, 0],
        "EvidenceRegistry": [someone.address],
        REGISTRY: [someone.address, someone.address, someone.address, someone.address, "x"],
        "TransferAgent": [someone.address, addresses[REGISTRY]],
        "LicenceRegistry": [someone.address, addresses[REGISTRY]],
        "ValuationRegistry": [someone.address, addresses[REGISTRY]],
    }
    for name in PROXIED:
        implementation = deployment.contracts[name].implementation
        assert implementation is not None
        error = _refused(
            lambda name=name, implementation=implementation: upgrader.transact(
                name, implementation, "initialize", initializers[name], someone
            )
        )
        assert error.error_name == "InvalidInitialization", name
        # nor again through the proxy
        error = _refused(
            lambda name=name: upgrader.transact(
                name, addresses[name], "initialize", initializers[name], someone
            )
        )
        assert error.error_name == "InvalidInitialization", name
        error = _refused(
            lambda name=name, implementation=implementation: upgrader.transact(
                name, implementation, UPGRADE_FUNCTION, [implementation, b""], admin
            )
        )
        assert error.error_name == "UUPSUnauthorizedCallContext", name
    # and a proxy is never pointed at something that is not a UUPS implementation
    forwarder = deployment.address_of(FORWARDER_CONTRACT)
    error = _refused(
        lambda: upgrader.transact(
            REGISTRY, addresses[REGISTRY], UPGRADE_FUNCTION, [forwarder, b""], admin
        )
    )
    assert error.error_name == "ERC1967InvalidImplementation"
