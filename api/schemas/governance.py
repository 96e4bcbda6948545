"""The admin's actions over REST: registrars, their staff, roles, the approval requirement.

Each is signed by the registry's admin (a multisig or timelock in production) as a forward
request the operator relays; the operator holds no role."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from api.schemas.relay import RelayPrepare
from registry.domain.numbers import UINT32_MAX
from registry.domain.registration import RegistrarPolicy


class RegistrarPolicyPrepare(RelayPrepare):
    """A registrar's policy as the admin sets it; ``signer`` is the admin. The public name of
    the agency is kept off chain and set with ``dareg registrar configure --name``."""

    active: bool = True
    objections_open_to_all: bool = True
    evidence_required: bool = False
    notice_period_seconds: int = Field(
        ge=1, le=UINT32_MAX, description="public-notice window (seconds, a uint32)"
    )

    def policy(self) -> RegistrarPolicy:
        return RegistrarPolicy(
            self.active,
            self.objections_open_to_all,
            self.evidence_required,
            self.notice_period_seconds,
        )


class RegistrarAccountPrepare(RelayPrepare):
    """Bind (or unbind) a staff account to a registrar; ``signer`` is the admin."""

    account: str
    enabled: bool = True


class Role(StrEnum):
    """The roles the admin grants on the registry's authority."""

    REGULATOR = "regulator"
    PAUSER = "pauser"


class RolePrepare(RelayPrepare):
    """Grant (or revoke) a role; ``signer`` is the admin."""

    role: Role
    account: str
    enabled: bool = True


class ApprovalRequirementPrepare(RelayPrepare):
    """Whether transfers of important data need a regulator's approval; ``signer`` is the
    admin."""

    required: bool
