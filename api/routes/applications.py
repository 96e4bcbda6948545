"""Registration lifecycle over REST: signed applications and the registrar's review.

Registrants sign their application (EIP-712) and the service relays it, so they need no gas.
Review actions are sent by the service's operator account, which must be a registrar account of
the application's registrar: the contract refuses anyone else (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from eth_account.signers.local import LocalAccount
from fastapi import APIRouter, Path, Query

from api.deps import Registry
from api.routes.common import ERRORS, F, Limit, Offset, created, mirror_head
from api.schemas.registration import (
    ApplicationCreate,
    ApplicationDraft,
    ApplicationTypedData,
    BatchIssueCreate,
    ObjectionPublic,
    ReasonCreate,
    RegistrarPublic,
    RegistrationList,
    RegistrationPublic,
    RegistrationSummary,
    RenewalCreate,
    RulingCreate,
    StandingCreate,
    VersionPublic,
)
from registry.context import RegistryContext
from registry.domain.inputs import checked_address, parse_signature
from registry.domain.registration import AssetKind, Registration, Status
from registry.mirror import count_registrations, list_registrations
from registry.registration.service import MAX_REGISTRAR_CODE

router = APIRouter(tags=["registration"])


@router.post("/applications/typed-data", response_model=ApplicationTypedData, responses=ERRORS)
def application_typed_data(body: ApplicationDraft, registry: Registry) -> ApplicationTypedData:
    """The EIP-712 message the applicant signs; send it back with the signature to POST."""
    deadline = registry.client.block().timestamp + body.ttl_seconds
    typed = registry.registrations.application_typed_data(
        body.metadata, body.registrar_code, body.applicant, deadline
    )
    return ApplicationTypedData(
        typed_data=typed, metadata_hash="0x" + body.metadata.digest().hex(), deadline=deadline
    )


@created(router, "/applications", RegistrationPublic)
def submit_application(body: ApplicationCreate, registry: Registry) -> RegistrationPublic:
    """Relay a signed application; the registration starts as ``submitted``."""
    registration = registry.registrations.submit_signed(
        body.metadata,
        body.registrar_code,
        body.applicant,
        body.deadline,
        parse_signature(body.signature),
        registry.operator,
    )
    return RegistrationPublic.of(registration)


@router.get("/applications", response_model=RegistrationList, responses=ERRORS)
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


@router.get("/applications/{reg_id}", response_model=RegistrationPublic, responses=ERRORS)
def get_application(reg_id: int, registry: Registry) -> RegistrationPublic:
    """The registration as the contract holds it now."""
    return RegistrationPublic.of(registry.registrations.get(reg_id))


@router.get("/registrations/{number}", response_model=RegistrationPublic, responses=ERRORS)
def get_by_registration_number(number: str, registry: Registry) -> RegistrationPublic:
    """Look a registration up by its 16-digit registration number (check digit verified)."""
    return RegistrationPublic.of(registry.registrations.by_registration_number(number))


@router.get("/applications/{reg_id}/versions", response_model=list[VersionPublic], responses=ERRORS)
def versions(reg_id: int, registry: Registry) -> list[VersionPublic]:
    """Every version of the asset (fingerprint and metadata), oldest first."""
    return [VersionPublic.model_validate(v) for v in registry.registrations.versions(reg_id)]


# --- the registrar's review ---------------------------------------------------------------

_ReasonedStep = Callable[[int, int, str, LocalAccount], Registration]
"""A review step with a reason code and reason (return for correction, reject, revoke)."""


def _review(step: str) -> Callable[[F], F]:
    """``POST /applications/{reg_id}/{step}``, answered with the registration after it."""
    return router.post(
        f"/applications/{{reg_id}}/{step}", response_model=RegistrationPublic, responses=ERRORS
    )


def _with_reason(
    step: _ReasonedStep, reg_id: int, body: ReasonCreate, registry: RegistryContext
) -> RegistrationPublic:
    """``step`` taken by the operator with the body's reason code and reason."""
    return RegistrationPublic.of(step(reg_id, body.reason_code, body.reason, registry.operator))


@_review("accept")
def accept(reg_id: int, registry: Registry) -> RegistrationPublic:
    """Formal review passed (受理)."""
    return RegistrationPublic.of(registry.registrations.accept(reg_id, registry.operator))


@_review("return")
def return_for_correction(
    reg_id: int, body: ReasonCreate, registry: Registry
) -> RegistrationPublic:
    """Return for correction; the applicant may resubmit."""
    return _with_reason(registry.registrations.return_for_correction, reg_id, body, registry)


@_review("reject")
def reject(reg_id: int, body: ReasonCreate, registry: Registry) -> RegistrationPublic:
    """Reject with a reason code and reason (the reason's hash goes on chain)."""
    return _with_reason(registry.registrations.reject, reg_id, body, registry)


@_review("notice")
def open_notice(reg_id: int, registry: Registry) -> RegistrationPublic:
    """Open the public-notice window (公示) after substantive review."""
    return RegistrationPublic.of(registry.registrations.open_notice(reg_id, registry.operator))


@router.post("/applications/{reg_id}/standing", status_code=204, responses=ERRORS)
def grant_standing(reg_id: int, body: StandingCreate, registry: Registry) -> None:
    """Let an interested party object where only interested parties may."""
    registry.registrations.grant_standing(reg_id, body.party, registry.operator)


@_review("issue")
def issue(reg_id: int, registry: Registry) -> RegistrationPublic:
    """Issue the certificate once the notice window is over and no objection is open."""
    return RegistrationPublic.of(registry.registrations.issue(reg_id, registry.operator))


@router.post("/applications/issue-batch", response_model=list[RegistrationPublic], responses=ERRORS)
def issue_batch(body: BatchIssueCreate, registry: Registry) -> list[RegistrationPublic]:
    """Issue many certificates in one transaction (all or none)."""
    return [
        RegistrationPublic.of(r)
        for r in registry.registrations.issue_batch(body.ids, registry.operator)
    ]


@_review("renew")
def renew(reg_id: int, body: RenewalCreate, registry: Registry) -> RegistrationPublic:
    """Renew before expiry (续展), capped by the source agreement's end."""
    return RegistrationPublic.of(
        registry.registrations.renew(reg_id, body.source_agreement_end, registry.operator)
    )


@_review("revoke")
def revoke(reg_id: int, body: ReasonCreate, registry: Registry) -> RegistrationPublic:
    """Revoke an issued certificate (撤销), e.g. fraud found later."""
    return _with_reason(registry.registrations.revoke, reg_id, body, registry)


@router.get("/objections/{objection_id}", response_model=ObjectionPublic, responses=ERRORS)
def get_objection(objection_id: int, registry: Registry) -> ObjectionPublic:
    return ObjectionPublic.model_validate(registry.registrations.objection(objection_id))


@router.post("/objections/{objection_id}/ruling", response_model=ObjectionPublic, responses=ERRORS)
def rule_objection(objection_id: int, body: RulingCreate, registry: Registry) -> ObjectionPublic:
    """Rule on an objection: upheld rejects the application, dismissed lets it proceed."""
    return ObjectionPublic.model_validate(
        registry.registrations.rule_objection(
            objection_id, body.upheld, body.reason, registry.operator
        )
    )


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
