"""The admin's actions over REST (``/admin/…/prepare``), signed by the admin and relayed.

The registry's admin (``DAREG_ADMIN_ADDRESS``: a multisig or timelock in production, never the
operator) configures registrars, binds their staff, grants the regulator and pauser roles and
decides whether transfers of important data need approval. Each endpoint answers the forward
request the admin signs; ``POST /relay`` sends it and the chain records the admin as the actor.
Anyone else, the operator included, is refused by the chain before anyone signs (403).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import Registry, require_admin
from api.routes.common import prepare
from api.schemas.governance import (
    ApprovalRequirementPrepare,
    RegistrarAccountPrepare,
    RegistrarPolicyPrepare,
    Role,
    RolePrepare,
)
from registry.domain.chain import ContractCall
from registry.registration.service import MAX_REGISTRAR_CODE

router = APIRouter(prefix="/admin", tags=["admin"])

Code = Annotated[int, Path(ge=1, le=MAX_REGISTRAR_CODE, description="registrar code")]


@prepare(router, "/registrars/{code}/prepare", require_admin)
def prepare_registrar(code: Code, body: RegistrarPolicyPrepare, registry: Registry) -> ContractCall:
    """Create, reconfigure, activate or retire a registration agency."""
    return registry.registrations.registrar_configuration_call(code, body.policy())


@prepare(router, "/registrars/{code}/accounts/prepare", require_admin)
def prepare_registrar_account(
    code: Code, body: RegistrarAccountPrepare, registry: Registry
) -> ContractCall:
    """Bind (or unbind) a staff account to a registration agency."""
    return registry.registrations.registrar_account_call(code, body.account, enabled=body.enabled)


@prepare(router, "/roles/prepare", require_admin)
def prepare_role(body: RolePrepare, registry: Registry) -> ContractCall:
    """Grant (or revoke) the regulator or the pauser role."""
    service = registry.registrations
    if body.role is Role.REGULATOR:
        return service.regulator_call(body.account, enabled=body.enabled)
    return service.pauser_call(body.account, enabled=body.enabled)


@prepare(router, "/important-data-approval/prepare", require_admin)
def prepare_approval_requirement(
    body: ApprovalRequirementPrepare, registry: Registry
) -> ContractCall:
    """Require (or stop requiring) a regulator's approval for transfers of important data."""
    return registry.rights.approval_requirement_call(body.required)
