"""TransferAgent against a real anvil: transfers, freezes, court orders, pledges and consents.

Every refusal is checked by its custom error name and arguments; every allowed movement by
``ownerOf``/``balanceOf``, the registration's holder and the events (the agent's
``CertificateTransferred`` and the ERC-721 ``Transfer``). The EIP-712 pledge consents are also
produced by an independent implementation (ethers v6, tests/js/sign_pledge.mjs).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from registry.artifacts import load_artifact
from registry.chain.client import DEV_PAUSER_INDEX, ChainClient, dev_account
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from registry.domain.deployment import DeploymentManifest
from registry.errors import ContractRevertError
from registry.settings import Settings
from tests.conftest import admin as governor
from tests.contracts.agent_helpers import (
    AGENT,
    DAY,
    LICENCES,
    REGISTRY,
    ZERO32,
    ZERO_ADDRESS,
    CertificateSpec,
    CertStatus,
    Consent,
    LicenceInput,
    Mechanism,
    PledgeStatus,
    PledgeTerms,
    Reason,
    Rights,
    event,
    events,
    fund,
    h,
    hex32,
    issue_certificate,
    issue_certificates,
    open_context,
    pledge_domain,
    same,
    travel,
)
from tests.registry.registration.conftest import REGISTRAR_CODE, metadata, registrar

HOLDER, BUYER, LENDER, REGULATOR, OTHER, RELAYER = (dev_account(i) for i in range(1, 7))
ABROAD, LENDER2, HEIR = dev_account(8), dev_account(9), dev_account(10)
DOC = h("sale contract")
CASE = h("court case (2025) 粤01民初123号")

REPO = Path(__file__).resolve().parents[2]
SIGN_PLEDGE_JS = REPO / "tests" / "js" / "sign_pledge.mjs"
NODE = shutil.which("node")


@pytest.fixture
def ctx(
    chain: ChainClient, deployment: DeploymentManifest, test_settings: Settings
) -> RegistryContext:
    return open_context(chain, deployment, test_settings)


@pytest.fixture
def rights(ctx: RegistryContext, chain: ChainClient, deployment: DeploymentManifest) -> Rights:
    r = Rights(chain, deployment, governor())
    r.grant_regulator(REGULATOR)
    # a move fails closed without the recipient's country: the regulator records the domestic ones
    r.record_domestic([HOLDER, BUYER, LENDER, OTHER, LENDER2, HEIR], REGULATOR)
    return r


@pytest.fixture
def token(ctx: RegistryContext, chain: ChainClient) -> int:
    """A general-level certificate held by HOLDER."""
    return issue_certificate(ctx, chain, HOLDER)


def expect(error: ContractRevertError, name: str, **args: Any) -> None:
    """``error`` is the custom error ``name`` with (at least) ``args``."""
    assert error.error_name == name, f"expected {name}, got {error.error_name}{error.args_by_name}"
    for key, value in args.items():
        got = error.args_by_name[key]
        if isinstance(value, str) and isinstance(got, str):
            assert got.lower() == value.lower(), f"{name}.{key}: {got} != {value}"
        else:
            assert got == value, f"{name}.{key}: {got} != {value}"


def transfer(
    rights: Rights, token: int, sender: LocalAccount, to: str, reason: Reason = Reason.SALE
) -> Any:
    return rights.tx(AGENT, "transfer", [token, to, int(reason), DOC], sender)


def refused_transfer(
    rights: Rights, token: int, sender: LocalAccount, to: str, reason: Reason = Reason.SALE
) -> ContractRevertError:
    return rights.refused(AGENT, "transfer", [token, to, int(reason), DOC], sender)


def assert_held_by(rights: Rights, ctx: RegistryContext, token: int, holder: str) -> None:
    assert same(rights.owner_of(token), holder)
    assert same(rights.state(token)[0], holder)
    assert same(ctx.registrations.get(token).holder, holder)


def pledged(rights: Rights, token: int, lender: LocalAccount = LENDER, **changes: Any) -> int:
    return rights.pledge_now(token, HOLDER, lender, RELAYER, **changes)


# --- transfers ------------------------------------------------------------------------------


def test_holder_transfers_for_sale_inheritance_and_merger(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    assert rights.balance_of(HOLDER.address) == 1
    chain_of_title = [
        (HOLDER, BUYER, Reason.SALE),
        (BUYER, HEIR, Reason.INHERITANCE),
        (HEIR, OTHER, Reason.MERGER),
    ]
    for sender, to, reason in chain_of_title:
        receipt = transfer(rights, token, sender, to.address, reason)
        moved = event(receipt, "CertificateTransferred").args
        assert moved["tokenId"] == token
        assert same(moved["from"], sender.address)
        assert same(moved["to"], to.address)
        assert moved["reason"] == reason
        assert moved["documentHash"] == hex32(DOC)
        erc721 = event(receipt, "Transfer")
        assert erc721.contract == REGISTRY
        assert same(erc721.args["from"], sender.address)
        assert same(erc721.args["to"], to.address)
        assert erc721.args["tokenId"] == token
        assert_held_by(rights, ctx, token, to.address)
        assert rights.balance_of(sender.address) == 0
        assert rights.balance_of(to.address) == 1
    # the previous holder can no longer move it
    expect(refused_transfer(rights, token, HOLDER, BUYER.address), "AgentNotHolder")


def test_only_the_holder_transfers(rights: Rights, token: int) -> None:
    for sender in (BUYER, REGULATOR, rights.admin):
        expect(
            refused_transfer(rights, token, sender, BUYER.address),
            "AgentNotHolder",
            tokenId=token,
            account=sender.address,
        )
    expect(refused_transfer(rights, token, HOLDER, ZERO_ADDRESS), "AgentInvalidRecipient")


def test_certificates_that_are_not_issued_do_not_move(
    rights: Rights, ctx: RegistryContext, chain: ChainClient
) -> None:
    submitted = ctx.registrations.sign_and_submit(
        metadata(HOLDER.address, 0xB1), REGISTRAR_CODE, HOLDER, ctx.operator
    ).id
    cancelled, revoked = issue_certificates(
        ctx, chain, [CertificateSpec(HOLDER), CertificateSpec(HOLDER)], fp_base=0xB2
    )
    ctx.registrations.cancel(cancelled, "no longer held", HOLDER)
    ctx.registrations.revoke(revoked, 3, "fraud found later", registrar())
    for token, status in (
        (submitted, CertStatus.SUBMITTED),
        (cancelled, CertStatus.CANCELLED),
        (revoked, CertStatus.REVOKED),
    ):
        expect(
            refused_transfer(rights, token, HOLDER, BUYER.address),
            "AgentNotIssued",
            tokenId=token,
            status=status,
        )
    expect(refused_transfer(rights, 4242, HOLDER, BUYER.address), "RegistryUnknownRegistration")


def test_an_expired_certificate_does_not_move(
    rights: Rights, chain: ChainClient, token: int
) -> None:
    travel(chain, rights.valid_until(token) - rights.now() - DAY)
    transfer(rights, token, HOLDER, BUYER.address)  # a day before expiry it still moves
    travel(chain, 2 * DAY)
    expect(
        refused_transfer(rights, token, BUYER, HOLDER.address),
        "AgentNotIssued",
        status=CertStatus.EXPIRED,
    )


def test_a_frozen_certificate_does_not_move_until_unfrozen(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    receipt = rights.tx(AGENT, "freeze", [token, CASE], REGULATOR)
    frozen = event(receipt, "CertificateFrozen").args
    assert same(frozen["regulator"], REGULATOR.address)
    assert frozen["caseRef"] == hex32(CASE)
    is_frozen, since, by, case_ref = rights.call(AGENT, "freezeOf", [token])
    assert is_frozen
    assert since > 0
    assert same(by, REGULATOR.address)
    assert case_ref == CASE
    expect(refused_transfer(rights, token, HOLDER, BUYER.address), "AgentFrozen", tokenId=token)
    expect(rights.refused(AGENT, "freeze", [token, CASE], REGULATOR), "AgentFrozen")
    rights.tx(AGENT, "unfreeze", [token, CASE], REGULATOR)
    assert rights.call(AGENT, "freezeOf", [token])[0] is False
    expect(rights.refused(AGENT, "unfreeze", [token, CASE], REGULATOR), "AgentNotFrozen")
    transfer(rights, token, HOLDER, BUYER.address)
    assert_held_by(rights, ctx, token, BUYER.address)


def test_only_regulators_freeze_unfreeze_and_approve(rights: Rights, token: int) -> None:
    for function, args in (
        ("freeze", [token, CASE]),
        ("unfreeze", [token, CASE]),
        ("approveTransfer", [token, BUYER.address, rights.now() + DAY]),
        ("setPartyCountry", [ABROAD.address, b"HK"]),
        (
            "recordCrossBorder",
            [token, ABROAD.address, (1, rights.now() + DAY, b"HK", h("n"), HOLDER.address)],
        ),
        ("courtOrderTransfer", [token, BUYER.address, CASE]),
    ):
        for outsider in (HOLDER, OTHER, rights.admin):
            if function == "unfreeze":  # v2: the admin lifts a freeze (with a case reference)
                continue
            expect(
                rights.refused(AGENT, function, args, outsider),
                "AgentNotRegulator",
                account=outsider.address,
            )
    expect(rights.refused(AGENT, "freeze", [4242, CASE], REGULATOR), "RegistryUnknownRegistration")
    expect(
        rights.refused(AGENT, "setImportantDataApprovalRequired", [False], REGULATOR),
        "AgentNotAdmin",
    )


def test_a_pledged_certificate_moves_only_with_the_pledgees_consent_for_that_recipient(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    pledge_id = pledged(rights, token)
    expect(
        refused_transfer(rights, token, HOLDER, BUYER.address),
        "AgentPledged",
        tokenId=token,
        pledgeId=pledge_id,
    )
    # consent for another recipient (or another action) does not help
    rights.consent(pledge_id, Consent.TRANSFER, OTHER.address, LENDER)
    rights.consent(pledge_id, Consent.CANCEL, BUYER.address, LENDER)
    expect(refused_transfer(rights, token, HOLDER, BUYER.address), "AgentPledged")
    # only the pledgee consents
    expect(
        rights.refused_consent(pledge_id, Consent.TRANSFER, BUYER.address, HOLDER),
        "AgentNotPledgee",
        pledgeId=pledge_id,
        account=HOLDER.address,
    )
    granted = rights.consent(pledge_id, Consent.TRANSFER, BUYER.address, LENDER)
    assert event(granted, "PledgeConsentGranted").args["action"] == Consent.TRANSFER
    receipt = transfer(rights, token, HOLDER, BUYER.address)
    used = event(receipt, "PledgeConsentUsed").args
    assert used["pledgeId"] == pledge_id
    assert same(used["counterparty"], BUYER.address)
    assert same(event(receipt, "PledgorChanged").args["pledgor"], BUYER.address)
    assert_held_by(rights, ctx, token, BUYER.address)
    # the pledge follows the certificate: still live, the new holder is the pledgor
    record = rights.pledge(pledge_id)
    assert record["status"] == PledgeStatus.LIVE
    assert same(record["pledgor"], BUYER.address)
    assert rights.live_pledge_of(token) == pledge_id
    # the consent was used up
    expect(refused_transfer(rights, token, BUYER, HOLDER.address), "AgentPledged")
    rights.consent(pledge_id, Consent.TRANSFER, HOLDER.address, LENDER)
    transfer(rights, token, BUYER, HOLDER.address)
    expect(refused_transfer(rights, token, HOLDER, BUYER.address), "AgentPledged")


def test_important_data_needs_a_live_regulator_approval(
    rights: Rights, ctx: RegistryContext, chain: ChainClient
) -> None:
    token = issue_certificate(ctx, chain, HOLDER, classification="important", fp=0xC1)
    assert rights.state(token)[2] == 1  # Important
    assert rights.call(AGENT, "importantDataApprovalRequired") is True
    expect(
        refused_transfer(rights, token, HOLDER, BUYER.address),
        "AgentApprovalRequired",
        tokenId=token,
        to=BUYER.address,
    )
    # an approval for another recipient does not count
    rights.tx(AGENT, "approveTransfer", [token, OTHER.address, rights.now() + 30 * DAY], REGULATOR)
    expect(refused_transfer(rights, token, HOLDER, BUYER.address), "AgentApprovalRequired")
    # an expired approval does not count
    expiry = rights.now() + DAY
    receipt = rights.tx(AGENT, "approveTransfer", [token, BUYER.address, expiry], REGULATOR)
    assert event(receipt, "TransferApproved").args["expiry"] == expiry
    assert rights.call(AGENT, "transferApprovalExpiry", [token, BUYER.address]) == expiry
    travel(chain, 2 * DAY)
    expect(refused_transfer(rights, token, HOLDER, BUYER.address), "AgentApprovalRequired")
    # a live one does
    rights.tx(AGENT, "approveTransfer", [token, BUYER.address, rights.now() + DAY], REGULATOR)
    transfer(rights, token, HOLDER, BUYER.address)
    assert_held_by(rights, ctx, token, BUYER.address)
    # the admin may switch the policy off; then no approval is needed
    expect(refused_transfer(rights, token, BUYER, HOLDER.address), "AgentApprovalRequired")
    rights.tx(AGENT, "setImportantDataApprovalRequired", [False], rights.admin)
    transfer(rights, token, BUYER, HOLDER.address)


def test_general_data_needs_no_approval(rights: Rights, token: int) -> None:
    assert rights.state(token)[2] == 0
    transfer(rights, token, HOLDER, BUYER.address)


@pytest.mark.parametrize("abroad_in", ["HK", "US"])
def test_a_recipient_abroad_needs_a_valid_cross_border_record(
    rights: Rights, ctx: RegistryContext, chain: ChainClient, token: int, abroad_in: str
) -> None:
    assert rights.call(AGENT, "partyCountry", [ABROAD.address]) == bytes(2)
    set_ = rights.set_country(ABROAD.address, abroad_in, REGULATOR)
    assert event(set_, "PartyCountrySet").args["country"] == "0x" + abroad_in.encode().hex()
    assert rights.call(AGENT, "partyCountry", [ABROAD.address]) == abroad_in.encode()
    code = "0x" + abroad_in.encode().hex()
    # no record
    expect(
        refused_transfer(rights, token, HOLDER, ABROAD.address),
        "AgentCrossBorderRecordRequired",
        tokenId=token,
        to=ABROAD.address,
        country=code,
    )
    # a record for another country
    other_country = "US" if abroad_in == "HK" else "SG"
    rights.record_cross_border(
        token, ABROAD.address, other_country, rights.now() + 90 * DAY, REGULATOR
    )
    expect(
        refused_transfer(rights, token, HOLDER, ABROAD.address), "AgentCrossBorderRecordRequired"
    )
    # a record for another recipient
    rights.set_country(OTHER.address, abroad_in, REGULATOR)
    rights.record_cross_border(token, OTHER.address, abroad_in, rights.now() + 90 * DAY, REGULATOR)
    expect(
        refused_transfer(rights, token, HOLDER, ABROAD.address), "AgentCrossBorderRecordRequired"
    )
    # an expired record
    rights.record_cross_border(token, ABROAD.address, abroad_in, rights.now() + DAY, REGULATOR)
    travel(chain, 2 * DAY)
    expect(
        refused_transfer(rights, token, HOLDER, ABROAD.address), "AgentCrossBorderRecordRequired"
    )
    # a valid record
    expiry = rights.now() + 3 * 365 * DAY
    receipt = rights.record_cross_border(token, ABROAD.address, abroad_in, expiry, REGULATOR)
    recorded = event(receipt, "CrossBorderRecorded").args
    assert recorded["mechanism"] == 1
    assert recorded["expiry"] == expiry
    assert recorded["country"] == code
    assert same(recorded["exporter"], HOLDER.address)
    mechanism, stored_expiry, stored_country, _, exporter = rights.call(
        AGENT, "crossBorderRecord", [token, ABROAD.address]
    )
    assert (mechanism, stored_expiry, stored_country) == (1, expiry, abroad_in.encode())
    assert same(exporter, HOLDER.address)
    transfer(rights, token, HOLDER, ABROAD.address)
    assert_held_by(rights, ctx, token, ABROAD.address)
    # a domestic recipient needs none
    transfer(rights, token, ABROAD, BUYER.address)


def test_a_cross_border_record_needs_a_mechanism_and_a_country(rights: Rights, token: int) -> None:
    later = rights.now() + DAY
    holder = HOLDER.address
    for record, error in (
        ((0, later, b"HK", h("n"), holder), "AgentCrossBorderMechanismNotAllowed"),
        ((1, later, b"\x00\x00", h("n"), holder), "AgentInvalidCountry"),
        ((1, later, b"CN", h("n"), holder), "AgentInvalidCountry"),
        ((1, later, b"hk", h("n"), holder), "AgentInvalidCountry"),
    ):
        expect(
            rights.refused(AGENT, "recordCrossBorder", [token, ABROAD.address, record], REGULATOR),
            error,
        )


@pytest.mark.parametrize("reason", [Reason.NONE, Reason.COURT_ORDER, Reason.PLEDGE_ENFORCEMENT])
def test_transfer_refuses_reasons_reserved_to_courts_and_pledgees(
    rights: Rights, token: int, reason: Reason
) -> None:
    expect(
        refused_transfer(rights, token, HOLDER, BUYER.address, reason),
        "AgentInvalidReason",
        reason=reason,
    )


@pytest.mark.parametrize(
    ("function", "extra"),
    [("transferFrom", []), ("safeTransferFrom", []), ("safeTransferFrom", [b"note"])],
)
def test_plain_erc721_transfers_are_disabled(
    rights: Rights, token: int, function: str, extra: list[Any]
) -> None:
    """v2 (defect 12): a plain transfer reverts with the standard EIP-6093
    ``ERC721InsufficientApproval`` that any wallet decodes (on main: the project's own
    ``LedgerTransferViaAgentOnly``), and no operator can be approved, so none can transfer."""
    args = [HOLDER.address, BUYER.address, token, *extra]
    expect(
        rights.refused(REGISTRY, function, args, HOLDER),
        "ERC721InsufficientApproval",
        operator=HOLDER.address,
        tokenId=token,
    )
    # no operator can be approved (a marketplace cannot list the token) ...
    expect(
        rights.refused(REGISTRY, "approve", [OTHER.address, token], HOLDER),
        "ERC721InvalidApprover",
        approver=HOLDER.address,
    )
    expect(
        rights.refused(REGISTRY, "setApprovalForAll", [OTHER.address, True], HOLDER),
        "ERC721InvalidOperator",
        operator=OTHER.address,
    )
    # ... and the would-be operator fares no better
    expect(
        rights.refused(REGISTRY, function, args, OTHER),
        "ERC721InsufficientApproval",
        operator=OTHER.address,
        tokenId=token,
    )
    assert same(rights.owner_of(token), HOLDER.address)


def test_only_the_agent_calls_move_certificate(rights: Rights, token: int) -> None:
    for caller in (HOLDER, REGULATOR, rights.admin, OTHER):
        expect(
            rights.refused(REGISTRY, "moveCertificate", [OTHER.address, token], caller),
            "LedgerTransferViaAgentOnly",
            tokenId=token,
            caller=caller.address,
        )
    # and the modules are wired once, by the initializer (v2: there is no `setModules`); a
    # second initialization is refused, even to the admin
    assert same(rights.call(REGISTRY, "transferAgent"), rights.agent)
    assert same(rights.call(REGISTRY, "licenceRegistry"), rights.licences)
    abi = load_artifact(Settings().artifacts_dir, REGISTRY).abi
    assert "setModules" not in {item.get("name") for item in abi}
    rewire = [
        rights.call(REGISTRY, "authority"),
        OTHER.address,
        OTHER.address,
        OTHER.address,
        "ipfs://other/",
    ]
    for caller in (rights.admin, HOLDER):
        expect(rights.refused(REGISTRY, "initialize", rewire, caller), "InvalidInitialization")
    assert same(rights.call(REGISTRY, "transferAgent"), rights.agent)


# --- court orders and cancellation ------------------------------------------------------------


def test_a_court_order_passes_a_freeze_and_a_pledge(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    pledge_id = pledged(rights, token)
    rights.tx(AGENT, "freeze", [token, CASE], REGULATOR)
    expect(
        rights.refused(AGENT, "courtOrderTransfer", [token, BUYER.address, CASE], OTHER),
        "AgentNotRegulator",
    )
    receipt = rights.tx(AGENT, "courtOrderTransfer", [token, BUYER.address, CASE], REGULATOR)
    moved = event(receipt, "CertificateTransferred").args
    assert moved["reason"] == Reason.COURT_ORDER
    assert moved["documentHash"] == hex32(CASE)
    assert same(event(receipt, "PledgorChanged").args["pledgor"], BUYER.address)
    assert events(receipt, "PledgeConsentUsed") == []
    assert_held_by(rights, ctx, token, BUYER.address)
    record = rights.pledge(pledge_id)
    assert record["status"] == PledgeStatus.LIVE
    assert same(record["pledgor"], BUYER.address)
    assert rights.live_pledge_of(token) == pledge_id
    # the freeze stays until the regulator lifts it
    assert rights.call(AGENT, "freezeOf", [token])[0] is True
    expect(refused_transfer(rights, token, BUYER, HOLDER.address), "AgentFrozen")


def test_a_court_order_still_respects_the_recipients_country_and_the_certificate_state(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    rights.set_country(ABROAD.address, "HK", REGULATOR)
    expect(
        rights.refused(AGENT, "courtOrderTransfer", [token, ABROAD.address, CASE], REGULATOR),
        "AgentCrossBorderRecordRequired",
    )
    ctx.registrations.revoke(token, 3, "fraud", registrar())
    expect(
        rights.refused(AGENT, "courtOrderTransfer", [token, BUYER.address, CASE], REGULATOR),
        "AgentNotIssued",
        status=CertStatus.REVOKED,
    )


def test_cancellation_is_refused_while_frozen(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    rights.tx(AGENT, "freeze", [token, CASE], REGULATOR)
    expect(rights.refused(REGISTRY, "cancel", [token, h("why")], HOLDER), "AgentFrozen")
    rights.tx(AGENT, "unfreeze", [token, CASE], REGULATOR)
    ctx.registrations.cancel(token, "retired", HOLDER)
    assert rights.state(token)[1] == CertStatus.CANCELLED


def test_cancellation_while_pledged_needs_the_pledgees_cancel_consent(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    pledge_id = pledged(rights, token)
    expect(
        rights.refused(REGISTRY, "cancel", [token, h("why")], HOLDER),
        "AgentPledged",
        tokenId=token,
        pledgeId=pledge_id,
    )
    # a transfer consent, or a cancel consent naming someone else, is not a cancel consent
    rights.consent(pledge_id, Consent.TRANSFER, HOLDER.address, LENDER)
    rights.consent(pledge_id, Consent.CANCEL, OTHER.address, LENDER)
    expect(rights.refused(REGISTRY, "cancel", [token, h("why")], HOLDER), "AgentPledged")
    rights.consent(pledge_id, Consent.CANCEL, HOLDER.address, LENDER)
    receipt = rights.tx(REGISTRY, "cancel", [token, h("why")], HOLDER)
    used = event(receipt, "PledgeConsentUsed").args
    assert used["action"] == Consent.CANCEL
    assert same(used["counterparty"], HOLDER.address)
    assert event(receipt, "CertificateCancelled").args["id"] == token
    assert rights.state(token)[1] == CertStatus.CANCELLED


def test_only_the_ledger_and_the_licence_registry_call_the_authorisation_hooks(
    rights: Rights, token: int
) -> None:
    expect(
        rights.refused(AGENT, "authorizeCancellation", [token, HOLDER.address], HOLDER),
        "AgentUnauthorizedModule",
    )
    expect(
        rights.refused(AGENT, "authorizeExclusiveLicence", [token, OTHER.address], HOLDER),
        "AgentUnauthorizedModule",
    )


# --- pledges ----------------------------------------------------------------------------------


def test_a_pledge_is_registered_with_both_signatures_relayed_by_a_third_party(
    rights: Rights, chain: ChainClient, token: int
) -> None:
    balances = {a.address: chain.balance(a.address) for a in (HOLDER, LENDER)}
    assert rights.call(AGENT, "pledgeNonce", [token]) == 0
    terms = rights.pledge_terms(token, HOLDER.address, LENDER.address)
    pledge_id, receipt = rights.register_pledge(terms, HOLDER, LENDER, RELAYER)
    registered = event(receipt, "PledgeRegistered").args
    assert registered["tokenId"] == token
    assert same(registered["pledgee"], LENDER.address)
    assert same(registered["relayer"], RELAYER.address)
    record = rights.pledge(pledge_id)
    assert record["tokenId"] == token
    assert same(record["pledgor"], HOLDER.address)
    assert same(record["pledgee"], LENDER.address)
    assert record["securedAmount"] == terms.secured_amount
    assert record["currency"] == b"CNY"
    assert record["loanRef"] == terms.loan_ref
    assert record["maturity"] == terms.maturity
    assert record["status"] == PledgeStatus.LIVE
    assert record["registeredAt"] == chain.block(receipt.block_number).timestamp
    # (the codec leaves struct members raw: addresses lower-case, bytes as bytes)
    lowered = [
        v.lower() if isinstance(v, str) else "0x" + v.hex() if isinstance(v, bytes) else v
        for v in registered["record"]
    ]
    assert lowered == [
        token,
        HOLDER.address.lower(),
        LENDER.address.lower(),
        terms.secured_amount,
        "0x" + b"CNY".hex(),
        record["registeredAt"],
        terms.maturity,
        PledgeStatus.LIVE,
        hex32(terms.loan_ref),
    ]
    assert rights.live_pledge_of(token) == pledge_id
    assert rights.call(AGENT, "pledgeNonce", [token]) == 1
    # neither party paid gas
    assert {a: chain.balance(a) for a in balances} == balances


def test_no_second_live_pledge_first_to_file(rights: Rights, token: int) -> None:
    first = pledged(rights, token)
    terms = rights.pledge_terms(token, HOLDER.address, LENDER2.address)
    error = rights.refused(
        AGENT,
        "registerPledge",
        [terms.as_tuple(), rights.sign_pledge(terms, HOLDER), rights.sign_pledge(terms, LENDER2)],
        RELAYER,
    )
    expect(error, "AgentPledgeAlreadyLive", tokenId=token, pledgeId=first)
    assert rights.live_pledge_of(token) == first


def register_refused(
    rights: Rights,
    terms: PledgeTerms,
    pledgor: LocalAccount = HOLDER,
    pledgee: LocalAccount = LENDER,
    *,
    submitted: PledgeTerms | None = None,
) -> ContractRevertError:
    """Both sign ``terms``; ``submitted`` (default: the same terms) is what is relayed."""
    sent = submitted or terms
    return rights.refused(
        AGENT,
        "registerPledge",
        [sent.as_tuple(), rights.sign_pledge(terms, pledgor), rights.sign_pledge(terms, pledgee)],
        RELAYER,
    )


def test_a_pledge_cannot_outlast_the_certificate(rights: Rights, token: int) -> None:
    valid_until = rights.valid_until(token)
    for maturity in (valid_until + 1, valid_until + 365 * DAY):
        terms = rights.pledge_terms(token, HOLDER.address, LENDER.address, maturity=maturity)
        expect(
            register_refused(rights, terms),
            "AgentPledgeOutlastsCertificate",
            maturity=maturity,
            validUntil=valid_until,
        )
    # maturity on the validity end itself would leave no second in which to enforce
    terms = rights.pledge_terms(token, HOLDER.address, LENDER.address, maturity=valid_until)
    expect(register_refused(rights, terms), "AgentPledgeOutlastsCertificate")
    # one second before is accepted
    pledged(rights, token, maturity=valid_until - 1)


def test_a_pledge_maturing_shortly_before_expiry_can_be_enforced(
    rights: Rights, chain: ChainClient, token: int
) -> None:
    valid_until = rights.valid_until(token)
    pledge_id = pledged(rights, token, maturity=valid_until - DAY)
    travel(chain, valid_until - DAY - rights.now() + 3600)
    rights.tx(AGENT, "enforcePledge", [pledge_id, LENDER.address], LENDER)
    assert same(rights.owner_of(token), LENDER.address)


def test_a_maturity_in_the_past_is_refused(rights: Rights, token: int) -> None:
    now = rights.now()
    for maturity in (now - 1, now - 30 * DAY, 0):
        terms = rights.pledge_terms(token, HOLDER.address, LENDER.address, maturity=maturity)
        expect(register_refused(rights, terms), "AgentPledgeMaturityPassed", maturity=maturity)


def test_a_frozen_certificate_cannot_be_pledged(rights: Rights, token: int) -> None:
    rights.tx(AGENT, "freeze", [token, CASE], REGULATOR)
    terms = rights.pledge_terms(token, HOLDER.address, LENDER.address)
    expect(register_refused(rights, terms), "AgentFrozen", tokenId=token)
    rights.tx(AGENT, "unfreeze", [token, CASE], REGULATOR)
    pledged(rights, token)


def test_wrong_and_swapped_signatures_are_refused(rights: Rights, token: int) -> None:
    terms = rights.pledge_terms(token, HOLDER.address, LENDER.address)
    good_pledgor = rights.sign_pledge(terms, HOLDER)
    good_pledgee = rights.sign_pledge(terms, LENDER)
    by_other = rights.sign_pledge(terms, OTHER)
    cases = [
        (by_other, good_pledgee, HOLDER.address),
        (good_pledgor, by_other, LENDER.address),
        (good_pledgee, good_pledgor, HOLDER.address),  # swapped
        (good_pledgor, good_pledgor, LENDER.address),  # the holder signing for the lender
        (b"", good_pledgee, HOLDER.address),
        (good_pledgor, bytes(65), LENDER.address),
        (good_pledgor[:64], good_pledgee, HOLDER.address),
    ]
    for pledgor_sig, pledgee_sig, signer in cases:
        error = rights.refused(
            AGENT, "registerPledge", [terms.as_tuple(), pledgor_sig, pledgee_sig], RELAYER
        )
        expect(error, "AgentInvalidSignature", signer=signer)
    # signatures for another domain (chain id, contract) do not verify here
    for chain_id, verifying_contract in ((1, rights.agent), (rights.chain_id(), rights.licences)):
        typed = rights.typed_pledge(terms)
        typed["domain"] = pledge_domain(chain_id, verifying_contract)
        error = rights.refused(
            AGENT,
            "registerPledge",
            [terms.as_tuple(), sign_typed_data(typed, HOLDER), sign_typed_data(typed, LENDER)],
            RELAYER,
        )
        expect(error, "AgentInvalidSignature", signer=HOLDER.address)
    rights.tx(AGENT, "registerPledge", [terms.as_tuple(), good_pledgor, good_pledgee], RELAYER)


@pytest.mark.parametrize(
    "change",
    [
        {"secured_amount": 5_000_000_01},
        {"maturity_shift": DAY},
        {"loan_ref": h("another loan")},
        {"currency": b"USD"},
        {"pledgee": LENDER2.address},
        {"deadline_shift": 60},
    ],
    ids=lambda c: next(iter(c)),
)
def test_altered_terms_are_refused(rights: Rights, token: int, change: dict[str, Any]) -> None:
    terms = rights.pledge_terms(token, HOLDER.address, LENDER.address)
    if "maturity_shift" in change:
        altered = terms.replace(maturity=terms.maturity + change["maturity_shift"])
    elif "deadline_shift" in change:
        altered = terms.replace(deadline=terms.deadline + change["deadline_shift"])
    else:
        altered = terms.replace(**change)
    expect(
        register_refused(rights, terms, submitted=altered),
        "AgentInvalidSignature",
        signer=HOLDER.address,
    )
    assert rights.live_pledge_of(token) == 0


def test_a_replayed_consent_is_refused_after_release_because_the_nonce_advanced(
    rights: Rights, token: int
) -> None:
    terms = rights.pledge_terms(token, HOLDER.address, LENDER.address)
    signatures = [rights.sign_pledge(terms, HOLDER), rights.sign_pledge(terms, LENDER)]
    args = [terms.as_tuple(), *signatures]
    receipt = rights.tx(AGENT, "registerPledge", args, RELAYER)
    pledge_id = int(event(receipt, "PledgeRegistered").args["pledgeId"])
    expect(rights.refused(AGENT, "registerPledge", args, RELAYER), "AgentPledgeAlreadyLive")
    rights.tx(AGENT, "releasePledge", [pledge_id], LENDER)
    expect(
        rights.refused(AGENT, "registerPledge", args, RELAYER),
        "AgentBadNonce",
        tokenId=token,
        expected=1,
        given=0,
    )
    # a future nonce is refused as well
    ahead = terms.replace(nonce=5)
    expect(register_refused(rights, ahead), "AgentBadNonce", expected=1, given=5)


def test_an_expired_deadline_is_refused(rights: Rights, token: int) -> None:
    deadline = rights.now() - 1
    terms = rights.pledge_terms(token, HOLDER.address, LENDER.address, deadline=deadline)
    expect(register_refused(rights, terms), "AgentExpiredSignature", deadline=deadline)


def test_the_pledgor_must_be_the_holder(rights: Rights, token: int) -> None:
    terms = rights.pledge_terms(token, OTHER.address, LENDER.address)
    expect(
        register_refused(rights, terms, OTHER),
        "AgentNotHolder",
        tokenId=token,
        account=OTHER.address,
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": b"cny"}, "currency"),
        ({"currency": bytes(3)}, "currency"),
        ({"currency": b"CN1"}, "currency"),
        ({"currency": b"C Y"}, "currency"),
        ({"secured_amount": 0}, "securedAmount"),
        ({"pledgee": ZERO_ADDRESS}, "pledgee"),
        ({"pledgee": HOLDER.address}, "pledgee"),
    ],
)
def test_invalid_pledge_terms_are_refused(
    rights: Rights, token: int, change: dict[str, Any], field: str
) -> None:
    terms = rights.pledge_terms(token, HOLDER.address, LENDER.address).replace(**change)
    expect(register_refused(rights, terms), "AgentInvalidPledgeTerms", field=field)


def test_a_pledge_on_an_unissued_or_expired_certificate_is_refused(
    rights: Rights, ctx: RegistryContext, chain: ChainClient, token: int
) -> None:
    submitted = ctx.registrations.sign_and_submit(
        metadata(HOLDER.address, 0xB9), REGISTRAR_CODE, HOLDER, ctx.operator
    ).id
    terms = rights.pledge_terms(submitted, HOLDER.address, LENDER.address)
    expect(register_refused(rights, terms), "AgentNotIssued", status=CertStatus.SUBMITTED)
    travel(chain, rights.valid_until(token) - rights.now() + 1)
    terms = rights.pledge_terms(token, HOLDER.address, LENDER.address)
    expect(register_refused(rights, terms), "AgentNotIssued", status=CertStatus.EXPIRED)


def test_release_only_by_the_pledgee_then_a_new_pledge_may_follow(
    rights: Rights, token: int
) -> None:
    pledge_id = pledged(rights, token)
    for outsider in (HOLDER, OTHER, REGULATOR, LENDER2):
        expect(
            rights.refused(AGENT, "releasePledge", [pledge_id], outsider),
            "AgentNotPledgee",
            pledgeId=pledge_id,
            account=outsider.address,
        )
    receipt = rights.tx(AGENT, "releasePledge", [pledge_id], LENDER)
    released = event(receipt, "PledgeReleased").args
    assert released["pledgeId"] == pledge_id
    assert same(released["pledgee"], LENDER.address)
    assert rights.pledge(pledge_id)["status"] == PledgeStatus.RELEASED
    assert rights.live_pledge_of(token) == 0
    expect(rights.refused(AGENT, "releasePledge", [pledge_id], LENDER), "AgentPledgeNotLive")
    expect(
        rights.refused_consent(pledge_id, Consent.TRANSFER, BUYER.address, LENDER),
        "AgentPledgeNotLive",
    )
    expect(rights.refused(AGENT, "releasePledge", [999], LENDER), "AgentPledgeNotLive")
    # released: it moves freely and can be pledged again, to another lender
    second = pledged(rights, token, lender=LENDER2)
    assert second == pledge_id + 1
    assert rights.live_pledge_of(token) == second
    assert rights.call(AGENT, "pledgeNonce", [token]) == 2


def test_enforcement_only_after_maturity_only_by_the_pledgee_to_itself(
    rights: Rights, ctx: RegistryContext, chain: ChainClient, token: int
) -> None:
    maturity = rights.now() + 30 * DAY
    pledge_id = pledged(rights, token, maturity=maturity)
    expect(
        rights.refused(AGENT, "enforcePledge", [pledge_id, LENDER.address], LENDER),
        "AgentPledgeNotMatured",
        pledgeId=pledge_id,
        maturity=maturity,
    )
    travel(chain, 31 * DAY)
    for outsider in (HOLDER, OTHER, REGULATOR):
        expect(
            rights.refused(AGENT, "enforcePledge", [pledge_id, outsider.address], outsider),
            "AgentNotPledgee",
        )
    receipt = rights.tx(AGENT, "enforcePledge", [pledge_id, LENDER.address], LENDER)
    enforced = event(receipt, "PledgeEnforced").args
    assert same(enforced["to"], LENDER.address)
    assert same(enforced["pledgee"], LENDER.address)
    moved = event(receipt, "CertificateTransferred").args
    assert moved["reason"] == Reason.PLEDGE_ENFORCEMENT
    assert moved["documentHash"] == hex32(pledge_id.to_bytes(32, "big"))
    assert same(moved["from"], HOLDER.address)
    assert same(event(receipt, "Transfer").args["to"], LENDER.address)
    assert_held_by(rights, ctx, token, LENDER.address)
    assert rights.pledge(pledge_id)["status"] == PledgeStatus.ENFORCED
    assert rights.live_pledge_of(token) == 0
    expect(
        rights.refused(AGENT, "enforcePledge", [pledge_id, LENDER.address], LENDER),
        "AgentPledgeNotLive",
    )


def test_enforcement_to_a_buyer_the_pledgee_names(
    rights: Rights, ctx: RegistryContext, chain: ChainClient, token: int
) -> None:
    pledge_id = pledged(rights, token, maturity=rights.now() + 10 * DAY)
    travel(chain, 11 * DAY)
    rights.set_country(ABROAD.address, "HK", REGULATOR)
    expect(
        rights.refused(AGENT, "enforcePledge", [pledge_id, ABROAD.address], LENDER),
        "AgentCrossBorderRecordRequired",
    )
    rights.tx(AGENT, "freeze", [token, CASE], REGULATOR)
    expect(
        rights.refused(AGENT, "enforcePledge", [pledge_id, BUYER.address], LENDER), "AgentFrozen"
    )
    rights.tx(AGENT, "unfreeze", [token, CASE], REGULATOR)
    receipt = rights.tx(AGENT, "enforcePledge", [pledge_id, BUYER.address], LENDER)
    assert event(receipt, "CertificateTransferred").args["reason"] == Reason.PLEDGE_ENFORCEMENT
    assert_held_by(rights, ctx, token, BUYER.address)
    assert rights.balance_of(LENDER.address) == 0


def test_an_exclusive_licence_while_pledged_needs_consent_for_that_licensee(
    rights: Rights, token: int
) -> None:
    pledge_id = pledged(rights, token)
    licensee, other_licensee = BUYER, OTHER
    start = rights.now()
    first = LicenceInput(licensee.address, start, start + 90 * DAY, exclusive=True)
    expect(
        rights.refused(LICENCES, "grantLicence", [token, first.as_tuple()], HOLDER),
        "AgentPledged",
        tokenId=token,
        pledgeId=pledge_id,
    )
    # a non-exclusive licence needs no consent
    plain = first.replace(exclusive=False, licensee=other_licensee.address)
    rights.tx(LICENCES, "grantLicence", [token, plain.as_tuple()], HOLDER)
    # consent for another licensee, or for another action, is not consent for this one
    rights.consent(pledge_id, Consent.EXCLUSIVE_LICENCE, other_licensee.address, LENDER)
    rights.consent(pledge_id, Consent.TRANSFER, licensee.address, LENDER)
    later = first.replace(start=start + 100 * DAY, end=start + 200 * DAY)  # after the plain one
    expect(
        rights.refused(LICENCES, "grantLicence", [token, later.as_tuple()], HOLDER),
        "AgentPledged",
    )
    rights.consent(pledge_id, Consent.EXCLUSIVE_LICENCE, licensee.address, LENDER)
    receipt = rights.tx(LICENCES, "grantLicence", [token, later.as_tuple()], HOLDER)
    used = event(receipt, "PledgeConsentUsed").args
    assert used["action"] == Consent.EXCLUSIVE_LICENCE
    assert same(used["counterparty"], licensee.address)
    # used up: another exclusive licence to the same licensee needs a new consent
    again = first.replace(start=start + 300 * DAY, end=start + 400 * DAY)
    expect(
        rights.refused(LICENCES, "grantLicence", [token, again.as_tuple()], HOLDER),
        "AgentPledged",
    )


def test_the_agent_publishes_its_eip712_domain(rights: Rights) -> None:
    fields, name, version, chain_id, contract, salt, extensions = rights.call(AGENT, "eip712Domain")
    assert fields == b"\x0f"  # name, version, chainId, verifyingContract
    assert (name, version) == ("dareg.TransferAgent", "1")
    assert chain_id == rights.chain_id()
    assert same(contract, rights.agent)
    assert salt == ZERO32
    assert list(extensions) == []


# --- an independent EIP-712 implementation: ethers v6 ------------------------------------------


def ethers_sign(rights: Rights, terms: PledgeTerms, signers: list[LocalAccount]) -> dict[str, Any]:
    """Sign ``terms`` with ethers' ``Wallet.signTypedData`` (tests/js/sign_pledge.mjs)."""
    if NODE is None:
        pytest.skip("node is not installed")
    request = {
        "keys": ["0x" + bytes(s.key).hex() for s in signers],
        "domain": pledge_domain(rights.chain_id(), rights.agent),
        "message": terms.message(),
    }
    completed = subprocess.run(
        [NODE, str(SIGN_PLEDGE_JS)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert completed.returncode == 0, completed.stderr
    answer: dict[str, Any] = json.loads(completed.stdout)
    assert [a.lower() for a in answer["addresses"]] == [s.address.lower() for s in signers]
    return answer


def test_pledge_consents_signed_with_ethers_are_accepted_and_altered_or_replayed_ones_refused(
    rights: Rights, token: int
) -> None:
    terms = rights.pledge_terms(token, HOLDER.address, LENDER.address)
    answer = ethers_sign(rights, terms, [HOLDER, LENDER])
    pledgor_sig, pledgee_sig = (bytes.fromhex(s[2:]) for s in answer["signatures"])
    assert len(pledgor_sig) == len(pledgee_sig) == 65
    # both implementations hash the same typed data (RFC 6979 makes the signatures equal too)
    signable = encode_typed_data(full_message=rights.typed_pledge(terms))
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert answer["digest"] == "0x" + digest.hex()
    assert pledgor_sig == rights.sign_pledge(terms, HOLDER)
    assert pledgee_sig == rights.sign_pledge(terms, LENDER)

    # an altered amount does not verify against the ethers signatures
    altered = terms.replace(secured_amount=terms.secured_amount + 1)
    expect(
        rights.refused(
            AGENT, "registerPledge", [altered.as_tuple(), pledgor_sig, pledgee_sig], RELAYER
        ),
        "AgentInvalidSignature",
        signer=HOLDER.address,
    )
    receipt = rights.tx(
        AGENT, "registerPledge", [terms.as_tuple(), pledgor_sig, pledgee_sig], RELAYER
    )
    pledge_id = int(event(receipt, "PledgeRegistered").args["pledgeId"])
    assert rights.pledge(pledge_id)["securedAmount"] == terms.secured_amount
    # replayed: refused while live, and after release because the nonce advanced
    args = [terms.as_tuple(), pledgor_sig, pledgee_sig]
    expect(rights.refused(AGENT, "registerPledge", args, RELAYER), "AgentPledgeAlreadyLive")
    rights.tx(AGENT, "releasePledge", [pledge_id], LENDER)
    expect(rights.refused(AGENT, "registerPledge", args, RELAYER), "AgentBadNonce", given=0)
    # fresh ethers signatures over the next nonce are accepted again
    fresh = rights.pledge_terms(token, HOLDER.address, LENDER.address)
    assert fresh.nonce == 1
    again = ethers_sign(rights, fresh, [HOLDER, LENDER])["signatures"]
    rights.tx(
        AGENT,
        "registerPledge",
        [fresh.as_tuple(), *(bytes.fromhex(s[2:]) for s in again)],
        RELAYER,
    )


# --- contracts v2: the adversarial review's defects (issue 13) --------------------------------

REGULATOR2, STRANGER, PAUSER = dev_account(11), dev_account(12), dev_account(DEV_PAUSER_INDEX)
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
YEAR = 365 * DAY


def important_token(rights: Rights, ctx: RegistryContext, chain: ChainClient) -> int:
    return issue_certificate(ctx, chain, HOLDER, classification="important", fp=0xD1)


def approve(rights: Rights, token: int, to: LocalAccount, days: int = 30) -> Any:
    return rights.tx(
        AGENT, "approveTransfer", [token, to.address, rights.now() + days * DAY], REGULATOR
    )


def test_defect_7_an_approval_allows_one_move(
    rights: Rights, ctx: RegistryContext, chain: ChainClient
) -> None:
    """Defect 7: two regulator approvals (to BUYER and back to HOLDER) let important data go
    back and forth any number of times; now each approval is spent by the move it approves."""
    token = important_token(rights, ctx, chain)
    approved = event(approve(rights, token, BUYER), "TransferApproved").args
    assert same(approved["from"], HOLDER.address)
    assert same(approved["regulator"], REGULATOR.address)
    approve(rights, token, HOLDER)
    receipt = transfer(rights, token, HOLDER, BUYER.address)
    used = event(receipt, "TransferApprovalUsed").args
    assert used["tokenId"] == token
    assert same(used["to"], BUYER.address)
    assert same(used["from"], HOLDER.address)
    assert same(used["regulator"], REGULATOR.address)
    assert same(used["actor"], HOLDER.address)
    assert rights.call(AGENT, "transferApprovalExpiry", [token, BUYER.address]) == 0
    # BUYER -> HOLDER: the approval to HOLDER named HOLDER as the exporter, not BUYER
    expect(refused_transfer(rights, token, BUYER, HOLDER.address), "AgentApprovalRequired")
    approve(rights, token, HOLDER)
    transfer(rights, token, BUYER, HOLDER.address)
    # the approval to BUYER was spent: no second move
    expect(
        refused_transfer(rights, token, HOLDER, BUYER.address),
        "AgentApprovalRequired",
        tokenId=token,
        to=BUYER.address,
    )


def test_defect_7_an_approval_is_bound_to_the_holder_it_was_given_for(
    rights: Rights, ctx: RegistryContext, chain: ChainClient
) -> None:
    """Defect 7: an approval stayed usable by whoever held the certificate later."""
    token = important_token(rights, ctx, chain)
    approve(rights, token, BUYER)
    approve(rights, token, HEIR)
    rights.tx(AGENT, "courtOrderTransfer", [token, HEIR.address, CASE], REGULATOR)
    expect(refused_transfer(rights, token, HEIR, BUYER.address), "AgentApprovalRequired")
    # a withdrawn approval (expiry 0) is gone; a past expiry is refused when given
    withdrawn = rights.tx(AGENT, "approveTransfer", [token, BUYER.address, 0], REGULATOR)
    assert event(withdrawn, "TransferApproved").args["expiry"] == 0
    assert rights.call(AGENT, "transferApprovalExpiry", [token, BUYER.address]) == 0
    expect(
        rights.refused(AGENT, "approveTransfer", [token, BUYER.address, rights.now()], REGULATOR),
        "AgentInvalidApprovalExpiry",
    )


def test_defect_7_a_cross_border_record_names_the_exporter(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    """Defect 7: one cross-border record allowed exports by two different holders."""
    rights.set_country(ABROAD.address, "HK", REGULATOR)
    expiry = rights.now() + YEAR
    expect(
        rights.refused(
            AGENT,
            "recordCrossBorder",
            [token, ABROAD.address, (1, expiry, b"HK", h("n"), BUYER.address)],
            REGULATOR,
        ),
        "AgentNotHolder",
        tokenId=token,
        account=BUYER.address,
    )
    rights.record_cross_border(token, ABROAD.address, "HK", expiry, REGULATOR)
    transfer(rights, token, HOLDER, ABROAD.address)
    transfer(rights, token, ABROAD, BUYER.address)
    # BUYER is not the exporter the record names
    expect(
        refused_transfer(rights, token, BUYER, ABROAD.address),
        "AgentCrossBorderRecordRequired",
        tokenId=token,
        to=ABROAD.address,
    )


def test_defect_7_cross_border_records_are_validated_when_recorded(
    rights: Rights, ctx: RegistryContext, chain: ChainClient, token: int
) -> None:
    """Defect 7: a standard contract with a 50-year expiry was accepted for important data."""
    important = important_token(rights, ctx, chain)
    now = rights.now()
    latest = int(rights.call(AGENT, "CROSS_BORDER_MAX_TERM"))
    assert latest == 1096 * DAY
    for mechanism in (Mechanism.STANDARD_CONTRACT, Mechanism.CERTIFICATION, Mechanism.NONE):
        expect(
            rights.refused(
                AGENT,
                "recordCrossBorder",
                [
                    important,
                    ABROAD.address,
                    (int(mechanism), now + YEAR, b"HK", h("n"), HOLDER.address),
                ],
                REGULATOR,
            ),
            "AgentCrossBorderMechanismNotAllowed",
            tokenId=important,
            level=1,
            mechanism=mechanism,
        )
    for expiry in (now + 50 * YEAR, now - 1, now + latest + 2 * DAY):
        expect(
            rights.refused(
                AGENT,
                "recordCrossBorder",
                [important, ABROAD.address, (1, expiry, b"HK", h("n"), HOLDER.address)],
                REGULATOR,
            ),
            "AgentCrossBorderExpiryInvalid",
            expiry=expiry,
        )
    rights.record_cross_border(important, ABROAD.address, "HK", now + 3 * YEAR, REGULATOR)
    # general data may use any of the three mechanisms
    for mechanism in (Mechanism.STANDARD_CONTRACT, Mechanism.CERTIFICATION):
        rights.record_cross_border(
            token, ABROAD.address, "US", now + YEAR, REGULATOR, mechanism=mechanism
        )


def test_defect_7_a_recipient_without_a_recorded_country_is_refused(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    """Defect 7: an address with no recorded country counted as domestic (CN)."""
    assert rights.call(AGENT, "partyCountry", [STRANGER.address]) == bytes(2)
    expect(
        refused_transfer(rights, token, HOLDER, STRANGER.address),
        "AgentRecipientWithoutCountry",
        to=STRANGER.address,
    )
    expect(
        rights.refused(AGENT, "courtOrderTransfer", [token, STRANGER.address, CASE], REGULATOR),
        "AgentRecipientWithoutCountry",
    )
    expect(
        rights.refused(AGENT, "setPartyCountry", [STRANGER.address, b"c1"], REGULATOR),
        "AgentInvalidCountry",
    )
    rights.set_country(STRANGER.address, "CN", REGULATOR)
    transfer(rights, token, HOLDER, STRANGER.address)
    # clearing the country fails closed again
    rights.tx(AGENT, "setPartyCountry", [HOLDER.address, bytes(2)], REGULATOR)
    expect(
        refused_transfer(rights, token, STRANGER, HOLDER.address), "AgentRecipientWithoutCountry"
    )


def test_defect_8_only_the_freezing_regulator_or_the_admin_with_a_case_lifts_a_freeze(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    """Defect 8: a second regulator lifted the first regulator's court freeze."""
    rights.grant_regulator(REGULATOR2)
    rights.tx(AGENT, "freeze", [token, CASE], REGULATOR)
    for outsider in (REGULATOR2, HOLDER, OTHER):
        expect(
            rights.refused(AGENT, "unfreeze", [token, CASE], outsider),
            "AgentNotFreezer",
            tokenId=token,
            account=outsider.address,
            frozenBy=REGULATOR.address,
        )
    expect(
        rights.refused(AGENT, "unfreeze", [token, ZERO32], rights.admin),
        "AgentCaseReferenceRequired",
        tokenId=token,
    )
    lifted = event(rights.tx(AGENT, "unfreeze", [token, CASE], rights.admin), "CertificateUnfrozen")
    assert same(lifted.args["actor"], rights.admin.address)
    assert lifted.args["caseRef"] == hex32(CASE)
    # the freezing regulator lifts its own
    rights.tx(AGENT, "freeze", [token, CASE], REGULATOR2)
    expect(rights.refused(AGENT, "unfreeze", [token, CASE], REGULATOR), "AgentNotFreezer")
    lifted = event(rights.tx(AGENT, "unfreeze", [token, CASE], REGULATOR2), "CertificateUnfrozen")
    assert same(lifted.args["actor"], REGULATOR2.address)
    transfer(rights, token, HOLDER, BUYER.address)


def test_defect_11_consents_expire_and_can_be_withdrawn(
    rights: Rights, chain: ChainClient, token: int
) -> None:
    """Defect 11: pledgee consents never expired and could not be withdrawn."""
    pledge_id = pledged(rights, token)
    expect(
        rights.refused(
            AGENT,
            "grantConsent",
            [pledge_id, Consent.TRANSFER, BUYER.address, rights.now()],
            LENDER,
        ),
        "AgentConsentDeadlinePassed",
    )
    deadline = rights.now() + DAY
    granted = event(
        rights.consent(pledge_id, Consent.TRANSFER, BUYER.address, LENDER, deadline),
        "PledgeConsentGranted",
    ).args
    assert same(granted["pledgor"], HOLDER.address)
    assert same(granted["pledgee"], LENDER.address)
    assert granted["deadline"] == deadline
    pledgor, stored_deadline = rights.call(
        AGENT, "consentOf", [pledge_id, Consent.TRANSFER, BUYER.address]
    )
    assert same(pledgor, HOLDER.address)
    assert stored_deadline == deadline
    travel(chain, 2 * DAY)
    expect(refused_transfer(rights, token, HOLDER, BUYER.address), "AgentPledged")
    # withdrawn by the pledgee only, and only what exists
    rights.consent(pledge_id, Consent.TRANSFER, BUYER.address, LENDER)
    withdraw = [pledge_id, Consent.TRANSFER, BUYER.address]
    expect(rights.refused(AGENT, "withdrawConsent", withdraw, HOLDER), "AgentNotPledgee")
    receipt = rights.tx(AGENT, "withdrawConsent", withdraw, LENDER)
    gone = event(receipt, "PledgeConsentWithdrawn").args
    assert gone["action"] == Consent.TRANSFER
    assert same(gone["counterparty"], BUYER.address)
    assert same(gone["pledgee"], LENDER.address)
    expect(refused_transfer(rights, token, HOLDER, BUYER.address), "AgentPledged")
    expect(
        rights.refused(AGENT, "withdrawConsent", withdraw, LENDER),
        "AgentNoConsent",
        pledgeId=pledge_id,
    )


def test_defect_11_a_consent_given_to_one_pledgor_is_useless_after_a_court_order(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    """Defect 11: after a court-ordered transfer the new holder used a consent given to the
    old one (consents were keyed only by action and counterparty)."""
    pledge_id = pledged(rights, token)
    rights.consent(pledge_id, Consent.TRANSFER, BUYER.address, LENDER)
    rights.consent(pledge_id, Consent.CANCEL, HEIR.address, LENDER)
    rights.tx(AGENT, "courtOrderTransfer", [token, HEIR.address, CASE], REGULATOR)
    expect(refused_transfer(rights, token, HEIR, BUYER.address), "AgentPledged")
    expect(rights.refused(REGISTRY, "cancel", [token, h("why")], HEIR), "AgentPledged")
    # a consent given to the new pledgor works
    receipt = rights.consent(pledge_id, Consent.TRANSFER, BUYER.address, LENDER)
    assert same(event(receipt, "PledgeConsentGranted").args["pledgor"], HEIR.address)
    used = event(transfer(rights, token, HEIR, BUYER.address), "PledgeConsentUsed").args
    assert same(used["pledgor"], HEIR.address)
    assert_held_by(rights, ctx, token, BUYER.address)


def test_defect_11_a_change_consent_is_bound_to_the_pledgor_and_its_deadline(
    rights: Rights, chain: ChainClient, token: int
) -> None:
    """Defect 11 (and 4): the `Change` consent works like the others: bound to the pledgor,
    expiring, spent once (driven as the ledger, which calls `authorizeChange`)."""
    ledger = rights.registry
    pledge_id = pledged(rights, token)
    with pytest.raises(ContractRevertError) as refused:
        rights.as_module(ledger, "authorizeChange", [token, HOLDER.address])
    expect(refused.value, "AgentPledged", tokenId=token, pledgeId=pledge_id)
    rights.consent(pledge_id, Consent.CHANGE, HOLDER.address, LENDER, rights.now() + DAY)
    used = rights.as_module(ledger, "authorizeChange", [token, HOLDER.address])
    assert [e.name for e in used] == ["PledgeConsentUsed"]
    assert used[0].args["action"] == Consent.CHANGE
    with pytest.raises(ContractRevertError):  # spent
        rights.as_module(ledger, "authorizeChange", [token, HOLDER.address])
    rights.consent(pledge_id, Consent.CHANGE, HOLDER.address, LENDER, rights.now() + DAY)
    travel(chain, 2 * DAY)
    with pytest.raises(ContractRevertError):  # expired
        rights.as_module(ledger, "authorizeChange", [token, HOLDER.address])
    rights.tx(AGENT, "freeze", [token, CASE], REGULATOR)
    with pytest.raises(ContractRevertError) as refused:
        rights.as_module(ledger, "authorizeChange", [token, HOLDER.address])
    expect(refused.value, "AgentFrozen", tokenId=token)


def test_defect_3_a_pledge_is_never_live_on_an_expired_certificate(
    rights: Rights, chain: ChainClient, token: int
) -> None:
    """Defect 3: after expiry the pledge stayed live (lien search, `livePledgeOf`) and the
    pledgee could neither release nor enforce it; now it reads as settled."""
    maturity = rights.now() + 30 * DAY
    pledge_id = pledged(rights, token, maturity=maturity)
    assert list(rights.call(AGENT, "encumbrance", [token])) == [pledge_id, False]
    travel(chain, rights.valid_until(token) - rights.now() + 1)
    assert rights.live_pledge_of(token) == 0
    assert list(rights.call(AGENT, "encumbrance", [token])) == [0, False]
    assert rights.pledge(pledge_id)["status"] == PledgeStatus.SETTLED
    for function, args in (
        ("releasePledge", [pledge_id]),
        ("enforcePledge", [pledge_id, LENDER.address]),
        ("grantConsent", [pledge_id, Consent.TRANSFER, BUYER.address, rights.now() + DAY]),
    ):
        expect(
            rights.refused(AGENT, function, args, LENDER), "AgentPledgeNotLive", pledgeId=pledge_id
        )


def test_defect_3_the_ledger_settles_a_pledge_when_the_certificate_ends(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    """Defect 3: cancelling with the pledgee's consent left the pledge live on a cancelled
    certificate. A pledge reads as settled once its certificate is not in force, and the
    ledger's `settleCertificateEnd` closes it with `PledgeSettled`."""
    pledge_id = pledged(rights, token)
    rights.consent(pledge_id, Consent.CANCEL, HOLDER.address, LENDER)
    ctx.registrations.cancel(token, "retired", HOLDER)
    assert rights.live_pledge_of(token) == 0
    assert rights.pledge(pledge_id)["status"] == PledgeStatus.SETTLED
    expect(rights.refused(AGENT, "releasePledge", [pledge_id], LENDER), "AgentPledgeNotLive")
    with pytest.raises(ContractRevertError) as refused:
        rights.tx(AGENT, "settleCertificateEnd", [token, CertStatus.CANCELLED], LENDER)
    expect(refused.value, "AgentUnauthorizedModule")
    settled = rights.as_module(
        rights.registry, "settleCertificateEnd", [token, int(CertStatus.CANCELLED)]
    )
    names = [e.name for e in settled]
    if names:  # the ledger may already have settled it (registry slice); else this call does
        assert names == ["PledgeSettled"]
        assert settled[0].args["pledgeId"] == pledge_id
        assert settled[0].args["endStatus"] == CertStatus.CANCELLED
    assert rights.pledge(pledge_id)["status"] == PledgeStatus.SETTLED
    assert rights.as_module(rights.registry, "settleCertificateEnd", [token, 7]) == []


def test_defect_13_agent_events_name_their_actor(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    """Defect 13: `ImportantDataApprovalRequired`, `CertificateTransferred`,
    `PledgorChanged` and `PledgeConsentGranted` did not name who acted."""
    receipt = rights.tx(AGENT, "setImportantDataApprovalRequired", [True], rights.admin)
    assert same(event(receipt, "ImportantDataApprovalRequired").args["admin"], rights.admin.address)
    pledge_id = pledged(rights, token)
    granted = event(
        rights.consent(pledge_id, Consent.TRANSFER, BUYER.address, LENDER), "PledgeConsentGranted"
    )
    assert same(granted.args["pledgee"], LENDER.address)
    receipt = transfer(rights, token, HOLDER, BUYER.address)
    assert same(event(receipt, "CertificateTransferred").args["actor"], HOLDER.address)
    assert same(event(receipt, "PledgorChanged").args["actor"], HOLDER.address)
    receipt = rights.tx(AGENT, "courtOrderTransfer", [token, OTHER.address, CASE], REGULATOR)
    assert same(event(receipt, "CertificateTransferred").args["actor"], REGULATOR.address)
    assert same(event(receipt, "PledgorChanged").args["actor"], REGULATOR.address)


def test_a_pause_stops_every_state_change_of_the_agent_and_keeps_its_reads(
    rights: Rights, ctx: RegistryContext, token: int
) -> None:
    pledge_id = pledged(rights, token)
    fund(rights.chain, PAUSER.address)
    rights.tx("RegistryAuthority", "grantRole", [PAUSER_ROLE, PAUSER.address], rights.admin)
    rights.tx("RegistryAuthority", "pause", [], PAUSER)
    try:
        ledger = rights.registry
        for sender, function, args in (
            (HOLDER, "transfer", [token, BUYER.address, int(Reason.SALE), DOC]),
            (REGULATOR, "courtOrderTransfer", [token, BUYER.address, CASE]),
            (LENDER, "releasePledge", [pledge_id]),
            (LENDER, "enforcePledge", [pledge_id, LENDER.address]),
            (LENDER, "grantConsent", [pledge_id, 0, BUYER.address, rights.now() + DAY]),
            (LENDER, "withdrawConsent", [pledge_id, 0, BUYER.address]),
            (REGULATOR, "freeze", [token, CASE]),
            (REGULATOR, "unfreeze", [token, CASE]),
            (REGULATOR, "approveTransfer", [token, BUYER.address, rights.now() + DAY]),
            (REGULATOR, "setPartyCountry", [BUYER.address, b"CN"]),
            (rights.admin, "setImportantDataApprovalRequired", [False]),
        ):
            expect(rights.refused(AGENT, function, args, sender), "EnforcedPause")
        for function, args in (
            ("authorizeCancellation", [token, HOLDER.address]),
            ("authorizeChange", [token, HOLDER.address]),
            ("settleCertificateEnd", [token, 7]),
        ):
            with pytest.raises(ContractRevertError) as refused:
                rights.as_module(ledger, function, args)
            expect(refused.value, "EnforcedPause")
        terms = rights.pledge_terms(token, HOLDER.address, LENDER2.address)
        expect(
            rights.refused(
                AGENT,
                "registerPledge",
                [
                    terms.as_tuple(),
                    rights.sign_pledge(terms, HOLDER),
                    rights.sign_pledge(terms, LENDER2),
                ],
                RELAYER,
            ),
            "EnforcedPause",
        )
        assert rights.live_pledge_of(token) == pledge_id
        assert rights.call(AGENT, "freezeOf", [token])[0] is False
    finally:
        rights.tx("RegistryAuthority", "unpause", [], PAUSER)
    transfer_ok = rights.consent(pledge_id, Consent.TRANSFER, BUYER.address, LENDER)
    assert transfer_ok.events


def test_the_agent_keeps_its_state_in_its_erc7201_namespace(rights: Rights) -> None:
    """The ledger address sits in the first slot of `dareg.storage.TransferAgent`."""
    name = b"dareg.storage.TransferAgent"
    inner = int.from_bytes(keccak(name), "big") - 1
    slot = int.from_bytes(keccak(inner.to_bytes(32, "big")), "big") & ~0xFF
    raw = rights.chain.rpc("eth_getStorageAt", [rights.agent, hex(slot), "latest"])
    assert same("0x" + raw[-40:], rights.registry)
