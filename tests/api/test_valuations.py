"""Valuations, appraisers and accounting classes over REST, on the real chain."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.context import RegistryContext
from tests.api.actors import act, done, event, refused, sign_in
from tests.api.test_relay import sale
from tests.api.test_rights import _number
from tests.registry.registration.conftest import metadata, travel
from tests.registry.rights.test_service import (
    DAY,
    buyer,
    grant_regulator,
    holder,
    issue,
    regulator,
)
from tests.registry.valuation.test_service import INCOME, appraiser, today

V1 = "/api/v1"
REPORT = "0x" + hashlib.sha256(b"report 2026-88").hexdigest()


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    grant_regulator(ctx)  # the regulator accredits with its own key; the operator holds no role
    with TestClient(create_app(ctx)) as api:
        yield api


def submission(ctx: RegistryContext, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "method": "market",
        "value": 8_500_000_00,
        "currency": "CNY",
        "value_type": "market_value",
        "base_date": (today(ctx) - timedelta(days=3)).isoformat(),
        "purpose": "pledge_financing",
        "report_hash": REPORT,
    }
    body.update(changes)
    return {"submission": body}


def accredit(client: TestClient) -> None:
    body = {"appraiser": appraiser().address, "accreditation": "北京中企华资产评估 11020045"}
    accredited = done(act(client, "/regulator/appraisers/prepare", body, regulator()))
    assert accredited["signer"] == regulator().address
    shown = client.get(
        f"{V1}/appraisers/{appraiser().address}", headers=sign_in(client, regulator())
    )
    assert shown.json()["accredited"] is True


def test_appraisers_attest_withdraw_and_financiers_see_the_latest(
    client: TestClient, ctx: RegistryContext
) -> None:
    number = _number(ctx, issue(ctx))
    path = f"/certificates/{number}/valuations/prepare"
    # not accredited (yet): refused before anyone signs
    refused(act(client, path, submission(ctx), appraiser()), 403, "role_required")
    accredit(client)
    first = done(act(client, path, submission(ctx), appraiser()))
    assert first["contract"] == "ValuationRegistry"
    first_id = int(event(first, "ValuationSubmitted")["valuationId"])
    second = done(act(client, path, submission(ctx, value=9_000_000_00), appraiser()))
    second_id = int(event(second, "ValuationSubmitted")["valuationId"])

    answer = client.get(f"{V1}/verify/{number}").json()
    latest = answer["latest_valuation"]
    assert (latest["id"], latest["amount"], latest["currency"], latest["stale"]) == (
        second_id,
        "9000000.00",
        "CNY",
        False,
    )
    assert latest["appraiser"] == appraiser().address
    assert not any("valuation" in c for c in answer["cautions"])

    withdraw = f"/valuations/{second_id}/withdrawal/prepare"
    refused(act(client, withdraw, {"reason": "x"}, holder()), 403, "role_required")  # not its own
    done(act(client, withdraw, {"reason": "可比交易选取有误"}, appraiser()))
    financier = sign_in(client, buyer())
    history = client.get(f"{V1}/certificates/{number}/valuations", headers=financier).json()
    assert [(v["id"], v["status"]) for v in history["items"]] == [
        (first_id, "active"),
        (second_id, "withdrawn"),
    ]
    assert history["latest_id"] == first_id
    assert client.get(f"{V1}/verify/{number}").json()["latest_valuation"]["id"] == first_id

    # a removed appraiser: its valuation stays, flagged, and the financier is warned
    removal = f"/regulator/appraisers/{appraiser().address}/removal/prepare"
    refused(act(client, removal, {"reason": "吊销"}, ctx.operator), 403, "role_required")
    done(act(client, removal, {"reason": "吊销"}, regulator()))
    removed = client.get(f"{V1}/appraisers/{appraiser().address}", headers=financier)
    assert removed.json()["accredited"] is False
    shown = client.get(f"{V1}/valuations/{first_id}", headers=financier).json()
    assert shown["appraiser_removed"] is True
    answer = client.get(f"{V1}/verify/{number}").json()
    assert answer["latest_valuation"]["appraiser_removed"] is True
    assert any("lost its accreditation" in c for c in answer["cautions"])
    refused(act(client, path, submission(ctx), appraiser()), 403, "role_required")
    missing = client.get(f"{V1}/valuations/999", headers=financier)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "valuation_not_found")


def test_stale_valuations_are_flagged_for_the_financier(
    client: TestClient, ctx: RegistryContext
) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    accredit(client)
    path = f"/certificates/{number}/valuations/prepare"
    assert "no valuation is recorded" in " ".join(
        client.get(f"{V1}/verify/{number}").json()["cautions"]
    )
    done(act(client, path, submission(ctx), appraiser()))
    travel(ctx.client, 366 * DAY)
    answer = client.get(f"{V1}/verify/{number}").json()
    assert answer["latest_valuation"]["stale"] is True
    assert "more than 365 days" in answer["latest_valuation"]["stale_reasons"][0]
    assert any(c.startswith("the latest valuation is stale") for c in answer["cautions"])
    done(act(client, path, submission(ctx, base_date=today(ctx).isoformat()), appraiser()))
    assert client.get(f"{V1}/verify/{number}").json()["latest_valuation"]["stale"] is False
    ctx.registrations.change(token, metadata(holder().address, 0xC4), holder())
    latest = client.get(f"{V1}/verify/{number}").json()["latest_valuation"]
    assert latest["stale_reasons"] == ["it values data version 1; the asset is at version 2"]


def test_malformed_valuations_are_refused(client: TestClient, ctx: RegistryContext) -> None:
    number = _number(ctx, issue(ctx))
    accredit(client)
    path = f"/certificates/{number}/valuations/prepare"

    def code(**changes: Any) -> tuple[int, str]:
        response = act(client, path, submission(ctx, **changes), appraiser())
        return response.status_code, response.json()["error"]["code"]

    assert code(currency="XYZ") == (422, "unknown_currency")
    assert code(value=-1) == (422, "invalid_request")
    assert code(value=0) == (422, "invalid_request")
    assert code(base_date=(today(ctx) + timedelta(days=2)).isoformat()) == (422, "invalid_input")
    assert code(asset_version=3) == (422, "invalid_input")
    assert code(method="none") == (422, "invalid_request")
    assert code(report_hash=None) == (422, "invalid_request")
    future = act(client, path, submission(ctx, base_date="2999-01-01"), appraiser())
    assert "in the future" in future.json()["error"]["message"]
    ctx.rights.transfer(ctx.rights.token_id_of(number), buyer().address, "sale", None, holder())
    cancelled = _number(ctx, issue(ctx, fp=0xB1))
    done(act(client, f"/certificates/{cancelled}/cancellation/prepare", {}, holder()))
    refused(
        act(client, f"/certificates/{cancelled}/valuations/prepare", submission(ctx), appraiser()),
        422,
        "invalid_input",
    )


def test_compute_then_attest_the_computation(client: TestClient, ctx: RegistryContext) -> None:
    number = _number(ctx, issue(ctx))
    accredit(client)
    as_appraiser = sign_in(client, appraiser())
    computed = client.post(
        f"{V1}/valuations/compute",
        json={"method": "income", "inputs": INCOME},
        headers=as_appraiser,
    )
    assert computed.status_code == 200, computed.text
    result = computed.json()
    assert result["currency"] == "CNY"
    assert result["record"]["method"] == "income"
    body = submission(
        ctx, method="income", value=None, currency=None, report_hash=None,
        computation={"method": "income", "inputs": INCOME},
    )  # fmt: skip
    relayed = done(act(client, f"/certificates/{number}/valuations/prepare", body, appraiser()))
    recorded = event(relayed, "ValuationSubmitted")["valuation"]
    valuations = client.get(f"{V1}/certificates/{number}/valuations", headers=as_appraiser)
    valuation = valuations.json()["items"][0]
    assert (valuation["value"], valuation["report_hash"]) == (
        result["value"],
        result["report_hash"],
    )
    assert recorded[3] == result["value"]  # the struct's value field, as emitted
    no_comparables = client.post(
        f"{V1}/valuations/compute",
        json={"method": "market", "inputs": {"currency": "CNY", "comparables": []}},
        headers=as_appraiser,
    )
    assert (no_comparables.status_code, no_comparables.json()["error"]["code"]) == (
        422,
        "missing_comparables",
    )
    negative = client.post(
        f"{V1}/valuations/compute",
        json={"method": "income", "inputs": {**INCOME, "cash_flows": ["-1", "-2", "-3"]}},
        headers=as_appraiser,
    )
    assert negative.json()["error"]["code"] == "non_positive_valuation"


def test_the_holder_records_its_accounting_class(client: TestClient, ctx: RegistryContext) -> None:
    number = _number(ctx, issue(ctx))
    path = f"/certificates/{number}/accounting-class/prepare"
    refused(act(client, path, {"accounting_class": "inventory"}, buyer()), 403, "role_required")
    done(act(client, path, {"accounting_class": "intangible_asset"}, holder()))
    assert client.get(f"{V1}/verify/{number}").json()["accounting_class"] == "intangible_asset"
    bad = act(client, path, {"accounting_class": "goodwill"}, holder())
    assert bad.status_code == 422
    done(act(client, f"/certificates/{number}/transfers/prepare", sale(buyer()), holder()))
    done(act(client, path, {"accounting_class": "inventory"}, buyer()))
    listed = client.get(
        f"{V1}/certificates/{number}/valuations", headers=sign_in(client, buyer())
    ).json()
    assert listed["accounting_class"] == "inventory"


def test_the_operator_accredits_no_appraiser(client: TestClient, ctx: RegistryContext) -> None:
    """Before v2 ``POST /regulator/appraisers`` accredited with the operator key, which held
    the regulator role. Now the operator holds no role: its accreditation is refused (the chain
    gives it no regulator role) before anyone signs, and the old route is gone."""
    body = {"appraiser": appraiser().address, "accreditation": "北京中企华资产评估 11020045"}
    refused(act(client, "/regulator/appraisers/prepare", body, ctx.operator), 403, "role_required")
    assert client.post(f"{V1}/regulator/appraisers", json=body).status_code in (404, 405)
    shown = client.get(
        f"{V1}/appraisers/{appraiser().address}", headers=sign_in(client, ctx.operator)
    )
    assert shown.status_code == 404
    assert shown.json()["error"]["code"] == "appraiser_not_found"
