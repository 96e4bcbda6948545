"""The regulator's provenance routes over REST, on the seeded history of the provenance tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.context import RegistryContext
from registry.domain.numbers import check_digit
from tests.api.actors import sign_in
from tests.registry.provenance.scenario import Scenario, build
from tests.registry.rights.test_service import bank, buyer, holder, regulator

V1 = "/api/v1/regulator"


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    """The API, every request signed in as the regulator (the scenario grants it the role)."""
    with TestClient(create_app(ctx)) as api:
        api.headers.update(sign_in(api, regulator()))
        yield api


@pytest.fixture
def s(ctx: RegistryContext) -> Scenario:
    return build(ctx)


def test_timeline_now_and_as_of_before_and_after_the_sale(client: TestClient, s: Scenario) -> None:
    now = client.get(f"{V1}/assets/{s.number_a}/timeline")
    assert now.status_code == 200, now.text
    body = now.json()
    assert body["as_of_block"] == s.inherited
    assert body["asset"]["certificate_number"] == s.number_a
    assert body["asset"]["holder"] == holder().address
    kinds = [e["kind"] for e in body["entries"]]
    assert kinds[0] == "evidence_anchored"
    assert kinds.count("certificate_transferred") == 2
    assert kinds[-1] == "certificate_transferred"
    before = client.get(
        f"{V1}/assets/{s.number_a}/timeline", params={"as_of_block": s.sold - 1}
    ).json()
    assert "certificate_transferred" not in [e["kind"] for e in before["entries"]]
    assert before["asset"]["holder"] == holder().address
    after = client.get(f"{V1}/assets/{s.number_a}/timeline", params={"as_of_block": s.sold}).json()
    assert after["entries"][-1]["details"]["reason"] == "sale"
    assert after["asset"]["holder"] == buyer().address
    by_time = client.get(
        f"{V1}/assets/{s.number_a}/timeline",
        params={"as_of_time": after["entries"][-1]["time"]},
    ).json()
    assert by_time["as_of_block"] == s.sold


def test_timeline_as_csv(client: TestClient, s: Scenario) -> None:
    answer = client.get(f"{V1}/assets/{s.number_a}/timeline", params={"format": "csv"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows[0]["kind"] == "evidence_anchored"
    assert rows[-1]["kind"] == "certificate_transferred"
    assert {r["certificate_number"] for r in rows} == {s.number_a}


def test_custody_and_lineage(client: TestClient, s: Scenario) -> None:
    custody = client.get(f"{V1}/assets/{s.number_a}/custody").json()
    assert [(p["holder"], p["reason"]) for p in custody["periods"]] == [
        (holder().address, "issued"),
        (buyer().address, "sale"),
        (holder().address, "inheritance"),
    ]
    mid = client.get(f"{V1}/assets/{s.number_a}/custody", params={"as_of_block": s.released}).json()
    assert [p["holder"] for p in mid["periods"]] == [holder().address, buyer().address]
    sales = client.get(
        f"{V1}/assets/{s.number_a}/custody", params={"reason": "sale", "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(sales.text)))
    assert [r["holder"] for r in rows] == [buyer().address]
    graph = client.get(f"{V1}/assets/{s.number_p}/lineage").json()
    assert {(e["from"], e["to"]) for e in graph["edges"]} == {(s.p, s.a), (s.p, s.b), (s.q, s.p)}
    assert {n["id"]: n["relation"] for n in graph["nodes"]} == {
        s.p: "subject",
        s.a: "ancestor",
        s.b: "ancestor",
        s.q: "descendant",
    }


def test_party_trace_with_filters_and_csv(client: TestClient, s: Scenario) -> None:
    trace = client.get(f"{V1}/parties/{buyer().address}/trace").json()
    assert [e["relation"] for e in trace["entries"]] == ["holder", "pledgor", "licensor"]
    assert trace["entries"][1]["counterparty"] == bank().address
    windowed = client.get(
        f"{V1}/parties/{buyer().address}/trace", params={"from_block": s.released}
    ).json()
    assert [e["relation"] for e in windowed["entries"]] == ["holder", "licensor"]
    before = client.get(
        f"{V1}/parties/{buyer().address}/trace", params={"as_of_block": s.sold - 1}
    ).json()
    assert before["entries"] == []
    answer = client.get(f"{V1}/parties/{buyer().address.lower()}/trace", params={"format": "csv"})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["relation"] for r in rows] == ["holder", "pledgor", "licensor"]
    assert {r["party"] for r in rows} == {buyer().address}
    assert rows[2]["reference"] == s.voucher


def test_bad_inputs(client: TestClient, s: Scenario) -> None:
    both = client.get(
        f"{V1}/assets/{s.number_a}/timeline",
        params={"as_of_block": 1, "as_of_time": "2026-01-01T00:00:00+00:00"},
    )
    assert both.status_code == 422
    assert both.json()["error"]["code"] == "invalid_input"
    unknown = s.number_a[:9] + "9999999"
    missing = client.get(f"{V1}/assets/{unknown}{check_digit(unknown)}/timeline")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "certificate_not_found"
    typo = s.number_a[:-1] + str((int(s.number_a[-1]) + 1) % 10)
    assert client.get(f"{V1}/assets/{typo}/custody").status_code == 422
    bad = client.get(f"{V1}/parties/0x1234/trace")
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_input"
    assert (
        client.get(f"{V1}/parties/{buyer().address}/trace", params={"reason": "x"}).status_code
        == 422
    )
    assert (
        client.get(f"{V1}/assets/{s.number_a}/lineage", params={"as_of_block": 10**9}).status_code
        == 422
    )
    assert (
        client.get(f"{V1}/assets/{s.number_a}/timeline", params={"format": "xml"}).status_code
        == 422
    )


def test_only_a_regulator_reads_provenance(ctx: RegistryContext, s: Scenario) -> None:
    paths = (
        f"{V1}/assets/{s.number_a}/timeline",
        f"{V1}/assets/{s.number_a}/custody",
        f"{V1}/assets/{s.number_p}/lineage",
        f"{V1}/parties/{buyer().address}/trace",
    )
    with TestClient(create_app(ctx)) as api:
        as_holder = sign_in(api, holder())
        for path in paths:
            anonymous = api.get(path)
            assert anonymous.status_code == 401, path
            assert anonymous.json()["error"]["code"] == "not_authenticated"
            no_role = api.get(path, headers=as_holder)
            assert no_role.status_code == 403, path
            assert no_role.json()["error"]["code"] == "role_required"
