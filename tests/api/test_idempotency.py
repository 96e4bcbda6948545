"""``Idempotency-Key`` on every POST, over REST on the real chain and database: the same key and
request get the same answer (also from a new app instance on the same database), one
transaction; another request with the key 422; a key whose first request runs 409."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from api.main import create_app
from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.db.models import idempotency_table
from registry.idempotency import IdempotencyStore, request_hash
from registry.settings import Settings
from tests.api.actors import sign_in
from tests.api.test_evidence import signed

FP = "0x" + "3e" * 32
EVIDENCE = "/api/v1/evidence"


def operator_nonce(ctx: RegistryContext) -> int:
    address = ctx.operator.address
    return int(ctx.client.rpc("eth_getTransactionCount", [address, "latest"]), 16)


def post(api: TestClient, body: dict[str, Any], key: str | None, who: int = 5) -> Any:
    headers = sign_in(api, dev_account(who))
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    return api.post(EVIDENCE, json=body, headers=headers)


def test_the_same_key_returns_the_same_answer_also_after_a_restart(
    api: TestClient,
    registry_context: RegistryContext,
    chain: ChainClient,
    test_settings: Settings,
) -> None:
    body = signed(api, FP)
    before = operator_nonce(registry_context)
    first = post(api, body, "anchor-3e")
    assert first.status_code == 201, first.text
    assert "Idempotency-Replayed" not in first.headers
    again = post(api, body, "anchor-3e")
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotency-Replayed"] == "true"
    # a new instance of the service on the same database gives the same answer
    restarted = RegistryContext.open(test_settings, client=chain)
    with TestClient(create_app(restarted)) as fresh:
        replayed = post(fresh, body, "anchor-3e")
    assert replayed.status_code == 201
    assert replayed.content == first.content
    assert replayed.headers["content-type"] == first.headers["content-type"]
    assert operator_nonce(registry_context) == before + 1


def test_the_same_key_with_another_request_is_422_and_sends_nothing(
    api: TestClient, registry_context: RegistryContext
) -> None:
    assert post(api, signed(api, FP), "k-1").status_code == 201
    before = operator_nonce(registry_context)
    other = post(api, signed(api, "0x" + "3f" * 32), "k-1")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert operator_nonce(registry_context) == before
    # another caller's key of the same name is its own
    mine = post(api, signed(api, "0x" + "3f" * 32, dev_account(4)), "k-1", who=4)
    assert mine.status_code == 201, mine.text


def test_a_key_whose_first_request_still_runs_is_409(
    api: TestClient, registry_context: RegistryContext
) -> None:
    body = signed(api, FP)
    # the first request with the key is under way (claimed, not answered yet)
    store = IdempotencyStore(registry_context.engine)
    scope = "account:" + dev_account(5).address.lower()
    payload = api.build_request("POST", EVIDENCE, json=body).content
    assert store.begin(scope, "busy", request_hash("POST", EVIDENCE, b"", payload)) is None
    busy = post(api, body, "busy")
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "idempotency_key_in_use"


def test_five_parallel_posts_with_one_key_make_one_transaction(
    api: TestClient, registry_context: RegistryContext
) -> None:
    body = signed(api, FP)
    headers = {**sign_in(api, dev_account(5)), "Idempotency-Key": "parallel"}
    before = operator_nonce(registry_context)
    barrier = Barrier(5)

    def send(_: int) -> Any:
        barrier.wait()
        return api.post(EVIDENCE, json=body, headers=headers)

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(send, range(5)))
    created = [a for a in answers if a.status_code == 201]
    assert created, [a.text for a in answers]
    assert len({a.content for a in created}) == 1
    for answer in answers:
        if answer.status_code != 201:
            assert answer.status_code == 409, answer.text
            assert answer.json()["error"]["code"] == "idempotency_key_in_use"
    assert operator_nonce(registry_context) == before + 1


def test_an_expired_key_is_a_new_key(api: TestClient, registry_context: RegistryContext) -> None:
    body = signed(api, FP)
    assert post(api, body, "old").status_code == 201
    with registry_context.engine.begin() as connection:
        connection.execute(
            update(idempotency_table).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    # the same key with another request is no longer a reuse: the key expired
    again = post(api, signed(api, "0x" + "3d" * 32), "old")
    assert again.status_code == 201, again.text
    assert "Idempotency-Replayed" not in again.headers


def test_an_unusable_key_is_422(api: TestClient) -> None:
    key: str | bytes
    for key in ("x" * 256, "café".encode(), b"a\tb"):
        answer = api.post(
            EVIDENCE,
            json=signed(api, FP),
            headers={**sign_in(api, dev_account(5)), "Idempotency-Key": key},
        )
        assert answer.status_code == 422, key
        assert answer.json()["error"]["code"] == "invalid_idempotency_key"


def test_refusals_are_kept_but_not_server_errors(
    api: TestClient, registry_context: RegistryContext
) -> None:
    """A 4xx is an answer (kept); a 5xx may be retried (not kept)."""
    forged = {**signed(api, FP), "signature": "0x" + "11" * 65}
    refused = post(api, forged, "forged")
    assert 400 <= refused.status_code < 500
    assert post(api, forged, "forged").headers.get("Idempotency-Replayed") == "true"
    store = IdempotencyStore(registry_context.engine)
    scope = "account:" + dev_account(5).address.lower()
    fingerprint = request_hash("POST", EVIDENCE, b"", b"{}")
    assert store.begin(scope, "failed", fingerprint) is None
    store.release(scope, "failed")  # what the middleware does after a 5xx
    assert store.begin(scope, "failed", fingerprint) is None  # a retry runs again


def test_every_post_declares_the_header_and_its_answers(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    posts = [(path, ops["post"]) for path, ops in schema["paths"].items() if "post" in ops]
    assert len(posts) > 20
    for path, operation in posts:
        names = [p["name"] for p in operation.get("parameters", [])]
        assert names.count("Idempotency-Key") == 1, path
        assert {"409", "422"} <= set(operation["responses"]), path
    for ops in schema["paths"].values():
        for method, operation in ops.items():
            if method != "post":
                names = [p["name"] for p in operation.get("parameters", [])]
                assert "Idempotency-Key" not in names
