"""The anonymous rate limit: per client address, only for requests no valid credential covers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

from fastapi.testclient import TestClient

from api.limits import TokenBuckets, json_depth_exceeds
from api.main import create_app
from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.settings import Settings
from tests.api.actors import sign_in


def test_anonymous_callers_are_limited_and_signed_in_ones_are_not(
    ctx: RegistryContext, chain: ChainClient, test_settings: Settings
) -> None:
    del ctx  # deploys and migrates
    tight = RegistryContext.open(
        test_settings.model_copy(update={"public_rate_per_minute": 3}), client=chain
    )
    with TestClient(create_app(tight)) as client:
        headers = sign_in(client, dev_account(2))  # a challenge and a sign-in: 2 of 3
        assert client.get("/api/v1/deployment").status_code == 200
        limited = client.get("/api/v1/deployment")
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        # a made-up credential is no credential
        bogus = client.get("/api/v1/deployment", headers={"Authorization": "Bearer dareg_s_x"})
        assert bogus.status_code == 429
        # a signed-in caller is known, and not limited
        for _ in range(5):
            assert client.get("/api/v1/deployment", headers=headers).status_code == 200
        # nor is a signed-in web browser
        client.cookies.set("dareg_session", headers["Authorization"].removeprefix("Bearer "))
        assert client.get("/api/v1/deployment").status_code == 200


def test_the_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(60, clock=lambda: now[0])  # one a second
    assert [buckets.take("a") for _ in range(60)] == [0.0] * 60
    assert buckets.take("a") > 0
    assert buckets.take("b") == 0.0  # per client
    now[0] += 1.0
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0


def test_a_body_too_large_or_too_deep_is_refused_before_parsing_and_the_app_lives_on(
    ctx: RegistryContext,
) -> None:
    with TestClient(create_app(ctx)) as client:
        headers = sign_in(client, dev_account(2))
        url = "/api/v1/relay"
        big = client.post(url, content=b"[" + b"0," * 600_000 + b"0]", headers=headers)
        assert big.status_code == 413
        assert big.json()["error"]["code"] == "body_too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(20):
                yield b" " * 100_000

        streamed = client.post(
            url, content=chunks(), headers={**headers, "Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        deep = client.post(
            url,
            content=b"[" * 75_000 + b"]" * 75_000,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert deep.status_code == 400
        assert deep.json()["error"]["code"] == "json_too_deep"
        # brackets inside strings are text, not nesting; the request goes on to validation
        text = client.post(
            url, json={"request": "[" * 500, "signature": "{" * 500}, headers=headers
        )
        assert text.status_code == 422
        assert client.get("/api/v1/health").status_code in (200, 503)


def test_json_depth_is_found_in_one_scan() -> None:
    assert not json_depth_exceeds(b'{"a": [[1, 2], {"b": "[[[[[["}]}', 3)
    assert json_depth_exceeds(b'{"a": [[1, 2], {"b": [[]]}]}', 3)
    assert not json_depth_exceeds(b'["\\"[[[[", 1]', 1)


def test_every_operation_with_a_body_declares_the_body_limits(ctx: RegistryContext) -> None:
    with TestClient(create_app(ctx)) as client:
        spec = client.get("/openapi.json").json()
    with_body = [op for ops in spec["paths"].values() for op in ops.values() if "requestBody" in op]
    assert len(with_body) > 40
    assert all({"400", "413"} <= set(op["responses"]) for op in with_body)


def test_no_dependency_raises_the_recursion_limit() -> None:
    """A deep body must meet Python's own limit, not one a library raised (py_ecc, which
    eth-account 0.14 imported, set 100,000, and json then overflowed the C stack)."""
    probe = (
        "import sys; before = sys.getrecursionlimit(); "
        "import api.main, cli.main, registry.context, siwe; "
        "print(before, sys.getrecursionlimit())"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    before, after = answer.stdout.split()
    assert after == before
