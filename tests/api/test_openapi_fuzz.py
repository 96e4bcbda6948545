"""Every operation of the OpenAPI document called with generated input, on the real chain and a
real database: bounded (a fixed number of examples per operation) and seeded (derandomised), so
the same calls run each time. Anonymous calls, and calls signed in as an account the operation's
``x-dareg-role`` lets through, so operations behind a role are exercised past their 403.

Each answer must be no server error, with a status the operation declares, a content type
declared for it and a JSON body conforming to the declared schema (:mod:`tests.api.openapi_fuzz`).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import quote

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from api.main import create_app
from registry.chain.client import ChainClient
from registry.context import RegistryContext
from registry.settings import Settings
from tests.api.actors import sign_in
from tests.api.openapi_fuzz import Document
from tests.api.test_access_matrix import _scene
from tests.conftest import admin
from tests.registry.registration.conftest import registrar
from tests.registry.rights.test_service import bank, holder, licensee, regulator
from tests.registry.valuation.test_service import appraiser

EXAMPLES = 12
"""Generated calls per operation and caller."""

#: Who calls an operation of each ``x-dareg-role`` past its requirement (where one persona can:
#: the standing on one item is rarely what generated input names, and is refused with 403).
ROLE_CALLER: dict[str, LocalAccount] = {
    "signed-in": holder(),
    "regulator": regulator(),
    "admin": admin(),
    "appraiser": appraiser(),
    "registrar-staff": registrar(),
    "staff-of-application": registrar(),
    "staff-of-objection": registrar(),
    "holder-of-certificate": holder(),
    "holder-staff-or-regulator-of-application": registrar(),
    "pledgee-of-pledge": bank(),
    "licensee-of-licence": licensee(),
    "party-of-licence": holder(),
    "appraiser-of-valuation": appraiser(),
}

#: Safe in a path segment (a ``/`` or ``%`` would name another route, not another value).
_PATH_SAFE = st.characters(codec="utf-8", exclude_characters="/%?#\\")


def test_generated_calls_get_declared_answers(
    ctx: RegistryContext, chain: ChainClient, test_settings: Settings
) -> None:
    roomy = RegistryContext.open(
        test_settings.model_copy(update={"public_rate_per_minute": 1_000_000}), client=chain
    )
    with TestClient(create_app(roomy), raise_server_exceptions=False) as client:
        # the registry of the access matrix: a certificate with a pledge, a licence, a
        # valuation, an application in notice with an objection; their ids are tried too
        known = {name: [value] for name, value in _scene(ctx, client).items()}
        spec = client.get("/openapi.json").json()
        document = Document(spec)
        valid = Document(spec, stray=False)
        operations = [
            (method, path, operation)
            for path, methods in spec["paths"].items()
            for method, operation in methods.items()
        ]
        # signing out ends the session the others use: last
        operations.sort(key=lambda o: (o[0], o[1]) == ("post", "/api/v1/auth/sign-out"))
        problems: list[str] = []
        statuses: Counter[int] = Counter()
        for method, path, operation in operations:
            role = operation["x-dareg-role"]
            callers: list[dict[str, str]] = [{}]
            if role != "public":
                callers.append(sign_in(client, ROLE_CALLER[role]))
            for headers in callers:
                # calls as the document describes them, and calls that stray from it
                request = st.one_of(
                    _requests(valid, path, operation, known),
                    _requests(document, path, operation, known),
                )
                _exercise(
                    client, document, (method, operation), headers, request, problems, statuses
                )
    calls = sum(statuses.values())
    unique = sorted(set(problems))
    assert not unique, f"{len(unique)} problems in {calls} calls:\n" + "\n".join(unique[:80])
    assert calls >= EXAMPLES * len(operations)
    # the calls got past validation and requirements too, not only refused at the door
    assert {200, 401, 403, 404, 422} <= set(statuses), statuses
    assert statuses[200] > 20, statuses


def test_the_checks_find_what_is_wrong() -> None:
    """The checks are not vacuous: each kind of problem is found."""
    spec: dict[str, Any] = {
        "components": {
            "schemas": {
                "Item": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer", "minimum": 0},
                        "at": {
                            "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]
                        },
                    },
                    "required": ["id"],
                }
            }
        }
    }
    operation = {
        "responses": {
            "200": {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}
            },
            "204": {"description": "nothing"},
        }
    }
    document = Document(spec)
    json_type = "application/json"

    def check(status: int, body: bytes, content_type: str = json_type) -> list[str]:
        return document.problems_of(operation, status, content_type, body)

    assert check(200, b'{"id": 1, "at": null}') == []
    assert check(200, b'{"id": 1, "at": "2026-01-01T00:00:00+00:00"}') == []
    assert check(204, b"") == []
    assert check(500, b"boom") == ["server error 500: b'boom'"]
    assert check(404, b"{}")[0].startswith("undeclared status 404")
    assert check(200, b'{"id": 1}', "text/html")[0].startswith("200 answered 'text/html'")
    assert "is not of type integer" in check(200, b'{"id": "1"}')[0]
    assert "minimum" in check(200, b'{"id": -1}')[0]
    assert "missing" in check(200, b"{}")[0]
    assert "matches none" in check(200, b'{"id": 1, "at": "yesterday"}')[0]
    assert "does not parse" in check(200, b"{")[0]


_NO_BODY = object()
_UNPARSABLE = (b"{", b"not json", b'{"a": 1,}', b"\xff\xfe")
"""Bodies that do not parse (sent as they are, not as JSON)."""


def _exercise(
    client: TestClient,
    document: Document,
    called: tuple[str, dict[str, Any]],
    headers: dict[str, str],
    request: st.SearchStrategy[tuple[str, dict[str, Any], Any]],
    problems: list[str],
    statuses: Counter[int],
) -> None:
    """Make :data:`EXAMPLES` generated calls of an operation; its problems join ``problems``,
    its answers' statuses are counted in ``statuses``."""
    method, operation = called
    who = "signed in" if headers else "anonymous"

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(request)
    def call(made: tuple[str, dict[str, Any], Any]) -> None:
        url, query, body = made
        sent = {} if body is _NO_BODY else {"Content-Type": "application/json"}
        answer = client.request(
            method,
            url,
            params=query,
            content=None if body is _NO_BODY else _encoded(body),
            headers=headers | sent,
        )
        statuses[answer.status_code] += 1
        for problem in document.problems_of(
            operation, answer.status_code, answer.headers.get("content-type", ""), answer.content
        ):
            problems.append(f"{method.upper()} {url} ?{query} {_short(body)} ({who}): {problem}")

    call()


