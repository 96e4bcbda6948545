"""Financier verification: one call answers whether a certificate can be lent against."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Registry
from api.schemas.common import ErrorPublic
from api.schemas.verification import DataMatchCreate, DataMatchPublic, VerificationPublic
from registry.domain.evidence import parse_fingerprint
from registry.domain.numbers import SqlInteger
from registry.errors import MalformedProofError
from registry.evidence.proof import InclusionProof, verify

router = APIRouter(prefix="/verify", tags=["verification"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorPublic} for code in (404, 422, 503)
}


@router.get("/{number}", response_model=VerificationPublic, responses=_ERRORS)
def verify_certificate(
    number: str,
    registry: Registry,
    block: Annotated[SqlInteger | None, Query(description="answer as of this block")] = None,
    loan_maturity: Annotated[
        datetime | None, Query(description="the loan's maturity: the certificate must outlast it")
    ] = None,
) -> VerificationPublic:
    """Genuine? status, holder, validity, pledges, licences, freeze, objections and a
    ``lendable`` verdict with its reasons, all read from the chain at one block."""
    answer = registry.verification.verify(number, block=block, loan_maturity=loan_maturity)
    return VerificationPublic.of(answer)


@router.post("/{number}/data", response_model=DataMatchPublic, responses=_ERRORS)
def verify_data(
    number: str,
    body: DataMatchCreate,
    registry: Registry,
    block: Annotated[SqlInteger | None, Query(description="answer as of this block")] = None,
) -> DataMatchPublic:
    """Does this dataset (its fingerprint, or an inclusion proof of one file) match the
    certificate's registered data, and which version?"""
    member = None
    if body.proof is not None:
        proof = InclusionProof.from_json(body.proof)
        checked = verify(proof)
        if not checked.ok:
            raise MalformedProofError(f"the inclusion proof does not verify: {checked.reason}")
        fingerprint = proof.fingerprint_bytes
        member = proof.to_json().get("member")
    else:
        assert body.fingerprint is not None  # the schema requires one of the two
        fingerprint = parse_fingerprint(body.fingerprint)
    match = registry.verification.match_data(number, fingerprint, block=block)
    return DataMatchPublic.build(match, member=member)
