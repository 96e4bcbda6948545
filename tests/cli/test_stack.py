"""`dareg up` end to end: the embedded stack, restarts, and refusals."""

from __future__ import annotations

import json
import socket
import time

import pytest

from registry.demo.scenario import REGULATOR
from tests.cli.conftest import StackEnv

pytestmark = pytest.mark.slow


def _wait_indexed(stack: StackEnv, timeout: float = 20) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        _, health = stack.get("/api/v1/health")
        if health["indexer_head"] == health["chain_head"] or time.monotonic() > deadline:
            return dict(health)
        time.sleep(0.2)


def test_up_demo_restart_keeps_everything_and_never_redeploys(
    stack_env: StackEnv, tmp_path
) -> None:
    process = stack_env.start("--demo")
    try:
        health = stack_env.wait_healthy(process)
        health = _wait_indexed(stack_env)
        assert health["indexer_head"] == health["chain_head"]
        seeded = json.loads((stack_env.var_dir / "demo" / "registrants.json").read_text())
        _, listed = stack_env.get("/api/v1/evidence")
        assert listed["total"] == len(seeded["datasets"]) >= 10  # every sample dataset anchored
        assert len({item["anchorer"] for item in listed["items"]}) == 4  # by its registrant
        states = {r["status"] for r in seeded["registrations"].values()}
        assert states == {
            "submitted",
            "accepted",
            "returned",
            "rejected",
            "in_notice",
            "issued",
            "cancelled",
            "revoked",
            "expired",
        }  # certificates and applications in every state
        # every actor is its own account: the operator only relays and holds no role
        governance = seeded["governance"]
        operator = governance["operator"]
        actors = {governance["admin"], governance["pauser"], governance["regulator"]}
        actors |= {r["account"] for r in seeded["registrars"]}
        actors |= {p["address"] for p in seeded["registrants"] if p["key"] == "appraiser"}
        assert len(actors) == 3 + len(seeded["registrars"]) + 1
        assert operator not in actors
        # the credential of a certificate is signed by its registrar's staff, not the operator
        port = seeded["registrations"]["port"]["certificate_number"]
        status, credential = stack_env.get(f"/api/v1/certificates/{port}/credential")
        assert status == 200, credential
        staff = next(r["account"] for r in seeded["registrars"] if r["code"] == 440)
        assert credential["issuer"]["id"].endswith(staff)
        # applications are read signed in (here as the demo's regulator)
        assert REGULATOR.account.address == governance["regulator"]
        as_regulator = stack_env.sign_in(REGULATOR.account)
        for key, r in seeded["registrations"].items():
            status, body = stack_env.get(f"/api/v1/applications/{r['id']}", as_regulator)
            assert status == 200, key
            assert body["status"] == r["status"]
        # the pledged data was valued first (relayed for a gasless appraiser), as a lender sees it
        vessels = seeded["registrations"]["vessels"]["certificate_number"]
        _, answer = stack_env.get(f"/api/v1/verify/{vessels}")
        assert answer["latest_valuation"]["method"] == "income"
        assert answer["latest_valuation"]["purpose"] == "pledge_financing"
        assert answer["accounting_class"] == "intangible_asset"
        assert len(answer["pledges"]) == 1
        dataset = tmp_path / "mine.csv"
        dataset.write_text("客户,金额\n甲,1\n", encoding="utf-8")
        anchored = stack_env.run("anchor", str(dataset), "--json")
        assert anchored.returncode == 0, anchored.stderr
        record = json.loads(anchored.stdout)
        assert record["created"] is True
        time.sleep(1.5)  # let a periodic state dump happen too
    finally:
        assert stack_env.stop(process) == 0, stack_env.log()
    manifest_before = (stack_env.var_dir / "deployment.json").read_text()

    restarted = stack_env.start("--demo")
    try:
        stack_env.wait_healthy(restarted)
        verified = stack_env.run("verify", str(dataset), "--json")
        assert verified.returncode == 0, verified.stderr
        assert json.loads(verified.stdout)["tx_hash"] == record["tx_hash"]
        again = stack_env.run("anchor", str(dataset), "--json")
        assert json.loads(again.stdout)["created"] is False
        _, listed = stack_env.get("/api/v1/evidence")
        health = _wait_indexed(stack_env)
        assert health["indexer_head"] == health["chain_head"]
        total = stack_env.get("/api/v1/evidence")[1]["total"]
        assert total == len(seeded["datasets"]) + 1  # demo not seeded twice
        second = stack_env.run("up", timeout=60)
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert second.stderr.count("\n") == 1
    finally:
        assert stack_env.stop(restarted) == 0
    assert (stack_env.var_dir / "deployment.json").read_text() == manifest_before
    assert "found at" in stack_env.log()
    assert stack_env.log().count("deployed at") == len(json.loads(manifest_before)["contracts"])
    assert "indexer:" not in stack_env.log()  # a clean stop reports no chain errors
    deployment = stack_env.run("deployment")
    assert json.loads(deployment.stdout) == json.loads(manifest_before)


def test_lost_chain_state_is_reported_not_redeployed(stack_env: StackEnv) -> None:
    process = stack_env.start()
    try:
        stack_env.wait_healthy(process)
    finally:
        stack_env.stop(process)
    manifest = (stack_env.var_dir / "deployment.json").read_text()
    (stack_env.var_dir / "chain" / "state.json").unlink()
    result = stack_env.run("up", timeout=90)
    assert result.returncode == 1
    assert "no longer holds the registry" in result.stderr
    assert "refusing to redeploy" in result.stderr
    assert (stack_env.var_dir / "deployment.json").read_text() == manifest


def test_api_port_in_use_is_one_clear_line(stack_env: StackEnv) -> None:
    port = int(stack_env.env["DAREG_API_PORT"])
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        result = stack_env.run("up")
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert result.stderr.count("\n") == 1


def test_node_port_in_use_is_one_clear_line(stack_env: StackEnv) -> None:
    port = int(stack_env.env["DAREG_NODE_PORT"])
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        result = stack_env.run("up")
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "anvil" in result.stderr
