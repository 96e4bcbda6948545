"""Roles and standing as the chain gives them, cached for one block only."""

from __future__ import annotations

from registry.auth.standing import Role
from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.domain.registration import RegistrarPolicy
from tests.conftest import admin
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, registrar
from tests.registry.rights.test_service import buyer, grant_regulator, holder, issue, regulator


def test_roles_follow_the_chain_block_by_block(ctx: RegistryContext) -> None:
    standing = ctx.standing
    assert standing.roles(regulator().address).roles == frozenset()
    grant_regulator(ctx)  # a new block: the cached answer of the old one is not reused
    assert standing.roles(regulator().address).roles == {Role.REGULATOR}
    ctx.registrations.set_regulator(regulator().address, admin(), enabled=False)
    assert standing.roles(regulator().address).roles == frozenset()
    assert standing.roles(admin().address).has(Role.ADMIN)
    staff = standing.roles(registrar().address)
    assert (staff.roles, staff.registrar_code) == ({Role.REGISTRAR_STAFF}, REGISTRAR_CODE)


def test_a_retired_registrars_staff_has_no_role(ctx: RegistryContext) -> None:
    ctx.registrations.configure_registrar(
        REGISTRAR_CODE,
        RegistrarPolicy(
            active=False, objections_open_to_all=True, evidence_required=False, notice_period=NOTICE
        ),
        admin(),
    )
    retired = ctx.standing.roles(registrar().address)
    assert (retired.roles, retired.registrar_code) == (frozenset(), None)
    assert ctx.standing.roles(dev_account(12).address).roles == frozenset()


def test_standing_in_a_certificate_moves_with_it(ctx: RegistryContext) -> None:
    token = issue(ctx)
    number = ctx.registrations.get(token).certificate_number
    assert number is not None
    assert ctx.standing.holder_of_certificate(number) == holder().address
    assert ctx.standing.registrar_of_application(token) == REGISTRAR_CODE
    ctx.rights.transfer(token, buyer().address, "sale", None, holder())
    assert ctx.standing.holder_of_certificate(number) == buyer().address
