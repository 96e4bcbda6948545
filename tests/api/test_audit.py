"""GET /api/v1/audit on the real chain and a real SQLite mirror."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from api.main import create_app
from registry.context import RegistryContext
from registry.db.models import freeze_table, raw_event_table
from registry.mirror import indexer_head
from tests.api.actors import sign_in
from tests.registry.audit.test_service import build_scenario, execute, raw_row
from tests.registry.rights.test_service import regulator


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as api:
        yield api


def test_a_faithful_mirror_and_a_tampered_one(client: TestClient, ctx: RegistryContext) -> None:
    s = build_scenario(ctx)
    head = indexer_head(ctx.engine, ctx.manifest.chain_id)
    as_regulator = sign_in(client, regulator())  # build_scenario granted it the role
    clean = client.get("/api/v1/audit", headers=as_regulator)
    assert clean.status_code == 200, clean.text
    body = clean.json()
    assert body["consistent"] is True
    assert (body["from_block"], body["to_block"], body["indexed_head"]) == (
        ctx.manifest.deploy_block,
        head,
        head,
    )
    assert body["certificates_checked"] == 2
    assert body["events_on_chain"] == body["events_in_mirror"] > 0
    assert body["mirror_digest"] == body["chain_digest"]
    assert body["certificate_drifts"] == body["event_drifts"] == body["block_digests"] == []

    execute(ctx, update(freeze_table).values(frozen=False))
    gone = raw_row(ctx, "Transfer", 1)
    t = raw_event_table
    execute(
        ctx,
        delete(t).where(
            t.c.block_number == gone["block_number"], t.c.log_index == gone["log_index"]
        ),
    )
    drifted = client.get("/api/v1/audit", headers=as_regulator)
    assert drifted.status_code == 200
    body = drifted.json()
    assert body["consistent"] is False
    assert body["drift_count"] == 2
    assert body["certificate_drifts"] == [
        {
            "token_id": s.moved,
            "certificate_number": s.moved_number,
            "field": "frozen",
            "mirror": False,
            "chain": True,
        }
    ]
    [event] = body["event_drifts"]
    assert (event["block_number"], event["log_index"], event["kind"]) == (
        gone["block_number"],
        gone["log_index"],
        "missing",
    )
    assert event["mirror"] is None
    assert event["chain"] == {
        "block_number": gone["block_number"],
        "log_index": gone["log_index"],
        "block_hash": gone["block_hash"],
        "tx_hash": gone["tx_hash"],
        "address": gone["address"],
        "topics": gone["topics"],
        "data": gone["data"],
    }
    [digests] = body["block_digests"]
    assert digests["block_number"] == gone["block_number"]
    assert digests["mirror"] != digests["chain"]
    assert body["mirror_digest"] != body["chain_digest"]

    # only the certificate asked about; the events are still checked
    one = client.get(
        "/api/v1/audit", params={"certificate": s.pledged_number}, headers=as_regulator
    ).json()
    assert one["certificates_checked"] == 1
    assert one["certificate_drifts"] == []
    assert len(one["event_drifts"]) == 1


def test_the_range_and_bad_input(client: TestClient, ctx: RegistryContext) -> None:
    s = build_scenario(ctx)
    head = indexer_head(ctx.engine, ctx.manifest.chain_id)
    assert head is not None
    as_regulator = sign_in(client, regulator())  # build_scenario granted it the role
    clipped = client.get(
        "/api/v1/audit", params={"to_block": head + 10}, headers=as_regulator
    ).json()
    assert (clipped["to_block"], clipped["requested_to_block"]) == (head, head + 10)
    assert clipped["consistent"] is True
    assert "indexed head" in clipped["notes"][0]

    backwards = client.get(
        "/api/v1/audit", params={"from_block": 9, "to_block": 3}, headers=as_regulator
    )
    assert backwards.status_code == 422
    assert backwards.json()["error"]["code"] == "invalid_input"
    assert "after to_block" in backwards.json()["error"]["message"]
    negative = client.get("/api/v1/audit", params={"from_block": -1}, headers=as_regulator)
    assert negative.status_code == 422
    assert negative.json()["error"]["code"] == "invalid_request"
    not_a_number = client.get("/api/v1/audit", params={"to_block": "latest"}, headers=as_regulator)
    assert not_a_number.status_code == 422
    beyond = client.get("/api/v1/audit", params={"from_block": head + 1}, headers=as_regulator)
    assert beyond.status_code == 422
    typo = s.moved_number[:-1] + str((int(s.moved_number[-1]) + 1) % 10)
    mistyped = client.get("/api/v1/audit", params={"certificate": typo}, headers=as_regulator)
    assert mistyped.status_code == 422
    assert mistyped.json()["error"]["code"] == "malformed_number"
    short = client.get("/api/v1/audit", params={"certificate": "2026"}, headers=as_regulator)
    assert short.status_code == 422


def test_it_is_a_regulator_tool_in_the_openapi_document(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/audit"]["get"]
    assert operation["tags"] == ["regulator"]
    assert operation["x-dareg-role"] == "regulator"
    anonymous = client.get("/api/v1/audit")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    no_role = client.get("/api/v1/audit", headers=sign_in(client, regulator()))  # not granted
    assert no_role.status_code == 403
    assert no_role.json()["error"]["code"] == "role_required"
    assert {p["name"] for p in operation["parameters"]} == {
        "from_block",
        "to_block",
        "certificate",
    }
