"""Who may call what, generated from the OpenAPI document.

Every operation the document lists is called by every persona of one registry on the real
chain: anonymous, the holder of certificate X, the holder of another certificate, staff of
X's registrar, staff of another registrar, an accredited appraiser, a regulator, the admin, and
X's pledgee and licensee. The operation's ``x-dareg-role`` says who may; anonymous callers of a
non-public operation get 401, personas without the role or standing 403, and the others get
past authorisation (any other answer: the request bodies here are empty, so 422 is usual). The
only hand-written list is :data:`PUBLIC`, the operations anyone may call without signing in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from api.main import create_app
from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.domain.registration import RegistrarPolicy
from tests.api.actors import act, done, event, sign_in
from tests.api.test_valuations import submission
from tests.conftest import admin
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, metadata, registrar
from tests.registry.rights.test_service import (
    bank,
    buyer,
    grant_regulator,
    holder,
    issue,
    licence_terms,
    licensee,
    pledge_terms,
    regulator,
)
from tests.registry.valuation.test_service import appraiser

#: The operations open to anyone without signing in (rate-limited per client address).
PUBLIC = {
    "GET /api/v1/health",
    "GET /api/v1/deployment",
    "POST /api/v1/auth/challenge",
    "POST /api/v1/auth/sign-in",
    "GET /api/v1/evidence",
    "GET /api/v1/evidence/{fingerprint}",
    "GET /api/v1/certificates/{number}",
    "GET /api/v1/certificates/{number}/credential",
    "GET /api/v1/certificates/{number}/pdf",
    "GET /api/v1/certificates/{number}/card.svg",
    "GET /api/v1/metadata/{number}",
    "GET /api/v1/status-lists/{registrar_code}/{list}/{page}",
    "GET /api/v1/metadata/{number}/registered",
    "GET /api/v1/verify/{number}",
    "POST /api/v1/verify/{number}/data",
    "GET /verify/{number}",
    "GET /api/v1/registrars/{code}",
    "GET /api/v1/registrars/{code}/document-signing-certificate",
    "GET /api/v1/licences",
    "GET /api/v1/licences/{licence_id}",
    "GET /api/v1/licences/{licence_id}/policy",
    "GET /api/v1/certificates/{number}/licences",
    "GET /contexts",
    "GET /contexts/credentials/v2",
    "GET /contexts/dareg/v1",
}

OTHER_REGISTRAR = 441


def other_staff() -> LocalAccount:
    return dev_account(14)


Personas = dict[str, LocalAccount | None]


def personas() -> Personas:
    return {
        "anonymous": None,
        "holder": holder(),
        "another holder": buyer(),
        "staff of the registrar": registrar(),
        "staff of another registrar": other_staff(),
        "appraiser": appraiser(),
        "regulator": regulator(),
        "admin": admin(),
        "pledgee": bank(),
        "licensee": licensee(),
    }


#: Who each ``x-dareg-role`` lets through, among the personas (anonymous only for public).
ALLOWED: dict[str, Callable[[str], bool]] = {
    "public": lambda who: True,
    "signed-in": lambda who: who != "anonymous",
    "regulator": lambda who: who == "regulator",
    "admin": lambda who: who == "admin",
    "appraiser": lambda who: who == "appraiser",
    "registrar-staff": lambda who: who.startswith("staff of"),
    "staff-of-application": lambda who: who == "staff of the registrar",
    "staff-of-objection": lambda who: who == "staff of the registrar",
    "holder-of-certificate": lambda who: who == "holder",
    "holder-staff-or-regulator-of-application": lambda who: (
        who in ("holder", "staff of the registrar", "regulator")
    ),
    "pledgee-of-pledge": lambda who: who == "pledgee",
    "licensee-of-licence": lambda who: who == "licensee",
    "party-of-licence": lambda who: who in ("holder", "licensee"),
    "appraiser-of-valuation": lambda who: who == "appraiser",
}


def _scene(ctx: RegistryContext, client: TestClient) -> dict[str, str]:
    """The registry every persona calls into: the path parameters of every operation."""
    service = ctx.registrations
    service.configure_registrar(
        OTHER_REGISTRAR,
        RegistrarPolicy(
            active=True, objections_open_to_all=True, evidence_required=False, notice_period=NOTICE
        ),
        admin(),
        name="深圳数据交易所登记中心",
        region="440300",
    )
    service.set_registrar_account(OTHER_REGISTRAR, other_staff().address, admin())
    grant_regulator(ctx)
    x = issue(ctx)
    issue(ctx, buyer(), fp=0xB2)
    number = ctx.registrations.get(x).certificate_number
    assert number is not None
    pledge = ctx.rights.sign_and_register(pledge_terms(ctx, x), holder(), bank(), ctx.operator)
    licence = ctx.rights.grant_licence(x, licence_terms(ctx), holder())
    ctx.valuations.accredit(appraiser().address, "北京中企华资产评估 11020045", regulator())
    valued = done(
        act(client, f"/certificates/{number}/valuations/prepare", submission(ctx), appraiser())
    )
    pending = service.sign_and_submit(
        metadata(holder().address, 0xC3), REGISTRAR_CODE, holder(), ctx.operator
    )
    service.accept(pending.id, registrar())
    service.open_notice(pending.id, registrar())
    objection = service.file_objection(pending.id, b"objection", "text/plain", buyer())
    return {
        "number": number,
        "reg_id": str(x),
        "pledge_id": str(pledge.id),
        "licence_id": str(licence.id),
        "objection_id": str(objection),
        "valuation_id": str(event(valued, "ValuationSubmitted")["valuationId"]),
        "code": str(REGISTRAR_CODE),
        "registrar_code": str(REGISTRAR_CODE),
        "list": "suspension",
        "page": "0",
        "address": holder().address,
        "recipient": dev_account(8).address,
        "fingerprint": ctx.registrations.get(x).fingerprint,
        "key_id": "0123456789abcdef",
    }


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (method.upper(), path, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]
    # signing out ends the persona's session: last
    return sorted(found, key=lambda op: op[1] == "/api/v1/auth/sign-out")


def _fill(path: str, operation: dict[str, Any], values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        for parameter in operation.get("parameters", []):
            if parameter["name"] == name and "$ref" in parameter["schema"]:
                raise AssertionError(f"no value for {name} in {path}")
        return _enum_value(operation, name)

    return re.sub(r"\{(\w+)\}", value, path)


def _enum_value(operation: dict[str, Any], name: str) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["name"] == name:
            schema = parameter["schema"]
            if "enum" in schema:
                return str(schema["enum"][0])
    raise AssertionError(f"no value for path parameter {name}")


def _resolve_enums(spec: dict[str, Any]) -> None:
    """Inline the enum of path parameters declared by reference (charts and formats)."""
    schemas = spec.get("components", {}).get("schemas", {})
    for operations in spec["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                ref = parameter["schema"].get("$ref")
                if ref:
                    parameter["schema"] = schemas[ref.rsplit("/", 1)[1]]


@pytest.fixture
def client(ctx: RegistryContext) -> Any:
    with TestClient(create_app(ctx)) as api:
        yield api


def test_every_operation_declares_its_requirement_and_only_the_public_set_is_public(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    public = set()
    for method, path, operation in _operations(spec):
        role = operation.get("x-dareg-role")
        assert role in ALLOWED, f"{method} {path}: x-dareg-role {role!r}"
        if role == "public":
            public.add(f"{method} {path}")
            assert "429" in operation["responses"], f"{method} {path}"
            assert not operation.get("security"), f"{method} {path}"
        else:
            assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"
            schemes = {name for entry in operation["security"] for name in entry}
            assert schemes == {"bearer", "session"}, f"{method} {path}: {schemes}"
    assert public == PUBLIC
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "session"}


def test_every_operation_answers_every_persona_as_its_role_says(
    client: TestClient, ctx: RegistryContext
) -> None:
    values = _scene(ctx, client)
    spec = client.get("/openapi.json").json()
    _resolve_enums(spec)
    wrong = []
    calls = 0
    for method, path, operation in _operations(spec):
        url = _fill(path, operation, values)
        allowed = ALLOWED[operation["x-dareg-role"]]
        for who, account in personas().items():
            headers = sign_in(client, account) if account is not None else {}
            body = {} if method in ("POST", "PUT", "PATCH") else None
            answer = client.request(method, url, headers=headers, json=body)
            calls += 1
            status = answer.status_code
            if allowed(who):
                ok = status not in (401, 403)
            elif who == "anonymous":
                ok = status == 401 and answer.json()["error"]["code"] == "not_authenticated"
            else:
                ok = status == 403 and answer.json()["error"]["code"] == "role_required"
            if not ok:
                wrong.append(f"{who}: {method} {url} -> {status} {answer.text[:160]}")
            if path == "/api/v1/auth/sign-out" and account is not None:
                client.__dict__["_dareg_sessions"].pop(account.address, None)
    assert calls >= 80 * len(personas())
    assert not wrong, "\n".join(wrong)
