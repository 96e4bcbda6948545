"""Sign-In with Ethereum, sessions and API keys over REST, and the replays they refuse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.main import create_app
from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.db.models import api_key_table, auth_session_table
from registry.settings import Settings
from tests.api.actors import act, refused, sign_in
from tests.registry.rights.test_service import grant_regulator, regulator

V1 = "/api/v1"


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as api:
        yield api


def _signed(client: TestClient, account: LocalAccount) -> tuple[str, str]:
    message = client.post(f"{V1}/auth/challenge", json={"address": account.address}).json()[
        "message"
    ]
    return message, "0x" + account.sign_message(encode_defunct(text=message)).signature.hex()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_signed_challenge_opens_a_session_as_cookie_and_bearer(
    client: TestClient, ctx: RegistryContext
) -> None:
    someone = dev_account(1)
    challenge = client.post(f"{V1}/auth/challenge", json={"address": someone.address}).json()
    assert challenge["domain"] == "127.0.0.1:8000"
    assert challenge["chain_id"] == ctx.manifest.chain_id
    assert f"Chain ID: {ctx.manifest.chain_id}" in challenge["message"]
    signature = someone.sign_message(encode_defunct(text=challenge["message"])).signature.hex()
    answer = client.post(
        f"{V1}/auth/sign-in", json={"message": challenge["message"], "signature": "0x" + signature}
    )
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["set-cookie"]
    assert "dareg_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    token = answer.json()["token"]
    # the cookie alone signs in (the web), and so does the bearer token (API clients)
    by_cookie = client.get(f"{V1}/auth/session")
    assert by_cookie.json()["address"] == someone.address
    client.cookies.clear()
    assert client.get(f"{V1}/auth/session").status_code == 401
    session = client.get(f"{V1}/auth/session", headers=_bearer(token)).json()
    assert (session["address"], session["via"], session["roles"]) == (
        someone.address,
        "session",
        [],
    )


def test_the_session_names_the_roles_the_chain_gives(
    client: TestClient, ctx: RegistryContext
) -> None:
    grant_regulator(ctx)
    session = client.get(f"{V1}/auth/session", headers=sign_in(client, regulator())).json()
    assert session["roles"] == ["regulator"]
    staff = client.get(f"{V1}/auth/session", headers=sign_in(client, dev_account(7))).json()
    assert (staff["roles"], staff["registrar_code"]) == (["registrar-staff"], 440)


def test_a_sign_in_message_signs_in_once(client: TestClient) -> None:
    message, signature = _signed(client, dev_account(2))
    first = client.post(f"{V1}/auth/sign-in", json={"message": message, "signature": signature})
    assert first.status_code == 200
    again = client.post(f"{V1}/auth/sign-in", json={"message": message, "signature": signature})
    refused(again, 401, "sign_in_replayed")


def test_sign_in_refuses_another_signer_domain_chain_or_an_expired_message(
    client: TestClient, ctx: RegistryContext
) -> None:
    someone, stranger = dev_account(2), dev_account(3)
    message, _ = _signed(client, someone)
    forged = "0x" + stranger.sign_message(encode_defunct(text=message)).signature.hex()
    refused(
        client.post(f"{V1}/auth/sign-in", json={"message": message, "signature": forged}),
        401,
        "invalid_sign_in",
    )
    for wrong in (
        message.replace("127.0.0.1:8000", "evil.example"),
        message.replace(f"Chain ID: {ctx.manifest.chain_id}", "Chain ID: 1"),
        "not a sign-in message",
    ):
        signature = "0x" + someone.sign_message(encode_defunct(text=wrong)).signature.hex()
        refused(
            client.post(f"{V1}/auth/sign-in", json={"message": wrong, "signature": signature}),
            401,
            "invalid_sign_in",
        )
    # a nonce this service never issued
    message, signature = _signed(client, someone)
    nonce = message.split("Nonce: ")[1].split("\n")[0]
    made_up = message.replace(nonce, "abcdefgh12345678")
    signature = "0x" + someone.sign_message(encode_defunct(text=made_up)).signature.hex()
    refused(
        client.post(f"{V1}/auth/sign-in", json={"message": made_up, "signature": signature}),
        401,
        "sign_in_replayed",
    )


def test_an_expired_message_and_an_expired_session_are_refused(
    ctx: RegistryContext, test_settings: Settings
) -> None:
    later = datetime.now(tz=UTC) + timedelta(hours=2)
    auth = ctx.auth
    someone = dev_account(2)
    challenge = auth.challenge(someone.address)
    signature = "0x" + someone.sign_message(encode_defunct(text=challenge.message)).signature.hex()
    with TestClient(create_app(ctx)) as client:
        session = client.post(
            f"{V1}/auth/sign-in", json={"message": challenge.message, "signature": signature}
        ).json()
        assert client.get(f"{V1}/auth/session", headers=_bearer(session["token"])).is_success
        with ctx.engine.begin() as connection:
            connection.execute(
                update(auth_session_table).values(expires_at=later - timedelta(hours=4))
            )
        refused(
            client.get(f"{V1}/auth/session", headers=_bearer(session["token"])),
            401,
            "session_expired",
        )
    stale = auth.challenge(someone.address)
    signature = "0x" + someone.sign_message(encode_defunct(text=stale.message)).signature.hex()
    from registry.errors import InvalidSignInError

    auth._clock = lambda: later
    with pytest.raises(InvalidSignInError):
        auth.sign_in(stale.message, signature)


def test_signing_out_ends_the_session(client: TestClient) -> None:
    headers = sign_in(client, dev_account(2))
    assert client.post(f"{V1}/auth/sign-out", headers=headers).status_code == 204
    refused(client.get(f"{V1}/auth/session", headers=headers), 401, "session_expired")


def test_api_keys_are_shown_once_hashed_scoped_and_revocable(
    client: TestClient, ctx: RegistryContext
) -> None:
    owner = dev_account(2)
    headers = sign_in(client, owner)
    created = client.post(
        f"{V1}/api-keys", json={"name": "loan desk", "scopes": ["read"]}, headers=headers
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    key_id = created.json()["key_id"]
    with ctx.engine.connect() as connection:
        stored = connection.execute(api_key_table.select()).all()
    assert len(stored) == 1
    assert key.split("_")[-1] not in str(stored[0])
    listed = client.get(f"{V1}/api-keys", headers=headers).json()
    assert [k["key_id"] for k in listed] == [key_id]
    assert "key" not in listed[0]
    # the key stands for its owner, for reads only
    session = client.get(f"{V1}/auth/session", headers=_bearer(key)).json()
    assert (session["address"], session["via"], session["scopes"]) == (
        owner.address,
        "api-key",
        ["read"],
    )
    refused(
        client.post(f"{V1}/evidence/typed-data", headers=_bearer(key), json={}),
        403,
        "scope_missing",
    )
    # keys cannot mint keys
    assert (
        client.post(
            f"{V1}/api-keys", json={"name": "x", "scopes": ["read"]}, headers=_bearer(key)
        ).status_code
        == 403
    )
    # nobody else sees or revokes it
    other = sign_in(client, dev_account(3))
    assert client.get(f"{V1}/api-keys", headers=other).json() == []
    assert client.delete(f"{V1}/api-keys/{key_id}", headers=other).status_code == 404
    revoked = client.delete(f"{V1}/api-keys/{key_id}", headers=headers)
    assert revoked.json()["revoked_at"] is not None
    refused(client.get(f"{V1}/auth/session", headers=_bearer(key)), 401, "session_expired")


def test_an_expired_api_key_is_refused(client: TestClient, ctx: RegistryContext) -> None:
    headers = sign_in(client, dev_account(2))
    key = client.post(
        f"{V1}/api-keys",
        json={"name": "batch", "scopes": ["read", "write"], "lifetime_days": 1},
        headers=headers,
    ).json()["key"]
    assert client.get(f"{V1}/auth/session", headers=_bearer(key)).is_success
    with ctx.engine.begin() as connection:
        connection.execute(
            update(api_key_table).values(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1))
        )
    refused(client.get(f"{V1}/auth/session", headers=_bearer(key)), 401, "session_expired")


def test_a_signed_forward_request_is_relayed_once(client: TestClient, ctx: RegistryContext) -> None:
    grant_regulator(ctx)
    body = {"party": dev_account(2).address, "country": "CN"}
    headers = sign_in(client, regulator())
    prepared = client.post(
        f"{V1}/regulator/party-countries/prepare",
        json={**body, "signer": regulator().address},
        headers=headers,
    ).json()
    from registry.chain.eip712 import sign_typed_data

    signature = "0x" + sign_typed_data(prepared["typed_data"], regulator()).hex()
    relay = {"request": prepared["request"], "signature": signature}
    assert client.post(f"{V1}/relay", json=relay, headers=headers).status_code == 201
    refused(client.post(f"{V1}/relay", json=relay, headers=headers), 409, "stale_relay_request")


def test_nobody_relays_or_prepares_for_someone_else(
    client: TestClient, ctx: RegistryContext
) -> None:
    grant_regulator(ctx)
    body = {"party": dev_account(2).address, "country": "CN", "signer": regulator().address}
    prepared = client.post(
        f"{V1}/regulator/party-countries/prepare", json=body, headers=sign_in(client, regulator())
    ).json()
    from registry.chain.eip712 import sign_typed_data

    signature = "0x" + sign_typed_data(prepared["typed_data"], regulator()).hex()
    stranger = sign_in(client, dev_account(12))
    refused(
        client.post(
            f"{V1}/relay",
            json={"request": prepared["request"], "signature": signature},
            headers=stranger,
        ),
        403,
        "signer_not_caller",
    )
    refused(
        client.post(
            f"{V1}/regulator/party-countries/prepare",
            json=body,
            headers=sign_in(client, dev_account(7)),
        ),
        403,
        "role_required",
    )
    refused(
        act(
            client,
            "/regulator/party-countries/prepare",
            {k: v for k, v in body.items() if k != "signer"},
            dev_account(7),
        ),
        403,
        "role_required",
    )


def test_the_statistics_page_asks_for_sign_in(client: TestClient) -> None:
    answer = client.get("/regulator/statistics", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/regulator/statistics"
