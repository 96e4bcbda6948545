"""``dareg upgrade``: with the admin's key, or prepared for a multisig and recorded afterwards."""

from __future__ import annotations

import json
from pathlib import Path

from registry.chain.client import ChainClient, dev_account
from registry.domain.deployment import DeploymentManifest
from registry.settings import Settings
from tests.cli.conftest import StackEnv, run_dareg
from tests.conftest import admin as governor

PROXIED = 6  # every deployed contract but the forwarder


def _manifest(settings: Settings) -> DeploymentManifest:
    manifest = DeploymentManifest.load(settings.manifest_path)
    assert manifest is not None
    return manifest


def _key_file(tmp_path: Path, name: str, key: bytes) -> Path:
    path = tmp_path / name
    path.write_text(key.hex(), encoding="utf-8")
    return path


def test_the_admin_upgrades_with_its_key_and_the_manifest_records_it(
    cli_env: dict[str, str], test_settings: Settings, chain: ChainClient, tmp_path: Path
) -> None:
    before = _manifest(test_settings)
    result = run_dareg(cli_env, "upgrade")
    assert result.returncode == 2
    assert "say how: --key-file ADMIN_KEY" in result.stderr
    operator_key = _key_file(tmp_path, "operator.key", bytes(dev_account(0).key))
    result = run_dareg(cli_env, "upgrade", "--key-file", str(operator_key))
    assert result.returncode == 2
    assert "is not the registry's admin" in result.stderr
    admin_key = _key_file(tmp_path, "admin.key", bytes(governor().key))
    result = run_dareg(cli_env, "upgrade", "--key-file", str(admin_key), "--json")
    chain.reset_nonces()
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    upgraded = output["upgraded"]
    assert len(upgraded) == PROXIED
    after = _manifest(test_settings)
    for row in upgraded:
        name = row["contract"]
        assert row["from"] == before.contracts[name].implementation
        assert after.contracts[name].implementation == row["to"] != row["from"]
        assert chain.implementation_of(row["proxy"]) == row["to"]
        assert after.contracts[name].address == before.contracts[name].address
    # the new implementations are linked with freshly deployed libraries, recorded in the manifest
    libraries = output["libraries"]
    assert libraries
    assert set(libraries) == {
        n for n, c in before.contracts.items() if c.implementation is None
    } - {"RegistryForwarder"}
    for name, address in libraries.items():
        assert after.contracts[name].address == address != before.contracts[name].address
    # the service starts on the recorded upgrade
    assert run_dareg(cli_env, "registrar", "show", "440").returncode == 0
    # each of the admin's upgrade transactions is in the access log
    logged = json.loads(run_dareg(cli_env, "access-log", "--limit", "500", "--json").stdout)
    upgrades = [e for e in logged["items"] if e["action"].endswith(".upgradeToAndCall")]
    assert len(upgrades) == PROXIED
    assert {(e["caller"], e["sender"], e["outcome"]) for e in upgrades} == {
        (governor().address, governor().address, "sent")
    }


def test_a_multisig_admin_gets_the_transactions_and_the_upgrade_is_recorded_afterwards(
    cli_env: dict[str, str], test_settings: Settings, chain: ChainClient, tmp_path: Path
) -> None:
    before = _manifest(test_settings)
    plan_file = tmp_path / "plan.json"
    result = run_dareg(cli_env, "upgrade", "--prepare", str(plan_file))
    chain.reset_nonces()
    assert result.returncode == 0, result.stderr
    assert f"dareg upgrade --record {plan_file}" in result.stdout
    body = json.loads(plan_file.read_text(encoding="utf-8"))
    assert len(body["transactions"]) == len(body["plan"]["changes"]) == PROXIED
    assert body["plan"]["admin"] == governor().address
    # nothing is executed yet: nothing to record, and the manifest is unchanged
    result = run_dareg(cli_env, "upgrade", "--record", str(plan_file))
    assert result.returncode == 1
    assert "the admin's upgrade has not been executed" in result.stderr
    assert _manifest(test_settings) == before
    # the admin (a multisig, here its one key) executes the transactions
    for tx, change in zip(body["transactions"], body["plan"]["changes"], strict=True):
        assert tx["to"] == change["proxy"]
        chain.transact(
            change["contract"],
            tx["to"],
            "upgradeToAndCall",
            [change["implementation"], b""],
            governor(),
        )
    # an upgrade outside the service stops it until recorded, as its message says
    result = run_dareg(cli_env, "registrar", "show", "440")
    assert result.returncode == 1
    assert "record it with `dareg upgrade`" in result.stderr
    result = run_dareg(cli_env, "upgrade", "--record", str(plan_file))
    assert result.returncode == 0, result.stderr
    after = _manifest(test_settings)
    for change in body["plan"]["changes"]:
        assert after.contracts[change["contract"]].implementation == change["implementation"]
    assert run_dareg(cli_env, "registrar", "show", "440").returncode == 0


def test_on_the_embedded_chain_the_node_runs_from_its_state_for_the_upgrade(
    stack_env: StackEnv, tmp_path: Path
) -> None:
    """Stop `dareg up`, upgrade (the node is started from var/chain and stopped again), start:
    the registry starts on the recorded upgrade."""
    admin_key = _key_file(tmp_path, "admin.key", bytes(governor().key))
    process = stack_env.start()
    try:
        stack_env.wait_healthy(process)
        busy = stack_env.run("upgrade", "--key-file", str(admin_key))
        assert busy.returncode != 0  # `dareg up` holds var/
        assert "already running" in busy.stderr
    finally:
        assert stack_env.stop(process) == 0
    before = DeploymentManifest.load(stack_env.var_dir / "deployment.json")
    assert before is not None
    result = stack_env.run("upgrade", "--key-file", str(admin_key), "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    after = DeploymentManifest.load(stack_env.var_dir / "deployment.json")
    assert after is not None
    upgraded = json.loads(result.stdout)["upgraded"]
    assert len(upgraded) == PROXIED
    for row in upgraded:
        name = row["contract"]
        assert row["from"] == before.contracts[name].implementation
        assert after.contracts[name].implementation == row["to"] != row["from"]
    process = stack_env.start()
    try:
        stack_env.wait_healthy(process)
    finally:
        assert stack_env.stop(process) == 0
