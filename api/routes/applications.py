"""Registration lifecycle over REST: signed applications and the registrar's review.

Registrants sign their application (EIP-712) and the service relays it, so they need no gas.
Each review action (accept, return, reject, notice, standing, issue, renew, revoke, ruling) is a
``…/prepare`` endpoint: it answers the ERC-2771 forward request that a registrar account of the
application's registrar signs, and ``POST /relay`` sends it. The chain records that account as
the actor and refuses anyone else (403 with the contract's error); the operator only pays gas
and holds no role.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import (
    AnyCaller,
    Registry,
    SignedInOnly,
    acting_for,
    need,
    require_privy_to_application,
    require_staff,
    require_staff_of_application,
    require_staff_of_objection,
)
from api.routes.common import ERRORS, Limit, Offset, created, mirror_head, prepare
from api.schemas.registration import (
    ApplicationCreate,
    ApplicationDraft,
    ApplicationTypedData,
    BatchIssuePrepare,
    DecisionPrepare,
    HolderIdentityPublic,
    ObjectionPublic,
    RegistrarPublic,
    RegistrationList,
    RegistrationPublic,
    RegistrationSummary,
    RenewalPrepare,
    RevocationPrepare,
    RulingPrepare,
    StandingPrepare,
    VersionPublic,
)
from registry.domain.chain import ContractCall
from registry.domain.inputs import checked_address, parse_signature
from registry.domain.numbers import Uint256
from registry.domain.registration import AssetKind, Status
from registry.mirror import count_registrations, list_registrations
from registry.registration.service import MAX_REGISTRAR_CODE

router = APIRouter(tags=["registration"])


@router.post("/applications/typed-data", response_model=ApplicationTypedData, responses=ERRORS)
def application_typed_data(
    body: ApplicationDraft, registry: Registry, caller: AnyCaller
) -> ApplicationTypedData:
    """The EIP-712 message the signed-in applicant signs; send it back with the signature to
    POST."""
    acting_for(caller, body.applicant, "the application")
    deadline = registry.clock.deadline(body.ttl_seconds)
    public = registry.registrations.commit_metadata(body.metadata)  # what goes on chain
    typed = registry.registrations.application_typed_data(
        public, body.registrar_code, body.applicant, deadline
    )
    return ApplicationTypedData(
        typed_data=typed,
        metadata_hash="0x" + public.digest().hex(),
        deadline=deadline,
        metadata=public,
    )


@created(router, "/applications", RegistrationPublic)
def submit_application(
    body: ApplicationCreate, registry: Registry, caller: AnyCaller
) -> RegistrationPublic:
    """Relay the signed-in applicant's signed application; the registration starts as
    ``submitted``. The operator pays, within the applicant's and the global hourly quotas (429
    ``relay_quota_exceeded``)."""
    acting_for(caller, body.applicant, "the application")
    registration = registry.registrations.submit_signed(
        body.metadata,
        body.registrar_code,
        body.applicant,
        body.deadline,
        parse_signature(body.signature),
        registry.operator,
    )
    return RegistrationPublic.of(registration)


@router.get(
    "/applications", dependencies=[SignedInOnly], response_model=RegistrationList, responses=ERRORS
)
def list_applications(
    registry: Registry,
    status_: Annotated[
        Status | None, Query(alias="status", description="e.g. in_notice, issued, expired")
    ] = None,
    holder: Annotated[str | None, Query(description="holder address")] = None,
    registrar_code: Annotated[int | None, Query(ge=1, le=999)] = None,
    kind: Annotated[AssetKind | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> RegistrationList:
    """Registrations as mirrored in SQL, newest first (registrar queue: ``status=submitted``)."""
    who = checked_address(holder, "holder") if holder else None
    state = status_.value if status_ else None
    kind_ = kind.value if kind else None
    rows = list_registrations(
        registry.engine,
        status=state,
        holder=who,
        registrar_code=registrar_code,
        kind=kind_,
        limit=limit,
        offset=offset,
    )
    total = count_registrations(
        registry.engine, status=state, holder=who, registrar_code=registrar_code, kind=kind_
    )
    return RegistrationList(
        items=[RegistrationSummary.of(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
        indexed_block=mirror_head(registry),
    )


@router.get(
    "/applications/{reg_id}",
    dependencies=[SignedInOnly],
    response_model=RegistrationPublic,
    responses=ERRORS,
)
def get_application(reg_id: Uint256, registry: Registry) -> RegistrationPublic:
    """The registration as the contract holds it now."""
    return RegistrationPublic.of(registry.registrations.get(reg_id))


@router.get(
    "/registrations/{number}",
    dependencies=[SignedInOnly],
    response_model=RegistrationPublic,
    responses=ERRORS,
)
def get_by_registration_number(number: str, registry: Registry) -> RegistrationPublic:
    """Look a registration up by its 16-digit registration number (check digit verified)."""
    return RegistrationPublic.of(registry.registrations.by_registration_number(number))


@router.get(
    "/applications/{reg_id}/versions",
    dependencies=[SignedInOnly],
    response_model=list[VersionPublic],
    responses=ERRORS,
)
def versions(reg_id: Uint256, registry: Registry) -> list[VersionPublic]:
    """Every version of the asset (fingerprint and metadata), oldest first."""
    return [VersionPublic.model_validate(v) for v in registry.registrations.versions(reg_id)]


@router.get(
    "/applications/{reg_id}/holder-identity",
    dependencies=[need(require_privy_to_application)],
    response_model=HolderIdentityPublic,
    responses=ERRORS,
)
def holder_identity(reg_id: Uint256, registry: Registry) -> HolderIdentityPublic:
    """The registered holder's full identifier: a natural person's resident identity or
    passport number, never shown in full on a public route, with the salt of its commitment and
    whether it verifies against the on-chain metadata hash (docs/privacy.md)."""
    return HolderIdentityPublic.build(registry.registrations.holder_identity(reg_id))


# --- the registrar's review (signed by a registrar account, relayed) -----------------------
# Each endpoint answers the forward request its registrar account signs; ``POST /relay`` sends
# it. The chain refuses anyone who is not an account of the application's active registrar.


@prepare(router, "/applications/{reg_id}/accept/prepare", require_staff_of_application)
def prepare_accept(reg_id: Uint256, registry: Registry) -> ContractCall:
    """Formal review passed (受理)."""
    return registry.registrations.accept_call(reg_id)


@prepare(router, "/applications/{reg_id}/return/prepare", require_staff_of_application)
def prepare_return(reg_id: Uint256, body: DecisionPrepare, registry: Registry) -> ContractCall:
    """Return for correction; the applicant may resubmit."""
    return registry.registrations.return_call(reg_id, body.reason_code, body.reason)


@prepare(router, "/applications/{reg_id}/reject/prepare", require_staff_of_application)
def prepare_reject(reg_id: Uint256, body: DecisionPrepare, registry: Registry) -> ContractCall:
    """Reject with a reason code and reason (the reason's hash goes on chain)."""
    return registry.registrations.rejection_call(reg_id, body.reason_code, body.reason)


@prepare(router, "/applications/{reg_id}/notice/prepare", require_staff_of_application)
def prepare_notice(reg_id: Uint256, registry: Registry) -> ContractCall:
    """Open the public-notice window (公示) after substantive review."""
    return registry.registrations.notice_call(reg_id)


@prepare(router, "/applications/{reg_id}/standing/prepare", require_staff_of_application)
def prepare_standing(reg_id: Uint256, body: StandingPrepare, registry: Registry) -> ContractCall:
    """Let an interested party object where only interested parties may."""
    return registry.registrations.standing_call(reg_id, body.party)


@prepare(router, "/applications/{reg_id}/issue/prepare", require_staff_of_application)
def prepare_issue(reg_id: Uint256, registry: Registry) -> ContractCall:
    """Issue the certificate once the notice window is over and no objection is open."""
    return registry.registrations.issue_call(reg_id)


@prepare(router, "/applications/issue-batch/prepare", require_staff)
def prepare_issue_batch(body: BatchIssuePrepare, registry: Registry) -> ContractCall:
    """Issue many certificates in one transaction (all or none)."""
    return registry.registrations.batch_issue_call(body.ids)


@prepare(router, "/applications/{reg_id}/renew/prepare", require_staff_of_application)
def prepare_renew(reg_id: Uint256, body: RenewalPrepare, registry: Registry) -> ContractCall:
    """Renew within the renewal window before expiry (续展): the certificate then runs to now plus
    the validity period, capped by the source agreement's end; without a new end the current cap
    stays. Outside the window: 409 (``contract_registry_renewal_window_not_open``)."""
    return registry.registrations.renewal_call(reg_id, body.source_agreement_end)


@prepare(router, "/applications/{reg_id}/revoke/prepare", require_staff_of_application)
def prepare_revoke(reg_id: Uint256, body: RevocationPrepare, registry: Registry) -> ContractCall:
    """Revoke an issued certificate (撤销), e.g. fraud found later. A pledged or frozen
    certificate only under a ``ruling`` (409 ``contract_registry_encumbered`` without one); the
    pledge and licences are settled and the certificate burned."""
    return registry.registrations.revocation_call(
        reg_id, body.reason_code, body.reason, ruling=body.ruling
    )


@router.get(
    "/objections/{objection_id}",
    dependencies=[SignedInOnly],
    response_model=ObjectionPublic,
    responses=ERRORS,
)
def get_objection(objection_id: Uint256, registry: Registry) -> ObjectionPublic:
    return ObjectionPublic.model_validate(registry.registrations.objection(objection_id))


@prepare(router, "/objections/{objection_id}/ruling/prepare", require_staff_of_objection)
def prepare_ruling(objection_id: Uint256, body: RulingPrepare, registry: Registry) -> ContractCall:
    """Rule on an objection: upheld rejects the application, dismissed lets it proceed."""
    registry.registrations.objection(objection_id)  # 404 for an unknown objection
    return registry.registrations.ruling_call(objection_id, body.upheld, body.reason)


@router.get("/registrars/{code}", response_model=RegistrarPublic, responses=ERRORS)
def registrar(
    code: Annotated[int, Path(ge=1, le=MAX_REGISTRAR_CODE, description="registrar code")],
    registry: Registry,
) -> RegistrarPublic:
    """A registration agency's policy and name; 404 for a code no agency was configured under."""
    policy = registry.registrations.registrar_policy(code)
    return RegistrarPublic.build(
        policy,
        code=code,
        name=registry.registrations.registrars.name(code),
        notice_period_seconds=policy.notice_period,
    )
