"""Rights over issued certificates over REST: pledges, licences, transfers, freezes.

- pledge *registration* is relayed: both parties sign the EIP-712 ``Pledge`` (from
  ``POST /pledges/typed-data``) and the operator sends the one transaction;
- *regulator* actions (freezes, court orders, approvals, cross-border records, party countries)
  are sent by the operator: they succeed only if the operator holds the regulator role, else the
  contract's refusal comes back as 403;
- what a holder, licensee or pledgee does (transfer, licence, cancel, release, enforce, consent)
  the party signs itself as a forward request: see :mod:`api.routes.relay`.

Lists (lien search, licence disclosure, transfer history) come from the SQL mirror and state the
block they are as of (``indexer_head``); single items are read from the chain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Registry
from api.routes.common import ERRORS, Limit, Offset, certificate_of, created, mirror_head
from api.schemas.rights import (
    CourtOrderCreate,
    CrossBorderRecordCreate,
    CrossBorderRecordPublic,
    FreezeCreate,
    FreezeRelease,
    FreezeStatePublic,
    LicenceList,
    LicenceRecordPublic,
    PartyCountryCreate,
    PartyCountryPublic,
    PledgeCreate,
    PledgeList,
    PledgeRecordPublic,
    PledgeTypedData,
    PledgeTypedDataCreate,
    TransferApprovalCreate,
    TransferApprovalPublic,
    TransferList,
    TransferRecordPublic,
)
from registry.context import RegistryContext
from registry.domain.inputs import checked_address, parse_signature
from registry.domain.rights import PledgeTerms
from registry.errors import InputError
from registry.mirror import (
    count_licences,
    licences_of_token,
    pledges_of_holder,
    pledges_of_token,
    public_licences,
    transfers_of_token,
)

router = APIRouter(tags=["rights"])
regulator_router = APIRouter(prefix="/regulator", tags=["regulator"])

_NUMBER = "17-digit certificate number (spaces and hyphens ignored; the check digit is verified)"


def _as_of(registry: RegistryContext, head: int | None) -> datetime:
    """The time the mirror's answer is judged at (licence liveness): the indexed head block's
    timestamp, so ``live`` agrees with the chain as of ``indexer_head``."""
    block = registry.client.block(head) if head is not None else registry.client.block()
    return datetime.fromtimestamp(block.timestamp, tz=UTC)


# --- pledges ------------------------------------------------------------------------------


@router.post("/pledges/typed-data", response_model=PledgeTypedData, responses=ERRORS)
def pledge_typed_data(body: PledgeTypedDataCreate, registry: Registry) -> PledgeTypedData:
    """The EIP-712 ``Pledge`` the holder and the lender both sign. Send the returned ``terms``
    (with their deadline) and the two signatures to ``POST /pledges``."""
    terms = body.terms
    if terms.deadline is None:
        deadline = datetime.fromtimestamp(
            registry.client.block().timestamp + body.ttl_seconds, tz=UTC
        )
        terms = PledgeTerms.model_validate({**terms.model_dump(), "deadline": deadline})
    typed = registry.rights.pledge_typed_data(terms, pledgor=body.pledgor)
    message = typed["message"]
    return PledgeTypedData(
        typed_data=typed,
        terms=terms,
        pledgor=str(message["pledgor"]),
        nonce=int(message["nonce"]),
    )


@created(router, "/pledges", PledgeRecordPublic)
def register_pledge(body: PledgeCreate, registry: Registry) -> PledgeRecordPublic:
    """Relay a pledge both parties signed (质押登记). The contract refuses a second live pledge,
    a frozen certificate, a maturity beyond the certificate's validity, altered terms and
    replayed signatures."""
    pledge = registry.rights.register_pledge(
        body.terms,
        parse_signature(body.pledgor_signature),
        parse_signature(body.pledgee_signature),
        registry.operator,
        pledgor=body.pledgor,
        nonce=body.nonce,
    )
    return PledgeRecordPublic.of(pledge, registry.rights.certificate_number(pledge.token_id))


@router.get("/pledges/{pledge_id}", response_model=PledgeRecordPublic, responses=ERRORS)
def get_pledge(pledge_id: int, registry: Registry) -> PledgeRecordPublic:
    """The pledge as the contract holds it now."""
    pledge = registry.rights.pledge(pledge_id)
    return PledgeRecordPublic.of(pledge, registry.rights.certificate_number(pledge.token_id))


@router.get("/pledges", response_model=PledgeList, responses=ERRORS)
def lien_search(
    registry: Registry,
    holder: Annotated[str | None, Query(description="the pledgor (holder) address")] = None,
    certificate: Annotated[str | None, Query(description=_NUMBER)] = None,
    live: Annotated[bool, Query(description="only live pledges")] = False,
) -> PledgeList:
    """Lien search (查询质押) by holder and/or certificate, from the mirror, in filing order."""
    if holder is None and certificate is None:
        raise InputError("search liens by holder, by certificate, or both")
    engine = registry.engine
    if certificate is not None:
        token_id, _ = certificate_of(registry, certificate)
        rows = pledges_of_token(engine, token_id, live_only=live)
        if holder is not None:
            who = checked_address(holder, "holder")
            rows = [r for r in rows if r.pledgor == who]
    else:
        assert holder is not None
        rows = pledges_of_holder(engine, checked_address(holder, "holder"), live_only=live)
    return PledgeList(
        items=[PledgeRecordPublic.of_row(r) for r in rows], indexer_head=mirror_head(registry)
    )


# --- licences -----------------------------------------------------------------------------


@router.get("/licences", response_model=LicenceList, responses=ERRORS)
def list_licences(
    registry: Registry,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LicenceList:
    """Every licence, newest first: the public disclosure of authorised operation (授权运营
    公示), from the mirror."""
    head = mirror_head(registry)
    rows = public_licences(registry.engine, limit=limit, offset=offset, now=_as_of(registry, head))
    return LicenceList(
        items=[LicenceRecordPublic.of_row(r) for r in rows],
        total=count_licences(registry.engine),
        limit=limit,
        offset=offset,
        indexer_head=head,
    )


@router.get("/licences/{licence_id}", response_model=LicenceRecordPublic, responses=ERRORS)
def get_licence(licence_id: int, registry: Registry) -> LicenceRecordPublic:
    """The licence as the contract holds it now, with its voucher number and ``live`` flag."""
    licence = registry.rights.licence(licence_id)
    return LicenceRecordPublic.of(licence, registry.rights.certificate_number(licence.token_id))


@router.get(
    "/licences/{licence_id}/policy",
    responses={200: {"description": "the ODRL policy (JSON-LD) whose hash is on chain"}, **ERRORS},
)
def get_licence_policy(licence_id: int, registry: Registry) -> dict[str, Any]:
    """The machine-readable terms (ODRL policy) whose SHA-256 the licence records."""
    return registry.rights.policy_document(registry.rights.licence(licence_id))


@router.get("/certificates/{number}/licences", response_model=LicenceList, responses=ERRORS)
def certificate_licences(
    number: str,
    registry: Registry,
    live: Annotated[bool, Query(description="only live licences")] = False,
) -> LicenceList:
    """The licences and sublicences of a certificate in the order granted (the mirror)."""
    token_id, _ = certificate_of(registry, number)
    head = mirror_head(registry)
    rows = licences_of_token(registry.engine, token_id, live_only=live, now=_as_of(registry, head))
    return LicenceList(items=[LicenceRecordPublic.of_row(r) for r in rows], indexer_head=head)


@router.get("/certificates/{number}/transfers", response_model=TransferList, responses=ERRORS)
def certificate_transfers(number: str, registry: Registry) -> TransferList:
    """Every movement of a certificate with its reason, in chain order (the mirror)."""
    token_id, text = certificate_of(registry, number)
    return TransferList(
        certificate_number=text,
        items=[TransferRecordPublic.of(r) for r in transfers_of_token(registry.engine, token_id)],
        indexer_head=mirror_head(registry),
    )


# --- the regulator (the operator must hold the regulator role) ---------------------------------


@created(regulator_router, "/freezes", FreezeStatePublic)
def freeze(body: FreezeCreate, registry: Registry) -> FreezeStatePublic:
    """Freeze a certificate (冻结) for a case; the case reference's hash goes on chain."""
    token_id, text = certificate_of(registry, body.certificate_number)
    return FreezeStatePublic.of(
        registry.rights.freeze(token_id, body.case_reference, registry.operator), text
    )


