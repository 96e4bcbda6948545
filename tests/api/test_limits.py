"""The anonymous rate limit: per client address, only for requests no valid credential covers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.limits import TokenBuckets
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
