from __future__ import annotations

from fastapi.testclient import TestClient

from registry.artifacts import DEPLOYED_CONTRACTS, FORWARDER_CONTRACT, linked_libraries
from registry.context import RegistryContext
from registry.indexer.follow import Indexer


def test_health_reports_chain_contracts_and_heads(
    api: TestClient, registry_context: RegistryContext, indexer: Indexer
) -> None:
    before = api.get("/api/v1/health").json()
    assert before["status"] == "ok"
    assert before["chain_id"] == 31337
    assert before["contracts"]["EvidenceRegistry"] == registry_context.manifest.address_of(
        "EvidenceRegistry"
    )
    assert before["indexer_head"] is None  # nothing mirrored yet
    indexer.sync_once()
    after = api.get("/api/v1/health").json()
    assert after["chain_head"] == registry_context.client.head()
    assert after["indexer_head"] == after["chain_head"]
    assert after["indexer_lag"] == 0


def test_health_is_503_with_a_clear_flag_when_the_chain_is_gone(
    registry_context: RegistryContext,
) -> None:
    from api.main import create_app
    from registry.context import make_client
    from registry.settings import Settings

    settings = Settings(rpc_url="http://127.0.0.1:9", var_dir=registry_context.settings.var_dir)
    registry_context.client = make_client(settings)
    with TestClient(create_app(registry_context)) as api:
        response = api.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["chain_reachable"] is False


def test_deployment_endpoint_returns_the_manifest(
    api: TestClient, registry_context: RegistryContext
) -> None:
    body = api.get("/api/v1/deployment").json()
    assert body["chain_id"] == registry_context.manifest.chain_id
    assert body["artifacts_hash"] == registry_context.manifest.artifacts_hash
    # v2: the deployed contracts and the libraries they are linked with; every contract but the
    # forwarder (and the libraries) is a proxy with its implementation recorded
    libraries = linked_libraries(registry_context.settings.artifacts_dir, DEPLOYED_CONTRACTS)
    assert libraries
    assert set(body["contracts"]) == {*DEPLOYED_CONTRACTS, *libraries}
    for name, contract in body["contracts"].items():
        assert contract["address"] == registry_context.manifest.address_of(name)
        proxied = name in DEPLOYED_CONTRACTS and name != FORWARDER_CONTRACT
        assert (contract["implementation"] is not None) is proxied, name
        assert (contract["implementation_codehash"] is not None) is proxied, name