@regulator_router.post(
    "/freezes/{number}/release", response_model=FreezeStatePublic, responses=ERRORS
)
def unfreeze(number: str, body: FreezeRelease, registry: Registry) -> FreezeStatePublic:
    """Lift the freeze of a certificate (解冻)."""
    token_id, text = certificate_of(registry, number)
    return FreezeStatePublic.of(
        registry.rights.unfreeze(token_id, body.case_reference, registry.operator), text
    )


@created(regulator_router, "/court-orders", TransferRecordPublic)
def court_order(body: CourtOrderCreate, registry: Registry) -> TransferRecordPublic:
    """Execute a court-ordered transfer (司法划转): the only movement a freeze allows."""
    token_id, _ = certificate_of(registry, body.certificate_number)
    moved = registry.rights.court_order_transfer(
        token_id, body.to, body.case_reference, registry.operator
    )
    return TransferRecordPublic.of(moved)


@created(regulator_router, "/transfer-approvals", TransferApprovalPublic)
def transfer_approval(body: TransferApprovalCreate, registry: Registry) -> TransferApprovalPublic:
    """Approve a transfer of important data to one recipient until ``expiry``."""
    token_id, text = certificate_of(registry, body.certificate_number)
    to = checked_address(body.to, "to")
    expiry = registry.rights.approve_transfer(token_id, to, body.expiry, registry.operator)
    return TransferApprovalPublic(certificate_number=text, to=to, expiry=expiry)


@created(regulator_router, "/cross-border-records", CrossBorderRecordPublic)
def cross_border_record(
    body: CrossBorderRecordCreate, registry: Registry
) -> CrossBorderRecordPublic:
    """Record the legal basis of a transfer abroad (数据出境) to one recipient."""
    token_id, text = certificate_of(registry, body.certificate_number)
    record = registry.rights.record_cross_border(
        token_id,
        body.recipient,
        body.mechanism,
        body.approval_number,
        body.expiry,
        body.country,
        registry.operator,
    )
    return CrossBorderRecordPublic.build(record, certificate_number=text)


@regulator_router.post("/party-countries", response_model=PartyCountryPublic, responses=ERRORS)
def party_country(body: PartyCountryCreate, registry: Registry) -> PartyCountryPublic:
    """Record the country of a party (``null`` or ``CN``: domestic)."""
    party = checked_address(body.party, "party")
    registry.rights.set_party_country(party, body.country, registry.operator)
    return PartyCountryPublic(party=party, country=registry.rights.party_country(party))
