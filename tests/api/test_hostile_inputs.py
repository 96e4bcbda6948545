"""Hostile input to every route of a real server process, generated from ``/openapi.json``.

The API runs as uvicorn in a subprocess (on the session chain and the test's database), as it
does in production: a crash would take the process down, which an in-process client would
hide. Every operation the document lists gets (a) a body of JSON arrays nested 75,000 deep,
(b) a 10 MiB body, and (c) out-of-range numbers (negative, 2^256, 2^70, 65,536, 2^63) in every
integer path and query parameter, sent by a caller the operation lets through (so a role's
operation is exercised past its 403). Each answer is a 4xx (a number within the declared range
may find nothing, or nothing to skip: any answer but a server error), the process is alive
afterwards, the chain's head has not moved and no table holds one row more, but the access log,
which records every refused write (and only refusals).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, column, func, inspect, select, table

from registry.chain.client import ChainClient
from registry.context import RegistryContext
from registry.settings import Settings
from tests.conftest import admin, free_port
from tests.registry.registration.conftest import registrar
from tests.registry.rights.test_service import grant_regulator, regulator

DEEP = b"[" * 75_000 + b"]" * 75_000
"""147 KiB of JSON arrays nested 75,000 deep: it once overflowed the C stack of the server."""
LARGE = b"[" + b"0," * (5 * 2**20) + b"0]"
"""A 10 MiB JSON body."""
OUT_OF_RANGE = (-1, 2**256, 2**70, 65_536, 2**63)
"""What each integer parameter is sent: beyond a uint256, a uint16, a signed 64-bit SQL integer."""

#: A valid value of each string path parameter, so the integer beside it is what is judged.
PATH_VALUES = {
    "number": "20261144000000124",
    "address": "0x" + "11" * 20,
    "recipient": "0x" + "11" * 20,
    "fingerprint": "0x" + "ab" * 32,
    "chart": "counts",
    "fmt": "svg",
    "key_id": "k",
}


@pytest.fixture
def server(
    ctx: RegistryContext, test_settings: Settings, anvil_url: str
) -> Iterator[tuple[subprocess.Popen[bytes], httpx.Client]]:
    """``uvicorn`` serving the API of the test's registry (registrar 440 and a regulator) in a
    process of its own; the anonymous rate limit raised so that every request is judged."""
    grant_regulator(ctx)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAREG_")} | {
        "DAREG_RPC_URL": anvil_url,
        "DAREG_VAR_DIR": str(test_settings.var_dir),
        "DAREG_DATABASE_URL": str(test_settings.database_url),
        "DAREG_PUBLIC_RATE_PER_MINUTE": "1000000",
    }
    log = (test_settings.var_dir.parent / "uvicorn.log").open("wb")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "--factory", "api.main:app_from_environment"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (
                test_settings.var_dir.parent / "uvicorn.log"
            ).read_text()
            try:
                if client.get("/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the API server did not start"
            time.sleep(0.2)
        yield process, client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _sign_in(client: httpx.Client, account: LocalAccount) -> dict[str, str]:
    challenge = client.post("/api/v1/auth/challenge", json={"address": account.address})
    message = challenge.json()["message"]
    signature = "0x" + account.sign_message(encode_defunct(text=message)).signature.hex()
    session = client.post("/api/v1/auth/sign-in", json={"message": message, "signature": signature})
    assert session.status_code == 200, session.text
    return {"Authorization": f"Bearer {session.json()['token']}"}


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: int(
                connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            )
            for name in inspect(engine).get_table_names()
        }


def _callers(client: httpx.Client) -> dict[str, dict[str, str]]:
    """The headers of a caller each ``x-dareg-role`` lets through (or at least signed in)."""
    staff = _sign_in(client, registrar())
    governor = _sign_in(client, admin())
    return {
        "public": {},
        "regulator": _sign_in(client, regulator()),
        "admin": governor,
        "registrar-staff": staff,
        "staff-of-application": staff,
        "staff-of-objection": staff,
        "holder-staff-or-regulator-of-application": staff,
    } | {"": governor}


def _integer_bounds(schema: dict[str, Any]) -> tuple[int, int] | None:
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") == "integer":
            return int(option.get("minimum", -(2**300))), int(option.get("maximum", 2**300))
    return None


def test_every_route_refuses_hostile_input_and_the_server_lives_on(
    server: tuple[subprocess.Popen[bytes], httpx.Client], ctx: RegistryContext, chain: ChainClient
) -> None:
    process, client = server
    callers = _callers(client)
    spec = client.get("/openapi.json").json()
    head = chain.head()
    before = _row_counts(ctx.engine)
    problems: list[str] = []
    sent = 0

    def expect(
        method: str,
        path: str,
        headers: dict[str, str],
        what: str,
        allowed: range,
        *,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        body_code: str | None = None,
    ) -> None:
        nonlocal sent
        sent += 1
        try:
            answer = client.request(
                method,
                path,
                params=params,
                content=content,
                # a connection of its own: one a refusal closed is never reused
                headers={**headers, "Connection": "close"}
                | ({"Content-Type": "application/json"} if content else {}),
            )
        except httpx.TransportError as exc:
            problems.append(f"{method} {path} {what}: no answer ({exc!r})")
            return
        if answer.status_code not in allowed:
            problems.append(f"{method} {path} {what}: {answer.status_code} {answer.text[:200]}")
        elif body_code is not None and answer.json()["error"]["code"] != body_code:
            problems.append(f"{method} {path} {what}: {answer.text[:200]}")

    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            headers = callers.get(operation["x-dareg-role"], callers[""])
            parameters = operation.get("parameters", [])
            fixed = {
                p["name"]: PATH_VALUES.get(p["name"], "1") for p in parameters if p["in"] == "path"
            }
            path = template.format(**fixed)
            if "requestBody" in operation:
                expect(method, path, headers, "deep body", range(400, 401), content=DEEP)
                expect(method, path, headers, "10 MiB body", range(413, 414), content=LARGE)
            for parameter in parameters:
                bounds = _integer_bounds(parameter["schema"])
                if bounds is None:
                    continue
                for value in OUT_OF_RANGE:
                    beyond = not bounds[0] <= value <= bounds[1]
                    what = f"{parameter['name']}={value}"
                    if parameter["in"] == "path":
                        target, params = template.format(**{**fixed, parameter["name"]: value}), {}
                    else:
                        target, params = path, {parameter["name"]: value}
                    allowed = range(422, 423) if beyond else range(200, 500)
                    expect(method.upper(), target, headers, what, allowed, params=params)
    assert not problems, f"{len(problems)} of {sent} requests:\n" + "\n".join(problems)
    assert sent > 300
    assert process.poll() is None, "the server died"
    assert client.get("/api/v1/health").status_code == 200
    assert chain.head() == head
    after = _row_counts(ctx.engine)
    logged = after.pop("access_log") - before.pop("access_log")
    assert after == before
    # the refused writes, each recorded with its refusal, and nothing else
    log = table("access_log", column("id"), column("outcome"))
    with ctx.engine.connect() as connection:
        outcomes = connection.execute(
            select(log.c.outcome).order_by(log.c.id.desc()).limit(logged)
        ).scalars()
        assert logged > 0
        assert all(outcome.startswith("4") for outcome in outcomes)
