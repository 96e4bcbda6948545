"""LicenceRegistry against a real anvil: licences, voucher numbers, exclusivity, sublicence chains.

Registrations certify different rights (built with ``metadata(..., rights=[...])`` through the
registration service); every refusal is checked by its custom error name and arguments.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.domain.deployment import DeploymentManifest
from registry.domain.numbers import check_digit
from registry.errors import ContractRevertError
from registry.settings import Settings
from tests.conftest import admin as governor
from tests.contracts.agent_helpers import (
    AGENT,
    AUTHORITY,
    DAY,
    HOLDING,
    LICENCES,
    PROCESSING_USE,
    PRODUCT_OPERATION,
    REGISTRY,
    ZERO32,
    ZERO_ADDRESS,
    CertificateSpec,
    CertStatus,
    LicenceInput,
    LicenceStatus,
    Rights,
    event,
    fund,
    h,
    hex32,
    issue_certificates,
    open_context,
    same,
    travel,
)
from tests.registry.registration.conftest import REGISTRAR_CODE, metadata, registrar

HOLDER, LICENSEE, SUB, SUB2, REGULATOR, OTHER = (dev_account(i) for i in range(1, 7))
CASE = h("case")
REASON = h("breach of licence terms")
MAX_DEPTH = 8


@pytest.fixture
def ctx(
    chain: ChainClient, deployment: DeploymentManifest, test_settings: Settings
) -> RegistryContext:
    return open_context(chain, deployment, test_settings)


@pytest.fixture
def rights(ctx: RegistryContext, chain: ChainClient, deployment: DeploymentManifest) -> Rights:
    r = Rights(chain, deployment, governor())
    r.grant_regulator(REGULATOR)
    return r


@pytest.fixture
def tokens(ctx: RegistryContext, chain: ChainClient) -> dict[str, int]:
    """Certificates of HOLDER certifying different rights."""
    names = {
        "processing": (HOLDING, PROCESSING_USE),
        "operation": (HOLDING, PRODUCT_OPERATION),
        "both": (HOLDING, PROCESSING_USE, PRODUCT_OPERATION),
        "holding": (HOLDING,),
    }
    specs = [CertificateSpec(HOLDER, r) for r in names.values()]
    return dict(zip(names, issue_certificates(ctx, chain, specs, fp_base=0x40), strict=True))


@pytest.fixture
def token(ctx: RegistryContext, chain: ChainClient) -> int:
    """One certificate of HOLDER certifying both licensable rights."""
    spec = CertificateSpec(HOLDER, (HOLDING, PROCESSING_USE, PRODUCT_OPERATION))
    return issue_certificates(ctx, chain, [spec], fp_base=0x30)[0]


def expect(error: ContractRevertError, name: str, **args: Any) -> None:
    assert error.error_name == name, f"expected {name}, got {error.error_name}{error.args_by_name}"
    for key, value in args.items():
        got = error.args_by_name[key]
        if isinstance(value, str) and isinstance(got, str):
            assert got.lower() == value.lower(), f"{name}.{key}: {got} != {value}"
        else:
            assert got == value, f"{name}.{key}: {got} != {value}"


def grant(rights: Rights, token: int, licence: LicenceInput, holder: LocalAccount = HOLDER) -> int:
    return rights.grant_licence(token, licence, holder)[0]


def grant_refused(
    rights: Rights, token: int, licence: LicenceInput, holder: LocalAccount = HOLDER
) -> ContractRevertError:
    return rights.refused(LICENCES, "grantLicence", [token, licence.as_tuple()], holder)


def sub(rights: Rights, parent: int, licence: LicenceInput, licensee: LocalAccount) -> int:
    return rights.grant_sublicence(parent, licence, licensee)[0]


def sub_refused(
    rights: Rights, parent: int, licence: LicenceInput, licensee: LocalAccount
) -> ContractRevertError:
    return rights.refused(LICENCES, "grantSublicence", [parent, licence.as_tuple()], licensee)


def expected_voucher(granted_at: int, right: int, exclusive: bool, licence_id: int) -> str:
    """docs: year of grant in UTC+8 (4), right (1), exclusive (1), id (9), ISO 7064 check (1)."""
    year = (datetime.fromtimestamp(granted_at, tz=UTC) + timedelta(hours=8)).year
    body = f"{year:04d}{right}{int(exclusive)}{licence_id:09d}"
    return body + str(check_digit(body))


# --- granting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("certificate", "right"),
    [("processing", PROCESSING_USE), ("operation", PRODUCT_OPERATION), ("both", PRODUCT_OPERATION)],
)
def test_the_holder_grants_a_certified_right(
    rights: Rights, chain: ChainClient, tokens: dict[str, int], certificate: str, right: int
) -> None:
    token = tokens[certificate]
    licence = rights.licence_input(
        LICENSEE.address,
        right=right,
        sublicensable=True,
        purposes=0b1010,
        territories=0b0110,
        fee_terms_hash=h("fee: 2% of revenue"),
    )
    licence_id, receipt = rights.grant_licence(token, licence, HOLDER)
    granted_at = chain.block(receipt.block_number).timestamp
    stored = rights.licence(licence_id)
    assert stored == {
        "tokenId": token,
        "parentId": 0,
        "licensor": HOLDER.address,
        "grantedAt": granted_at,
        "start": licence.start,
        "licensee": LICENSEE.address,
        "end": licence.end,
        "right": right,
        "exclusive": False,
        "sublicensable": True,
        "status": LicenceStatus.ACTIVE,
        "purposes": 0b1010,
        "territories": 0b0110,
        "termsHash": licence.terms_hash,
        "feeTermsHash": h("fee: 2% of revenue"),
    }
    granted = event(receipt, "LicenceGranted").args
    assert granted["licenceId"] == licence_id
    assert granted["tokenId"] == token
    assert same(granted["licensee"], LICENSEE.address)
    assert same(granted["relayer"], HOLDER.address)
    assert granted["licence"][0] == token  # the full record rides in the event
    assert rights.is_live(licence_id)
    assert rights.call(LICENCES, "licencesOf", [token]) == [licence_id]


def test_voucher_numbers_round_trip(rights: Rights, chain: ChainClient, token: int) -> None:
    vouchers = []
    for right, exclusive, start_day in (
        (PROCESSING_USE, False, 0),
        (PRODUCT_OPERATION, True, 0),
        (PROCESSING_USE, True, 400),
    ):
        start = rights.now() + start_day * DAY
        licence = rights.licence_input(LICENSEE.address, right=right, exclusive=exclusive)
        licence = licence.replace(start=start, end=start + 300 * DAY)
        licence_id, receipt = rights.grant_licence(token, licence, HOLDER)
        granted_at = chain.block(receipt.block_number).timestamp
        number = rights.call(LICENCES, "voucherNumber", [licence_id])
        assert event(receipt, "LicenceGranted").args["voucherNumber"] == number
        text = str(number)
        assert text == expected_voucher(granted_at, right, exclusive, licence_id)
        assert len(text) == 16
        assert int(text[4]) == right
        assert int(text[5]) == int(exclusive)
        assert int(text[6:15]) == licence_id
        # a mistyped digit breaks the check digit
        typo = text[:10] + str((int(text[10]) + 1) % 10) + text[11:]
        assert check_digit(typo[:-1]) != int(typo[-1])
        vouchers.append(text)
    assert len(set(vouchers)) == 3
    expect(rights.refused(LICENCES, "voucherNumber", [99], HOLDER), "LicenceUnknown")
    with pytest.raises(ContractRevertError) as unknown:
        rights.call(LICENCES, "voucherNumber", [99])
    expect(unknown.value, "LicenceUnknown", licenceId=99)


def test_only_the_holder_grants(rights: Rights, token: int) -> None:
    licence = rights.licence_input(LICENSEE.address)
    for outsider in (LICENSEE, OTHER, REGULATOR, rights.admin):
        expect(
            grant_refused(rights, token, licence, outsider),
            "LicenceNotHolder",
            tokenId=token,
            account=outsider.address,
        )


def test_a_right_the_registration_does_not_certify_is_refused(
    rights: Rights, tokens: dict[str, int]
) -> None:
    for certificate, right in (
        ("processing", PRODUCT_OPERATION),
        ("operation", PROCESSING_USE),
        ("holding", PROCESSING_USE),
        ("holding", PRODUCT_OPERATION),
    ):
        token = tokens[certificate]
        licence = rights.licence_input(LICENSEE.address, right=right)
        expect(
            grant_refused(rights, token, licence),
            "LicenceRightNotCertified",
            tokenId=token,
            right=right,
        )


@pytest.mark.parametrize("right", [0, HOLDING, 3, 6, 8, 255])
def test_only_processing_use_and_product_operation_are_licensable(
    rights: Rights, token: int, right: int
) -> None:
    licence = rights.licence_input(LICENSEE.address, right=right)
    expect(grant_refused(rights, token, licence), "LicenceInvalidRight", right=right)


def test_invalid_terms_are_refused(rights: Rights, token: int) -> None:
    now = rights.now()
    base = rights.licence_input(LICENSEE.address)
    for start, end in ((now + 10 * DAY, now + 10 * DAY), (now + 10 * DAY, now + DAY), (0, now - 1)):
        expect(
            grant_refused(rights, token, base.replace(start=start, end=end)),
            "LicenceInvalidTerm",
            start=start,
            end=end,
        )
    valid_until = rights.valid_until(token)
    expect(
        grant_refused(rights, token, base.replace(end=valid_until + 1)),
        "LicenceOutlastsCertificate",
        end=valid_until + 1,
        validUntil=valid_until,
    )
    grant(rights, token, base.replace(end=valid_until))  # up to the validity end is fine
    for scope in ({"purposes": 0}, {"territories": 0}):
        expect(grant_refused(rights, token, base.replace(**scope)), "LicenceInvalidScope")
    expect(grant_refused(rights, token, base.replace(terms_hash=ZERO32)), "LicenceZeroTerms")
    grant(rights, token, base.replace(fee_terms_hash=ZERO32))  # free of charge is allowed
    for licensee in (HOLDER.address, ZERO_ADDRESS):
        expect(
            grant_refused(rights, token, base.replace(licensee=licensee)),
            "LicenceInvalidLicensee",
            licensee=licensee,
        )


def test_a_frozen_certificate_cannot_be_licensed(rights: Rights, token: int) -> None:
    rights.tx(AGENT, "freeze", [token, CASE], REGULATOR)
    licence = rights.licence_input(LICENSEE.address)
    expect(grant_refused(rights, token, licence), "AgentFrozen", tokenId=token)
    expect(grant_refused(rights, token, licence.replace(exclusive=True)), "AgentFrozen")
    rights.tx(AGENT, "unfreeze", [token, CASE], REGULATOR)
    grant(rights, token, licence)


def test_a_certificate_that_is_not_issued_cannot_be_licensed(
    rights: Rights, ctx: RegistryContext, chain: ChainClient, tokens: dict[str, int]
) -> None:
    submitted = ctx.registrations.sign_and_submit(
        metadata(HOLDER.address, 0x51), REGISTRAR_CODE, HOLDER, ctx.operator
    ).id
    licence = rights.licence_input(LICENSEE.address)
    expect(
        grant_refused(rights, submitted, licence),
        "LicenceCertificateNotIssued",
        tokenId=submitted,
        status=CertStatus.SUBMITTED,
    )
    ctx.registrations.cancel(tokens["processing"], "retired", HOLDER)
    expect(
        grant_refused(rights, tokens["processing"], licence),
        "LicenceCertificateNotIssued",
        status=CertStatus.CANCELLED,
    )
    ctx.registrations.revoke(tokens["both"], 3, "fraud", registrar())
    expect(
        grant_refused(rights, tokens["both"], licence),
        "LicenceCertificateNotIssued",
        status=CertStatus.REVOKED,
    )


def test_after_a_transfer_the_new_holder_grants(rights: Rights, token: int) -> None:
    rights.set_country(OTHER.address, "CN", REGULATOR)  # v2: a recipient needs a country
    rights.tx(AGENT, "transfer", [token, OTHER.address, 1, h("sale")], HOLDER)
    licence = rights.licence_input(LICENSEE.address)
    expect(grant_refused(rights, token, licence), "LicenceNotHolder", account=HOLDER.address)
    licence_id = grant(rights, token, licence, OTHER)
    assert same(rights.licence(licence_id)["licensor"], OTHER.address)


# --- exclusivity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_exclusive", "second_exclusive"), [(False, True), (True, False), (True, True)]
)
def test_an_exclusive_licence_conflicts_with_an_overlapping_one_of_the_same_right(
    rights: Rights, token: int, first_exclusive: bool, second_exclusive: bool
) -> None:
    now = rights.now()
    begin, end_ = now + 10 * DAY, now + 100 * DAY
    first = grant(
        rights, token, LicenceInput(LICENSEE.address, begin, end_, exclusive=first_exclusive)
    )
    # touching either end (terms include both ends), inside, around
    for start, end in (
        (end_, end_ + 100 * DAY),
        (now, begin),
        (begin + DAY, begin + 2 * DAY),
        (now, end_ + 100 * DAY),
    ):
        second = LicenceInput(SUB.address, start, end, exclusive=second_exclusive)
        expect(
            grant_refused(rights, token, second),
            "LicenceExclusiveConflict",
            tokenId=token,
            right=PROCESSING_USE,
            busyFrom=begin,
            busyUntil=end_,
        )
    assert first


def test_non_exclusive_licences_coexist(rights: Rights, token: int) -> None:
    first = grant(rights, token, rights.licence_input(LICENSEE.address))
    second = grant(rights, token, rights.licence_input(SUB.address))
    third = grant(rights, token, rights.licence_input(LICENSEE.address, purposes=0b100))
    assert rights.call(LICENCES, "licencesOf", [token]) == [first, second, third]


def test_no_conflict_with_another_right_a_later_term_or_an_ended_licence(
    rights: Rights, chain: ChainClient, token: int
) -> None:
    now = rights.now()
    exclusive = LicenceInput(LICENSEE.address, now, now + 100 * DAY, exclusive=True)
    first = grant(rights, token, exclusive)
    # another right
    other_right = grant(
        rights, token, exclusive.replace(licensee=SUB.address, right=PRODUCT_OPERATION)
    )
    # a term that starts one second after the first ends
    later = grant(
        rights,
        token,
        exclusive.replace(licensee=SUB.address, start=now + 100 * DAY + 1, end=now + 150 * DAY),
    )
    # a terminated licence no longer conflicts once no other exclusive licence of its level and
    # right is active (v2: the constant-gas check is conservative while another one stays active)
    overlapping = exclusive.replace(licensee=SUB2.address, start=now + 50 * DAY, end=now + 99 * DAY)
    expect(grant_refused(rights, token, overlapping), "LicenceExclusiveConflict")
    rights.tx(LICENCES, "terminate", [first, REASON], HOLDER)
    expect(
        grant_refused(rights, token, overlapping),
        "LicenceExclusiveConflict",
        busyFrom=now,
        busyUntil=now + 150 * DAY,
    )
    rights.tx(LICENCES, "terminate", [later, REASON], HOLDER)
    grant(rights, token, overlapping)
    # an expired licence no longer conflicts: the product-operation one ended at day 100
    travel(chain, 101 * DAY)
    assert not rights.is_live(other_right)
    overlapping_its_term = exclusive.replace(
        licensee=OTHER.address, right=PRODUCT_OPERATION, start=now + 50 * DAY, end=now + 130 * DAY
    )
    grant(rights, token, overlapping_its_term)


# --- sublicences --------------------------------------------------------------------------------


def test_a_sublicence_stays_inside_its_parent(
    rights: Rights, chain: ChainClient, token: int
) -> None:
    now = rights.now()
    parent_input = LicenceInput(
        LICENSEE.address,
        now,
        now + 200 * DAY,
        sublicensable=True,
        purposes=0b0110,
        territories=0b0011,
    )
    parent = grant(rights, token, parent_input)
    inside = parent_input.replace(
        licensee=SUB.address, start=now + DAY, end=now + 100 * DAY, purposes=0b0100, territories=1
    )
    child, receipt = rights.grant_sublicence(parent, inside, LICENSEE)
    stored = rights.licence(child)
    assert stored["parentId"] == parent
    assert stored["tokenId"] == token
    assert same(stored["licensor"], LICENSEE.address)
    assert same(event(receipt, "LicenceGranted").args["relayer"], LICENSEE.address)
    assert not rights.is_live(child)  # it starts tomorrow
    travel(chain, 2 * DAY)
    assert rights.is_live(child)

    for change, field in (
        ({"right": PRODUCT_OPERATION}, "right"),
        ({"purposes": 0b1000}, "purposes"),
        ({"purposes": 0b0111}, "purposes"),
        ({"territories": 0b0100}, "territories"),
        ({"start": now - 1}, "term"),
        ({"end": now + 200 * DAY + 1}, "term"),
        ({"exclusive": True}, "exclusive"),
    ):
        expect(
            sub_refused(rights, parent, inside.replace(**change), LICENSEE),
            "LicenceExceedsParent",
            parentId=parent,
            field=field,
        )
    # the same checks as a direct licence
    expect(
        sub_refused(rights, parent, inside.replace(terms_hash=ZERO32), LICENSEE), "LicenceZeroTerms"
    )
    expect(
        sub_refused(rights, parent, inside.replace(licensee=LICENSEE.address), LICENSEE),
        "LicenceInvalidLicensee",
    )
    expect(sub_refused(rights, parent, inside.replace(purposes=0), LICENSEE), "LicenceInvalidScope")
    # the exact scope and term of the parent is allowed
    sub(rights, parent, parent_input.replace(licensee=SUB2.address, start=now), LICENSEE)


def test_only_the_licensee_of_a_sublicensable_live_parent_sublicenses(
    rights: Rights, chain: ChainClient, token: int
) -> None:
    now = rights.now()
    closed = grant(rights, token, LicenceInput(LICENSEE.address, now, now + 100 * DAY))
    open_ = grant(
        rights, token, LicenceInput(LICENSEE.address, now, now + 100 * DAY, sublicensable=True)
    )
    child = LicenceInput(SUB.address, now, now + 50 * DAY)
    for outsider in (HOLDER, SUB, OTHER):
        expect(
            sub_refused(rights, open_, child, outsider),
            "LicenceNotLicensee",
            licenceId=open_,
            account=outsider.address,
        )
    expect(sub_refused(rights, closed, child, LICENSEE), "LicenceNotSublicensable", parentId=closed)
    expect(sub_refused(rights, 999, child, LICENSEE), "LicenceUnknown", licenceId=999)
    # a parent that has not started yet is not live
    future = grant(
        rights,
        token,
        LicenceInput(LICENSEE.address, now + 10 * DAY, now + 100 * DAY, sublicensable=True),
    )
    expect(
        sub_refused(rights, future, child.replace(start=now + 10 * DAY), LICENSEE),
        "LicenceParentNotActive",
        parentId=future,
    )
    # a terminated parent
    rights.tx(LICENCES, "terminate", [open_, REASON], HOLDER)
    expect(sub_refused(rights, open_, child, LICENSEE), "LicenceParentNotActive", parentId=open_)
    # an expired parent
    short = grant(
        rights, token, LicenceInput(LICENSEE.address, now, now + 20 * DAY, sublicensable=True)
    )
    sub(rights, short, child.replace(end=now + 20 * DAY), LICENSEE)
    travel(chain, 21 * DAY)
    later = rights.now()
    expect(
        sub_refused(rights, short, child.replace(start=later, end=later + DAY), LICENSEE),
        "LicenceParentNotActive",
    )


def test_sublicence_chains_are_at_most_max_depth_long(rights: Rights, token: int) -> None:
    assert rights.call(LICENCES, "MAX_DEPTH") == MAX_DEPTH
    now = rights.now()
    base = LicenceInput(LICENSEE.address, now, now + 300 * DAY, sublicensable=True)
    chain_ids = [grant(rights, token, base)]
    holders = [LICENSEE, SUB]  # alternate: a licensee never licenses itself
    for depth in range(2, MAX_DEPTH + 1):
        licensor = holders[depth % 2]
        licensee = holders[(depth + 1) % 2]
        chain_ids.append(
            sub(rights, chain_ids[-1], base.replace(licensee=licensee.address), licensor)
        )
    assert len(chain_ids) == MAX_DEPTH
    assert all(rights.is_live(i) for i in chain_ids)
    last_licensee = holders[(MAX_DEPTH + 1) % 2]
    next_licensee = holders[MAX_DEPTH % 2]
    expect(
        sub_refused(
            rights, chain_ids[-1], base.replace(licensee=next_licensee.address), last_licensee
        ),
        "LicenceChainTooDeep",
        parentId=chain_ids[-1],
    )
    # one below the limit still has room for a sibling
    sub(rights, chain_ids[-2], base.replace(licensee=OTHER.address), holders[MAX_DEPTH % 2])


def test_exclusive_sublicences_conflict_with_overlapping_siblings(
    rights: Rights, token: int
) -> None:
    now = rights.now()
    parent = grant(
        rights,
        token,
        LicenceInput(LICENSEE.address, now, now + 300 * DAY, exclusive=True, sublicensable=True),
    )
    exclusive_child = LicenceInput(SUB.address, now, now + 100 * DAY, exclusive=True)
    first = sub(rights, parent, exclusive_child, LICENSEE)
    for licence in (
        exclusive_child.replace(licensee=SUB2.address),
        exclusive_child.replace(licensee=SUB2.address, exclusive=False, start=now + 50 * DAY),
    ):
        expect(
            sub_refused(rights, parent, licence, LICENSEE),
            "LicenceExclusiveConflict",
            tokenId=token,
            right=PROCESSING_USE,
            busyFrom=now,
            busyUntil=now + 100 * DAY,
        )
    assert first
    # a later term under the same parent is fine, and so is a sublicence one level down
    sub(
        rights,
        parent,
        exclusive_child.replace(
            licensee=SUB2.address, start=now + 100 * DAY + 1, end=now + 200 * DAY
        ),
        LICENSEE,
    )
    # siblings of one parent do not conflict with the holder's direct licences (other levels)
    other_parent = grant(
        rights,
        token,
        LicenceInput(
            OTHER.address, now, now + 300 * DAY, right=PRODUCT_OPERATION, sublicensable=True
        ),
    )
    sub(
        rights,
        other_parent,
        LicenceInput(SUB.address, now, now + 50 * DAY, right=PRODUCT_OPERATION),
        OTHER,
    )


# --- termination and liveness -------------------------------------------------------------------


def test_terminate_by_licensor_or_licensee_only(rights: Rights, token: int) -> None:
    now = rights.now()
    by_licensor = grant(rights, token, LicenceInput(LICENSEE.address, now, now + 50 * DAY))
    by_licensee = grant(rights, token, LicenceInput(SUB.address, now, now + 50 * DAY))
    for outsider in (OTHER, REGULATOR, rights.admin):
        expect(
            rights.refused(LICENCES, "terminate", [by_licensor, REASON], outsider),
            "LicenceNotParty",
            licenceId=by_licensor,
            account=outsider.address,
        )
    receipt = rights.tx(LICENCES, "terminate", [by_licensor, REASON], HOLDER)
    terminated = event(receipt, "LicenceTerminated").args
    assert terminated["licenceId"] == by_licensor
    assert same(terminated["by"], HOLDER.address)
    assert terminated["reasonHash"] == hex32(REASON)
    rights.tx(LICENCES, "terminate", [by_licensee, REASON], SUB)
    for licence_id in (by_licensor, by_licensee):
        assert rights.licence(licence_id)["status"] == LicenceStatus.TERMINATED
        assert not rights.is_live(licence_id)
        expect(
            rights.refused(LICENCES, "terminate", [licence_id, REASON], HOLDER),
            "LicenceNotActive",
            licenceId=licence_id,
        )
    expect(rights.refused(LICENCES, "terminate", [77, REASON], HOLDER), "LicenceUnknown")
    with pytest.raises(ContractRevertError) as unknown:
        rights.call(LICENCES, "licence", [77])
    expect(unknown.value, "LicenceUnknown", licenceId=77)
    assert rights.is_live(77) is False


def chain_of_three(rights: Rights, token: int) -> list[int]:
    now = rights.now()
    base = LicenceInput(LICENSEE.address, now, now + 300 * DAY, sublicensable=True)
    root = grant(rights, token, base)
    middle = sub(rights, root, base.replace(licensee=SUB.address), LICENSEE)
    leaf = sub(rights, middle, base.replace(licensee=SUB2.address), SUB)
    assert all(rights.is_live(i) for i in (root, middle, leaf))
    return [root, middle, leaf]


def test_terminating_an_ancestor_ends_the_chain_below_it(rights: Rights, token: int) -> None:
    root, middle, leaf = chain_of_three(rights, token)
    rights.tx(LICENCES, "terminate", [root, REASON], LICENSEE)
    assert [rights.is_live(i) for i in (root, middle, leaf)] == [False, False, False]
    # their own records stay active: liveness is derived from the chain
    assert rights.licence(leaf)["status"] == LicenceStatus.ACTIVE
    expect(
        sub_refused(rights, leaf, rights.licence_input(OTHER.address), SUB2),
        "LicenceParentNotActive",
    )
    root2, middle2, leaf2 = chain_of_three(rights, token)
    rights.tx(LICENCES, "terminate", [middle2, REASON], SUB)
    assert [rights.is_live(i) for i in (root2, middle2, leaf2)] == [True, False, False]


def test_licences_end_with_their_term(rights: Rights, chain: ChainClient, token: int) -> None:
    now = rights.now()
    root = grant(
        rights, token, LicenceInput(LICENSEE.address, now, now + 30 * DAY, sublicensable=True)
    )
    child = sub(rights, root, LicenceInput(SUB.address, now, now + 10 * DAY), LICENSEE)
    long_child = sub(rights, root, LicenceInput(SUB2.address, now, now + 30 * DAY), LICENSEE)
    travel(chain, 11 * DAY)
    assert rights.is_live(root)
    assert rights.is_live(long_child)
    assert not rights.is_live(child)
    travel(chain, 20 * DAY)
    assert not rights.is_live(root)
    assert not rights.is_live(long_child)


@pytest.mark.parametrize("ending", ["revoked", "cancelled", "expired"])
def test_licences_end_with_the_certificate(
    rights: Rights, ctx: RegistryContext, chain: ChainClient, token: int, ending: str
) -> None:
    ids = chain_of_three(rights, token)
    valid_until = rights.valid_until(token)
    full_term = grant(rights, token, rights.licence_input(OTHER.address).replace(end=valid_until))
    if ending == "revoked":
        ctx.registrations.revoke(token, 3, "fraud", registrar())
    elif ending == "cancelled":
        ctx.registrations.cancel(token, "retired", HOLDER)
    else:
        travel(chain, valid_until - rights.now() + 1)
        assert rights.state(token)[1] == CertStatus.EXPIRED
    assert [rights.is_live(i) for i in [*ids, full_term]] == [False] * 4


def test_licences_of_lists_every_licence_and_sublicence(
    rights: Rights, tokens: dict[str, int]
) -> None:
    token = tokens["both"]
    assert rights.call(LICENCES, "licencesOf", [token]) == []
    ids = chain_of_three(rights, token)
    other_right = grant(rights, token, rights.licence_input(OTHER.address, right=PRODUCT_OPERATION))
    elsewhere = grant(rights, tokens["processing"], rights.licence_input(OTHER.address))
    assert rights.call(LICENCES, "licencesOf", [token]) == [*ids, other_right]
    assert rights.call(LICENCES, "licencesOf", [tokens["processing"]]) == [elsewhere]
    rights.tx(LICENCES, "terminate", [ids[0], REASON], HOLDER)
    assert rights.call(LICENCES, "licencesOf", [token]) == [*ids, other_right]  # history kept
    # the registry contract is unaware of licences: they never move the certificate
    assert same(rights.call(REGISTRY, "ownerOf", [token]), HOLDER.address)


# --- v2: licensor powers follow the holder, constant-gas exclusivity, settlement ----------------


def test_defect_9_licensor_powers_over_direct_licences_pass_to_the_new_holder(
    rights: Rights, token: int
) -> None:
    """Defect 9: after a transfer the old holder stayed licensor of its direct licences and could
    terminate them, the new holder could not, and the old holder's exclusive licence blocked the
    new holder. Now the current holder is the licensor of every direct licence."""
    now = rights.now()
    exclusive = grant(
        rights,
        token,
        LicenceInput(LICENSEE.address, now, now + 100 * DAY, exclusive=True, sublicensable=True),
    )
    shared = grant(
        rights, token, LicenceInput(SUB2.address, now, now + 100 * DAY, right=PRODUCT_OPERATION)
    )
    child = sub(rights, exclusive, LicenceInput(SUB.address, now, now + 50 * DAY), LICENSEE)
    rights.set_country(OTHER.address, "CN", REGULATOR)  # v2: a recipient needs a country
    rights.tx(AGENT, "transfer", [token, OTHER.address, 1, h("sale")], HOLDER)
    for licence_id in (exclusive, shared):
        assert same(rights.licence(licence_id)["licensor"], OTHER.address)
        expect(
            rights.refused(LICENCES, "terminate", [licence_id, REASON], HOLDER),
            "LicenceNotParty",
            licenceId=licence_id,
            account=HOLDER.address,
        )
    # a sublicence's licensor stays its parent's licensee
    assert same(rights.licence(child)["licensor"], LICENSEE.address)
    # the old holder's exclusive licence no longer blocks the new holder: it ends it
    receipt = rights.tx(LICENCES, "terminate", [exclusive, REASON], OTHER)
    assert same(event(receipt, "LicenceTerminated").args["by"], OTHER.address)
    replacement = grant(
        rights, token, LicenceInput(SUB2.address, now, now + 100 * DAY, exclusive=True), OTHER
    )
    granted = rights.licence(replacement)
    assert same(granted["licensor"], OTHER.address)
    rights.tx(LICENCES, "terminate", [shared, REASON], OTHER)


def _licensee(i: int) -> str:
    return to_checksum_address(f"0x{0x5EED0000 + i:040x}")


def test_defect_9_grant_gas_is_constant_in_the_number_of_licences(
    rights: Rights, tokens: dict[str, int]
) -> None:
    """Defect 9: the exclusivity check looped over every licence ever granted on the
    certificate (1st grant 271,831 gas, 200th 1,716,206; about 4,000 licences and a grant no
    longer fit in a block). Now the 1st and the 500th grant cost within 5 % of each other."""
    now = rights.now()
    # the registry's very first licence also starts its id counter: not a cost of this token
    grant(rights, tokens["processing"], rights.licence_input(OTHER.address))
    token = tokens["both"]
    gas: list[int] = []
    for i in range(500):
        licence = LicenceInput(_licensee(i), now, now + 100 * DAY, purposes=1 + i % 7)
        receipt = rights.tx(LICENCES, "grantLicence", [token, licence.as_tuple()], HOLDER)
        gas.append(receipt.gas_used)
    first, last = gas[0], gas[-1]
    print(f"grant_licence_1st={first} grant_licence_500th={last}")
    assert abs(first - last) <= 0.05 * first, (first, last)
    assert len(rights.call(LICENCES, "licencesOf", [token])) == 500
    # an exclusive licence is still refused against 500 live non-exclusive ones, in constant gas
    expect(
        grant_refused(rights, token, LicenceInput(SUB.address, now, now + DAY, exclusive=True)),
        "LicenceExclusiveConflict",
        busyFrom=now,
        busyUntil=now + 100 * DAY,
    )


def _as_ledger(
    rights: Rights, chain: ChainClient, function: str, args: list[Any]
) -> dict[str, Any]:
    """Send ``LicenceRegistry.function(args)`` from the certificate contract's own address."""
    ledger = rights.registry
    chain.rpc("anvil_impersonateAccount", [ledger])
    try:
        fund(chain, ledger)
        data = chain.encode_call(LICENCES, rights.licences, function, args)
        tx_hash = chain.rpc(
            "eth_sendTransaction", [{"from": ledger, "to": rights.licences, "data": data}]
        )
        receipt: dict[str, Any] | None = None
        for _ in range(100):  # mined at once, but the receipt may trail under load
            receipt = chain.rpc("eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                break
            time.sleep(0.05)
    finally:
        chain.rpc("anvil_stopImpersonatingAccount", [ledger])
    assert receipt is not None, f"no receipt for {tx_hash}"
    return receipt


def test_defect_3_settling_a_certificate_end_settles_every_licence(
    rights: Rights, chain: ChainClient, token: int
) -> None:
    """Defect 3 (licence side): revocation, cancellation and expiry never touched licences.
    Now the certificate contract settles them: ``LicencesSettled`` is emitted, every licence and
    sublicence of the certificate reads Settled and is not live, and none can be terminated."""
    root, middle, leaf = chain_of_three(rights, token)
    expect(
        rights.refused(LICENCES, "settleCertificateEnd", [token, CertStatus.REVOKED], HOLDER),
        "LicenceUnauthorizedModule",
    )
    receipt = _as_ledger(rights, chain, "settleCertificateEnd", [token, int(CertStatus.REVOKED)])
    assert int(receipt["status"], 16) == 1
    settled_topic = "0x" + keccak(text="LicencesSettled(uint256,uint8)").hex().removeprefix("0x")
    (log,) = [entry for entry in receipt["logs"] if entry["topics"][0] == settled_topic]
    assert int(log["topics"][1], 16) == token
    assert int(log["data"], 16) == CertStatus.REVOKED
    assert rights.call(LICENCES, "settledStatusOf", [token]) == CertStatus.REVOKED
    for licence_id, licensee in ((root, LICENSEE), (middle, SUB), (leaf, SUB2)):
        assert not rights.is_live(licence_id)
        assert rights.licence(licence_id)["status"] == LicenceStatus.SETTLED
        expect(
            rights.refused(LICENCES, "terminate", [licence_id, REASON], licensee),
            "LicenceNotActive",
            licenceId=licence_id,
        )
    # only an end is settled
    expect(
        rights.refused(LICENCES, "settleCertificateEnd", [token, CertStatus.ISSUED], HOLDER),
        "LicenceUnauthorizedModule",
    )


def test_licence_writes_stop_while_paused_and_reads_keep_working(
    rights: Rights, token: int
) -> None:
    """v2: every state change of LicenceRegistry is refused while the authority is paused."""
    licence_id = grant(rights, token, rights.licence_input(LICENSEE.address, sublicensable=True))
    pauser = dev_account(21)
    fund(rights.chain, pauser.address)
    rights.tx(AUTHORITY, "grantRole", [keccak(text="PAUSER_ROLE"), pauser.address], rights.admin)
    rights.tx(AUTHORITY, "pause", [], pauser)
    try:
        for function, args, signer in (
            ("grantLicence", [token, rights.licence_input(SUB.address).as_tuple()], HOLDER),
            (
                "grantSublicence",
                [licence_id, rights.licence_input(SUB.address).as_tuple()],
                LICENSEE,
            ),
            ("terminate", [licence_id, REASON], HOLDER),
        ):
            expect(rights.refused(LICENCES, function, args, signer), "EnforcedPause")
        assert rights.is_live(licence_id)
        assert rights.call(LICENCES, "licencesOf", [token]) == [licence_id]
    finally:
        rights.tx(AUTHORITY, "unpause", [], pauser)
    rights.tx(LICENCES, "terminate", [licence_id, REASON], HOLDER)


def test_defect_9_a_sublicensee_cannot_make_the_holders_grants_dearer(
    rights: Rights, token: int
) -> None:
    """Defect 9: every sublicence joined the per-certificate list the holder's grants scanned, so
    a sublicensee could make the holder's next grant ever dearer (up to the block gas limit).
    Now no write reads such a list: the holder's grant costs the same after 60 sublicences."""
    now = rights.now()
    parent = grant(
        rights, token, LicenceInput(LICENSEE.address, now, now + 100 * DAY, sublicensable=True)
    )

    def holder_grant(i: int) -> int:
        licence = LicenceInput(_licensee(10_000 + i), now, now + 50 * DAY)
        return rights.tx(LICENCES, "grantLicence", [token, licence.as_tuple()], HOLDER).gas_used

    before = holder_grant(0)
    for i in range(60):
        sub(rights, parent, LicenceInput(_licensee(20_000 + i), now, now + 10 * DAY), LICENSEE)
    after = holder_grant(1)
    assert abs(after - before) <= 0.01 * before, (before, after)
