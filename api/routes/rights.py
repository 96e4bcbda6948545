"""Rights over issued certificates over REST: pledges, licences, transfers, freezes.

- pledge *registration* is relayed: both parties sign the EIP-712 ``Pledge`` (from
  ``POST /pledges/typed-data``) and the operator sends the one transaction;
- *regulator* actions (freezes, court orders, approvals, cross-border records, party countries)
  are signed by the regulator itself: ``/regulator/…/prepare`` answers the forward request, and
  ``POST /relay`` sends it; the chain refuses an account without the role (403);
- what a holder, licensee or pledgee does (transfer, licence, cancel, release, enforce, consent)
  the party signs itself as a forward request: see :mod:`api.routes.relay`.

Lists (lien search, licence disclosure, transfer history) come from the SQL mirror and state the
block they are as of (``indexer_head``); single items are read from the chain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import AnyCaller, Registry, SignedInOnly, acting_for, require_regulator
from api.routes.common import (
    ERRORS,
    Limit,
    Offset,
    certificate_of,
    created,
    mirror_head,
    prepare,
)
from api.schemas.rights import (
    CourtOrderPrepare,
    CrossBorderRecordPrepare,
    CrossBorderRecordPublic,
    FreezePrepare,
    FreezeReleasePrepare,
    FreezeStatePublic,
    LicenceList,
    LicenceRecordPublic,
    PartyCountryPrepare,
    PartyCountryPublic,
    PledgeCreate,
    PledgeList,
    PledgeRecordPublic,
    PledgeTypedData,
    PledgeTypedDataCreate,
    TransferApprovalPrepare,
    TransferList,
    TransferRecordPublic,
)
from registry.auth.service import Caller
from registry.context import RegistryContext
from registry.domain.chain import ContractCall
from registry.domain.inputs import checked_address, parse_signature
from registry.domain.numbers import Uint256
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


def _pledge_party(
    registry: RegistryContext, caller: Caller, terms: PledgeTerms, pledgor: str | None
) -> None:
    """403 unless the caller is the lender or the pledgor (by default the holder now)."""
    if caller.address.lower() == terms.pledgee.lower():
        return
    if pledgor is None:
        number = terms.certificate_number
        token_id = terms.token_id or (registry.rights.token_id_of(number) if number else None)
        pledgor = registry.rights.holder_of(token_id) if token_id else caller.address
    acting_for(caller, pledgor, "a pledge you register")


@router.post("/pledges/typed-data", response_model=PledgeTypedData, responses=ERRORS)
def pledge_typed_data(
    body: PledgeTypedDataCreate, registry: Registry, caller: AnyCaller
) -> PledgeTypedData:
    """The EIP-712 ``Pledge`` the holder and the lender both sign, for one of them signed in.
    Send the returned ``terms`` (with their deadline) and the two signatures to
    ``POST /pledges``."""
    _pledge_party(registry, caller, body.terms, body.pledgor)
    terms = body.terms
    if terms.deadline is None:
        deadline = datetime.fromtimestamp(registry.clock.deadline(body.ttl_seconds), tz=UTC)
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
def register_pledge(
    body: PledgeCreate, registry: Registry, caller: AnyCaller
) -> PledgeRecordPublic:
    """Relay a pledge both parties signed (质押登记), sent by one of them. The contract refuses
    a second live pledge, a frozen certificate, a maturity beyond the certificate's validity,
    altered terms and replayed signatures. The operator pays, within the pledgor's and the
    global hourly quotas (429 ``relay_quota_exceeded``)."""
    _pledge_party(registry, caller, body.terms, body.pledgor)
    pledge = registry.rights.register_pledge(
        body.terms,
        parse_signature(body.pledgor_signature),
        parse_signature(body.pledgee_signature),
        registry.operator,
        pledgor=body.pledgor,
        nonce=body.nonce,
    )
    return PledgeRecordPublic.of(pledge, registry.rights.certificate_number(pledge.token_id))


@router.get(
    "/pledges/{pledge_id}",
    dependencies=[SignedInOnly],
    response_model=PledgeRecordPublic,
    responses=ERRORS,
)
def get_pledge(pledge_id: Uint256, registry: Registry) -> PledgeRecordPublic:
    """The pledge as the contract holds it now."""
    pledge = registry.rights.pledge(pledge_id)
    return PledgeRecordPublic.of(pledge, registry.rights.certificate_number(pledge.token_id))


@router.get(
    "/pledges",
    dependencies=[SignedInOnly],
    response_model=PledgeList,
    responses=ERRORS,
)
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
def get_licence(licence_id: Uint256, registry: Registry) -> LicenceRecordPublic:
    """The licence as the contract holds it now, with its voucher number and ``live`` flag."""
    licence = registry.rights.licence(licence_id)
    return LicenceRecordPublic.of(licence, registry.rights.certificate_number(licence.token_id))


@router.get(
    "/licences/{licence_id}/policy",
    responses={200: {"description": "the ODRL policy (JSON-LD) whose hash is on chain"}, **ERRORS},
)
def get_licence_policy(licence_id: Uint256, registry: Registry) -> dict[str, Any]:
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


@router.get(
    "/certificates/{number}/transfers",
    dependencies=[SignedInOnly],
    response_model=TransferList,
    responses=ERRORS,
)
def certificate_transfers(number: str, registry: Registry) -> TransferList:
    """Every movement of a certificate with its reason, in chain order (the mirror)."""
    token_id, text = certificate_of(registry, number)
    return TransferList(
        certificate_number=text,
        items=[TransferRecordPublic.of(r) for r in transfers_of_token(registry.engine, token_id)],
        indexer_head=mirror_head(registry),
    )


# --- the regulator (signed by a regulator account, relayed) -----------------------------------
# Each endpoint answers the forward request a regulator signs; ``POST /relay`` sends it. The
# chain refuses an account without the regulator role (403 with the contract's error).


@prepare(regulator_router, "/freezes/prepare", require_regulator)
def prepare_freeze(body: FreezePrepare, registry: Registry) -> ContractCall:
    """Freeze a certificate (冻结) for a case; the case reference's hash goes on chain."""
    token_id, _ = certificate_of(registry, body.certificate_number)
    return registry.rights.freeze_call(token_id, body.case_reference)


