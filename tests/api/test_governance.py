"""The admin's actions over REST: prepared for the signed-in admin, signed by it, relayed by the
operator, judged by the chain. The operator holds no role, so every one of them is refused
(the API asks the chain whether the caller is the admin before anything is prepared)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.registration.service import PAUSER_ROLE, REGULATOR_ROLE
from tests.api.actors import act, acted, event, refused, sign_in
from tests.conftest import admin

CODE = 460
NOT_ADMIN = "role_required"  # the registry's admin (on chain) is the requirement of /admin/...


@pytest.fixture
def client(registry_context: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(registry_context)) as api:
        yield api


def test_the_admin_configures_a_registrar_binds_staff_and_grants_roles(
    client: TestClient, registry_context: RegistryContext
) -> None:
    service, operator, staff = (
        registry_context.registrations,
        registry_context.operator,
        dev_account(9),
    )
    policy = {"notice_period_seconds": 10 * 86_400, "objections_open_to_all": False}
    bind = {"account": staff.address}
    grant = {"role": "regulator", "account": dev_account(5).address}
    # the operator (no role) and a stranger are refused before anyone signs: the chain says
    # they are not the admin (v2: the admin also decides the important-data approval, on the
    # TransferAgent)
    for signer in (operator, staff):
        refused(act(client, f"/admin/registrars/{CODE}/prepare", policy, signer), 403, NOT_ADMIN)
        refused(
            act(client, f"/admin/registrars/{CODE}/accounts/prepare", bind, signer), 403, NOT_ADMIN
        )
        refused(act(client, "/admin/roles/prepare", grant, signer), 403, NOT_ADMIN)
        refused(
            act(client, "/admin/important-data-approval/prepare", {"required": False}, signer),
            403,
            NOT_ADMIN,
        )

    configured = acted(client, f"/admin/registrars/{CODE}/prepare", policy, admin())
    assert (configured["contract"], configured["signer"]) == ("RegistryAuthority", admin().address)
    assert event(configured, "RegistrarConfigured")["code"] == CODE
    shown = client.get(f"/api/v1/registrars/{CODE}").json()
    assert (shown["active"], shown["objections_open_to_all"]) == (True, False)
    assert shown["notice_period_seconds"] == 10 * 86_400

    bound = acted(client, f"/admin/registrars/{CODE}/accounts/prepare", bind, admin())
    assert event(bound, "RegistrarAccountSet")["account"] == staff.address
    assert service.registrar_code_of(staff.address) == CODE

    granted = acted(client, "/admin/roles/prepare", grant, admin())
    assert event(granted, "RoleGranted")["sender"] == admin().address
    pauser = {"role": "pauser", "account": dev_account(21).address}
    acted(client, "/admin/roles/prepare", pauser, admin())
    assert service.has_role(REGULATOR_ROLE, dev_account(5).address)
    assert service.has_role(PAUSER_ROLE, dev_account(21).address)
    for role in (REGULATOR_ROLE, PAUSER_ROLE):
        assert not service.has_role(role, operator.address)
    assert service.registrar_code_of(operator.address) == 0

    required = acted(client, "/admin/important-data-approval/prepare", {"required": False}, admin())
    assert required["contract"] == "TransferAgent"
    assert registry_context.rights.important_data_approval_required() is False


def test_admin_requests_are_validated(client: TestClient) -> None:
    as_admin = sign_in(client, admin())
    for path, body in (
        ("/admin/registrars/0/prepare", {"notice_period_seconds": 86_400}),
        ("/admin/registrars/1000/prepare", {"notice_period_seconds": 86_400}),
        (f"/admin/registrars/{CODE}/prepare", {"notice_period_seconds": 0}),
        ("/admin/roles/prepare", {"role": "owner", "account": admin().address}),
    ):
        answer = client.post(
            f"/api/v1{path}", json={**body, "signer": admin().address}, headers=as_admin
        )
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["error"]["code"] == "invalid_request"
    bad = client.post(
        "/api/v1/admin/roles/prepare",
        json={"role": "regulator", "account": "0x12", "signer": admin().address},
        headers=as_admin,
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_input")