def _requests(
    document: Document, path: str, operation: dict[str, Any], known: dict[str, list[Any]]
) -> st.SearchStrategy[tuple[str, dict[str, Any], Any]]:
    """``(url, query, body)`` of generated calls of ``operation``."""
    parameters = operation.get("parameters", [])

    def parameter(p: dict[str, Any]) -> st.SearchStrategy[Any]:
        generated = document.value_of(p["schema"])
        if p["in"] == "path":
            generated = generated.filter(lambda v: v is not None).map(str)
            generated = st.one_of(generated, st.text(_PATH_SAFE, min_size=1, max_size=20))
            generated = generated.filter(lambda v: v != "" and not set(v) & set("/%?#\\"))
        if known.get(p["name"]):
            generated = st.one_of(st.sampled_from(known[p["name"]]), generated)
        return generated

    path_values = st.fixed_dictionaries(
        {p["name"]: parameter(p) for p in parameters if p["in"] == "path"}
    )
    query_values = st.fixed_dictionaries(
        {},
        optional={p["name"]: parameter(p) for p in parameters if p["in"] == "query"},
    ).map(lambda q: {k: v for k, v in q.items() if v is not None})
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    body = (
        st.just(_NO_BODY)
        if content is None
        # now and then a body that is no JSON at all
        else st.one_of(document.value_of(content["schema"]), st.sampled_from(_UNPARSABLE))
    )

    def url(values: dict[str, Any]) -> str:
        return path.format(**{k: quote(str(v), safe="") for k, v in values.items()})

    return st.tuples(path_values.map(url), query_values, body)


def _encoded(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def _short(body: Any) -> str:
    if body is _NO_BODY:
        return ""
    if isinstance(body, bytes):
        return repr(body)
    text = json.dumps(body, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."
