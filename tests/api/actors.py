"""Acting over REST as the acting account itself: prepare the forward request for ``signer``,
sign it with its key, relay it (``POST /relay``). The operator only relays; the chain judges."""

from __future__ import annotations

from typing import Any

from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from httpx import Response

from registry.chain.eip712 import sign_typed_data

V1 = "/api/v1"


def sign_in(client: TestClient, account: LocalAccount) -> dict[str, str]:
    """Sign in as ``account`` over REST (Sign-In with Ethereum, signed with its key): the
    headers that carry its session. Sessions are kept per client; the client keeps no cookie,
    so a request without these headers stays anonymous."""
    sessions: dict[str, dict[str, str]] = client.__dict__.setdefault("_dareg_sessions", {})
    if account.address not in sessions:
        challenge = client.post(f"{V1}/auth/challenge", json={"address": account.address})
        assert challenge.status_code == 200, challenge.text
        message = challenge.json()["message"]
        signature = account.sign_message(encode_defunct(text=message)).signature.hex()
        session = client.post(
            f"{V1}/auth/sign-in", json={"message": message, "signature": "0x" + signature}
        )
        assert session.status_code == 200, session.text
        client.cookies.clear()
        sessions[account.address] = {"Authorization": f"Bearer {session.json()['token']}"}
    return sessions[account.address]


def act(client: TestClient, path: str, body: dict[str, Any], signer: LocalAccount) -> Response:
    """Sign in as ``signer``, prepare the action for it, sign it with its key, relay it; the
    last response."""
    headers = sign_in(client, signer)
    prepared = client.post(V1 + path, json={**body, "signer": signer.address}, headers=headers)
    if prepared.status_code != 200:
        return prepared
    p = prepared.json()
    signature = "0x" + sign_typed_data(p["typed_data"], signer).hex()
    return client.post(
        f"{V1}/relay", json={"request": p["request"], "signature": signature}, headers=headers
    )


def done(response: Response) -> dict[str, Any]:
    """The relay result of an action that went through (201)."""
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def acted(
    client: TestClient, path: str, body: dict[str, Any], signer: LocalAccount
) -> dict[str, Any]:
    """:func:`act`, which must go through: the relay result."""
    return done(act(client, path, body, signer))


def refused(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


def event(result: dict[str, Any], name: str) -> dict[str, Any]:
    """The arguments of the first ``name`` event of a relay result."""
    found = [e["args"] for e in result["events"] if e["name"] == name]
    assert found, f"no {name} in {[e['name'] for e in result['events']]}"
    return found[0]