@prepare(regulator_router, "/freezes/{number}/release/prepare", require_regulator)
def prepare_unfreeze(number: str, body: FreezeReleasePrepare, registry: Registry) -> ContractCall:
    """Lift the freeze of a certificate (解冻)."""
    token_id, _ = certificate_of(registry, number)
    return registry.rights.unfreeze_call(token_id, body.case_reference)


@prepare(regulator_router, "/court-orders/prepare", require_regulator)
def prepare_court_order(body: CourtOrderPrepare, registry: Registry) -> ContractCall:
    """Execute a court-ordered transfer (司法划转): the only movement a freeze allows."""
    token_id, _ = certificate_of(registry, body.certificate_number)
    return registry.rights.court_order_call(token_id, body.to, body.case_reference)


@prepare(regulator_router, "/transfer-approvals/prepare", require_regulator)
def prepare_transfer_approval(body: TransferApprovalPrepare, registry: Registry) -> ContractCall:
    """Approve a transfer of important data to one recipient until ``expiry``."""
    token_id, _ = certificate_of(registry, body.certificate_number)
    return registry.rights.transfer_approval_call(token_id, body.to, body.expiry)


@prepare(regulator_router, "/cross-border-records/prepare", require_regulator)
def prepare_cross_border_record(body: CrossBorderRecordPrepare, registry: Registry) -> ContractCall:
    """Record the legal basis of a transfer abroad (数据出境) to one recipient."""
    token_id, _ = certificate_of(registry, body.certificate_number)
    return registry.rights.cross_border_call(
        token_id, body.recipient, body.mechanism, body.approval_number, body.expiry, body.country
    )


@prepare(regulator_router, "/party-countries/prepare", require_regulator)
def prepare_party_country(body: PartyCountryPrepare, registry: Registry) -> ContractCall:
    """Record the country of a party (``null`` or ``CN``: domestic)."""
    return registry.rights.party_country_call(body.party, body.country)


@router.get(
    "/certificates/{number}/cross-border-records/{recipient}",
    dependencies=[SignedInOnly],
    response_model=CrossBorderRecordPublic,
    responses=ERRORS,
)
def get_cross_border_record(
    number: str, recipient: str, registry: Registry
) -> CrossBorderRecordPublic:
    """The cross-border record of a certificate for one recipient, as the contract holds it."""
    token_id, text = certificate_of(registry, number)
    record = registry.rights.cross_border_record(token_id, recipient)
    return CrossBorderRecordPublic.build(record, certificate_number=text)


@router.get(
    "/parties/{address}/country",
    dependencies=[SignedInOnly],
    response_model=PartyCountryPublic,
    responses=ERRORS,
)
def get_party_country(address: str, registry: Registry) -> PartyCountryPublic:
    """The country recorded for a party (``CN`` when none is: domestic)."""
    party = checked_address(address, "party")
    return PartyCountryPublic(party=party, country=registry.rights.party_country(party))


@router.get(
    "/certificates/{number}/freeze",
    dependencies=[SignedInOnly],
    response_model=FreezeStatePublic,
    responses=ERRORS,
)
def get_freeze(number: str, registry: Registry) -> FreezeStatePublic:
    """Whether a certificate is frozen, since when, by whom, and the case reference's hash."""
    token_id, text = certificate_of(registry, number)
    return FreezeStatePublic.of(registry.rights.freeze_of(token_id), text)
