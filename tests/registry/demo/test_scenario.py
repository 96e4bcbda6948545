"""The demo's seeding on a fresh chain: every transaction it sends is in the access log (issue
14's acceptance: "the audit log records every write of a full demo run, with the transaction
hash of each"), naming the account that acted, never the relaying operator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.artifacts import artifacts_hash, load_client_artifacts
from registry.chain.client import ChainClient, dev_account
from registry.chain.deploy import deploy_all
from registry.chain.node import AnvilNode, anvil_binary
from registry.context import RegistryContext
from registry.db.engine import migrate
from registry.demo import history_start, seed_demo
from registry.domain.access import AccessFilter
from registry.settings import Settings
from tests.conftest import admin, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_chain(base_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """An anvil of its own whose clock starts where a demo history needs it."""
    node = AnvilNode(
        anvil_binary(base_settings.node_modules_dir),
        host="127.0.0.1",
        port=free_port(),
        chain_id=31337,
        state_path=None,
        log_path=tmp_path / "anvil.log",
        genesis_timestamp=history_start(),
    )
    node.start()
    try:
        yield node.url
    finally:
        node.stop()


def _block_transactions(client: ChainClient, number: int) -> list[str]:
    block: dict[str, Any] = client.rpc("eth_getBlockByNumber", [hex(number), False])
    return [str(tx).lower() for tx in block["transactions"]]


def test_every_transaction_of_a_demo_run_is_in_the_access_log(
    fresh_chain: str, base_settings: Settings, database_url: str, tmp_path: Path
) -> None:
    client = ChainClient(fresh_chain, load_client_artifacts(base_settings.artifacts_dir))
    operator = dev_account(0)
    manifest = deploy_all(
        client,
        operator,
        admin().address,
        artifacts_hash(base_settings.artifacts_dir),
        base_settings.token_base_uri,
    )
    deployed_up_to = client.head()  # the deployment is not a write of the demo
    settings = Settings(var_dir=tmp_path / "var", rpc_url=fresh_chain, database_url=database_url)
    manifest.save(settings.manifest_path)
    migrate(settings.effective_database_url)
    ctx = RegistryContext.connect(settings, client, manifest)

    assert seed_demo(ctx, tmp_path / "demo") is not None

    mined = [
        tx
        for number in range(deployed_up_to + 1, client.head() + 1)
        for tx in _block_transactions(client, number)
    ]
    entries, total = ctx.access_log.entries(AccessFilter(), limit=500)
    assert total == len(entries) < 500
    assert len(mined) > 50
    by_hash = {tx: e for e in entries for tx in e.tx_hashes}
    assert sorted(by_hash) == sorted(mined)  # every transaction, and only those
    assert all(e.channel == "demo" and e.outcome == "sent" for e in entries)
    assert len({e.request_id for e in entries}) == 1  # one run
    assert all(len(e.tx_hashes) == 1 for e in entries)  # one row per transaction

    # the transaction's sender as the chain has it; the actor never the operator that relays
    for tx, entry in by_hash.items():
        sent = client.rpc("eth_getTransactionByHash", [tx])
        assert entry.sender is not None
        assert entry.sender.lower() == str(sent["from"]).lower()
        assert entry.caller != operator.address, entry
        if entry.sender != operator.address:
            assert entry.caller == entry.sender  # its own transaction
    seeded = json.loads((tmp_path / "demo" / "registrants.json").read_text(encoding="utf-8"))
    parties = {p["key"]: p["address"] for p in seeded["registrants"]}
    applicants = {e.caller for e in entries if e.action == "DataAssetRegistry.submitApplicationFor"}
    anchorers = {e.caller for e in entries if e.action == "EvidenceRegistry.anchorFor"}
    assert applicants
    assert applicants <= set(parties.values())
    assert anchorers
    assert anchorers <= set(parties.values())
    # the admin governs through forward requests the operator relays: it is named, not the relayer
    granted = [e for e in entries if e.action == "RegistryAuthority.grantRole"]
    assert granted
    assert all(e.caller == parties["admin"] for e in granted)
    assert any(e.sender == operator.address for e in granted)
    # the appraiser's valuation, relayed for it
    (valued,) = [e for e in entries if e.action == "ValuationRegistry.submitValuation"]
    assert valued.caller == parties["appraiser"]
    assert valued.sender == operator.address
