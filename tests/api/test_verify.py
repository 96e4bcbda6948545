"""GET /api/v1/verify/{number} and POST /api/v1/verify/{number}/data on the real chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.context import RegistryContext
from registry.evidence.fingerprint import fingerprint_path
from registry.evidence.proof import prove
from tests.registry.registration.conftest import metadata
from tests.registry.rights.test_service import bank, holder, issue, pledge_terms


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as api:
        yield api


def _number(ctx: RegistryContext, token: int) -> str:
    number = ctx.registrations.get(token).certificate_number
    assert number is not None
    return number


def test_one_call_answer(client: TestClient, ctx: RegistryContext) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    clean = client.get(f"/api/v1/verify/{number}").json()
    assert clean["genuine"] is True
    assert clean["lendable"] is True
    assert clean["status"] == "issued"
    assert clean["holder"]["address"] == holder().address
    assert clean["as_of_block"] == ctx.client.head()
    ctx.rights.sign_and_register(pledge_terms(ctx, token), holder(), bank(), ctx.operator)
    pledged = client.get(f"/api/v1/verify/{number}").json()
    assert pledged["lendable"] is False
    assert pledged["pledges"][0]["pledgee"] == bank().address
    assert pledged["pledges"][0]["currency"] == "CNY"
    then = client.get(f"/api/v1/verify/{number}", params={"block": clean["as_of_block"]}).json()
    assert then["lendable"] is True
    assert then["pledges"] == []


def test_mistyped_and_unknown_numbers(client: TestClient, ctx: RegistryContext) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    bad = client.get(f"/api/v1/verify/{typo}")
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "malformed_number"
    from registry.domain.numbers import certificate_number

    ghost = certificate_number(ctx.client.block().timestamp, 440, 9_999)
    unknown = client.get(f"/api/v1/verify/{ghost}").json()
    assert unknown["genuine"] is False
    assert unknown["lendable"] is False


def test_data_match_by_fingerprint_and_by_proof(
    client: TestClient, ctx: RegistryContext, tmp_path: Path
) -> None:
    data = tmp_path / "dataset"
    data.mkdir()
    (data / "a.csv").write_text("x\n1\n", encoding="utf-8")
    (data / "b.csv").write_text("y\n2\n", encoding="utf-8")
    fp = fingerprint_path(data)
    token = issue(ctx)
    ctx.registrations.change(
        token,
        metadata(
            holder().address, rights=["holding", "processing_use", "product_operation"]
        ).model_copy(update={"fingerprint": fp.hex}),
        holder(),
    )
    number = _number(ctx, token)
    by_fp = client.post(f"/api/v1/verify/{number}/data", json={"fingerprint": fp.hex}).json()
    assert by_fp["matches"] is True
    assert by_fp["version"] == 2
    assert by_fp["is_current"] is True
    proof = prove(data, member=data / "b.csv").to_json()
    by_proof = client.post(f"/api/v1/verify/{number}/data", json={"proof": proof}).json()
    assert by_proof["matches"] is True
    assert by_proof["member"]["path"] == "b.csv"
    old = client.post(
        f"/api/v1/verify/{number}/data", json={"fingerprint": "0x" + "a1" * 32}
    ).json()
    assert old["version"] == 1
    assert old["is_current"] is False
    none = client.post(f"/api/v1/verify/{number}/data", json={"fingerprint": "0x" + "c3" * 32})
    assert none.json()["matches"] is False
    both = client.post(f"/api/v1/verify/{number}/data", json={})
    assert both.status_code == 422
    assert both.json()["error"]["code"] == "invalid_request"
    proof["member"]["file_root"] = "0x" + "00" * 32
    tampered = client.post(f"/api/v1/verify/{number}/data", json={"proof": proof})
    assert tampered.status_code == 422


def test_public_page_shows_the_same_answer(client: TestClient, ctx: RegistryContext) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    ctx.rights.sign_and_register(pledge_terms(ctx, token), holder(), bank(), ctx.operator)
    page = client.get(f"/verify/{number}")
    assert page.status_code == 200
    assert "暂不宜质押融资 Not lendable" in page.text
    assert bank().address in page.text
    assert "already pledged" in page.text


def test_a_block_beyond_the_head_or_out_of_range_is_refused(
    client: TestClient, ctx: RegistryContext
) -> None:
    """``?block=2^70`` once gave 503: a block the chain has not made yet is a 422
    ``block_not_found``, one no SQL integer holds an ``invalid_request``, never a 5xx."""
    number = _number(ctx, issue(ctx))
    future = client.get(f"/api/v1/verify/{number}", params={"block": ctx.client.head() + 1000})
    assert future.status_code == 422
    assert future.json()["error"]["code"] == "block_not_found"
    data = client.post(
        f"/api/v1/verify/{number}/data",
        params={"block": ctx.client.head() + 1},
        json={"fingerprint": "0x" + "a1" * 32},
    )
    assert data.status_code == 422
    assert data.json()["error"]["code"] == "block_not_found"
    for huge in (2**63, 2**70, 2**256):
        refused = client.get(f"/api/v1/verify/{number}", params={"block": huge})
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "invalid_request"
