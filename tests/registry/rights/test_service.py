"""The rights service end to end against the real TransferAgent and LicenceRegistry."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError

from registry.chain.client import ChainClient, dev_account
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from registry.domain.money import format_minor
from registry.domain.registration import Right, Status
from registry.domain.rights import (
    CROSS_BORDER_MAX_TERM,
    ConsentAction,
    CrossBorderMechanism,
    LicenceStatus,
    LicenceTerms,
    PledgeStatus,
    PledgeTerms,
    Purpose,
    Territory,
    TransferReason,
    parse_voucher_number,
    voucher_number,
)
from registry.errors import (
    ContractRevertError,
    InputError,
    LicenceNotFoundError,
    MalformedNumberError,
    PledgeNotFoundError,
    RegistrationNotFoundError,
)
from registry.rights.odrl import build_policy, policy_hash, read_policy
from tests.conftest import admin as governor
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, metadata, registrar, travel

DAY = 86_400
ALL_RIGHTS = ["holding", "processing_use", "product_operation"]


# --- helpers (also used by the mirror tests) -----------------------------------------------------


def holder() -> LocalAccount:
    return dev_account(1)


def buyer() -> LocalAccount:
    return dev_account(2)


def bank() -> LocalAccount:
    return dev_account(3)


def licensee() -> LocalAccount:
    return dev_account(4)


def regulator() -> LocalAccount:
    return dev_account(5)


def sublicensee() -> LocalAccount:
    return dev_account(6)


def foreigner() -> LocalAccount:
    return dev_account(8)


def country_recorder() -> LocalAccount:
    """A regulator of its own that records the cast's countries, so :func:`regulator` holds no
    role until a test grants it one."""
    return dev_account(13)


def issue(
    ctx: RegistryContext, owner: LocalAccount | None = None, fp: int = 0xA1, **changes: Any
) -> int:
    """Issue a certificate to ``owner`` (default: :func:`holder`); its token id."""
    owner = owner or holder()
    changes.setdefault("rights", ALL_RIGHTS)
    service = ctx.registrations
    reg = service.sign_and_submit(
        metadata(owner.address, fp, **changes), REGISTRAR_CODE, owner, ctx.operator
    )
    service.accept(reg.id, registrar())
    service.open_notice(reg.id, registrar())
    travel(ctx.client, NOTICE + 1)
    token = service.issue(reg.id, registrar()).id
    record_domestic(ctx)
    return token


def grant_regulator(ctx: RegistryContext, account: LocalAccount | None = None) -> LocalAccount:
    """The admin grants the regulator role (on the authority) to ``account``."""
    account = account or regulator()
    ctx.registrations.set_regulator(account.address, governor())
    return account


#: The domestic cast (every party of these tests but :func:`foreigner`).
DOMESTIC = (holder, buyer, bank, licensee, sublicensee)


def record_domestic(ctx: RegistryContext) -> None:
    """Record CN for the domestic cast, once per chain: a move to a party without a recorded
    country fails closed (contracts v2), and recording a party's country is a regulator's act
    (the admin grants :func:`country_recorder` the role for it, so that :func:`regulator` is not
    one until a test grants it)."""
    if ctx.rights.party_country(bank().address) is None:
        reg = grant_regulator(ctx, country_recorder())
        for party in DOMESTIC:
            ctx.rights.set_party_country(party().address, "CN", reg)


def chain_now(chain: ChainClient) -> datetime:
    return datetime.fromtimestamp(chain.block().timestamp, tz=UTC)


def pledge_terms(ctx: RegistryContext, token: int, days: int = 180, **changes: Any) -> PledgeTerms:
    base: dict[str, Any] = {
        "token_id": token,
        "pledgee": bank().address,
        "secured_amount": 5_000_000_00,
        "currency": "CNY",
        "loan_reference": "粤农信贷字2026第0042号",
        "maturity": chain_now(ctx.client) + timedelta(days=days),
    }
    base.update(changes)
    return PledgeTerms.model_validate(base)


def licence_terms(
    ctx: RegistryContext, to: LocalAccount | None = None, days: int = 365, **changes: Any
) -> LicenceTerms:
    now = chain_now(ctx.client)
    base: dict[str, Any] = {
        "licensee": (to or licensee()).address,
        "right": "processing_use",
        "purposes": ["internal_analysis", "model_training", "research"],
        "territories": ["mainland_china", "hong_kong"],
        "start": now,
        "end": now + timedelta(days=days),
        "sublicensable": True,
        "fee_terms": "每年许可费人民币 120,000 元，按季度支付",
    }
    base.update(changes)
    return LicenceTerms.model_validate(base)


class Refusal:
    """Like ``pytest.raises(ContractRevertError)``, and the error must be ``name`` (with HTTP
    ``status`` if given); ``error`` holds it afterwards."""

    def __init__(self, name: str, status: int | None) -> None:
        self.name = name
        self.status = status
        self._raises = pytest.raises(ContractRevertError)

    def __enter__(self) -> Refusal:
        self._info = self._raises.__enter__()
        return self

    def __exit__(self, *exc: Any) -> bool:
        handled = self._raises.__exit__(*exc)
        self.error = self._info.value
        assert self.error.error_name == self.name, str(self.error)
        if self.status is not None:
            assert self.error.http_status == self.status, (self.name, self.error.http_status)
        return bool(handled)


def refused(name: str, status: int | None = None) -> Refusal:
    return Refusal(name, status)


# --- domain ------------------------------------------------------------------------------------


def test_voucher_numbers_have_a_check_digit() -> None:
    granted = int(datetime(2026, 12, 31, 16, 30, tzinfo=UTC).timestamp())  # 2027 in UTC+8
    number = voucher_number(granted, Right.PRODUCT_OPERATION, True, 42)
    assert number.startswith("202741000000042")
    assert len(number) == 16
    parsed = parse_voucher_number(number[:4] + "-" + number[4:])
    assert (parsed.year, parsed.right, parsed.exclusive, parsed.licence_id) == (
        2027,
        Right.PRODUCT_OPERATION,
        True,
        42,
    )
    typo = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    with pytest.raises(MalformedNumberError, match="mistyped"):
        parse_voucher_number(typo)
    with pytest.raises(MalformedNumberError, match="16 digits"):
        parse_voucher_number("2027")


def test_terms_are_validated_with_clear_messages(ctx: RegistryContext) -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        pledge_terms(ctx, 1, currency="RMB")
    with pytest.raises(ValidationError, match="token_id or by certificate_number"):
        pledge_terms(ctx, 1, certificate_number="20260110100000429")
    with pytest.raises(ValidationError, match="not an Ethereum address"):
        pledge_terms(ctx, 1, pledgee="0x12")
    with pytest.raises(ValidationError, match="timezone"):
        pledge_terms(ctx, 1, maturity=datetime(2027, 1, 1))
    assert pledge_terms(ctx, 1, currency="usd").currency == "USD"
    assert format_minor(5_000_000_00, "CNY") == "5000000.00"
    assert format_minor(1200, "JPY") == "1200"
    with pytest.raises(ValidationError, match="holding right is transferred"):
        licence_terms(ctx, right="holding")
    with pytest.raises(ValidationError, match="end after it starts"):
        licence_terms(ctx, days=0)
    with pytest.raises(ValidationError, match="listed once"):
        licence_terms(ctx, purposes=["research", "research"])
    with pytest.raises(ValidationError, match="purposes"):
        licence_terms(ctx, purposes=["mining"])
    terms = licence_terms(ctx, territories=["hong_kong", "mainland_china"])
    assert terms.territories == [Territory.MAINLAND_CHINA, Territory.HONG_KONG]
    assert terms.territory_mask == 0b11
    assert terms.purpose_mask == (1 << 0) | (1 << 2) | (1 << 8)


def test_contract_refusals_map_to_http_statuses() -> None:
    cases = {
        "AgentNotHolder": 403,
        "AgentNotPledgee": 403,
        "AgentNotRegulator": 403,
        "LicenceNotLicensee": 403,
        "LicenceNotParty": 403,
        "LedgerTransferViaAgentOnly": 403,
        "LicenceUnknown": 404,
        "AgentFrozen": 409,
        "AgentNotFrozen": 409,
        "AgentPledged": 409,
        "AgentPledgeAlreadyLive": 409,
        "AgentPledgeNotMatured": 409,
        "AgentNotIssued": 409,
        "AgentApprovalRequired": 409,
        "AgentCrossBorderRecordRequired": 409,
        "AgentRecipientWithoutCountry": 409,
        "AgentNoConsent": 409,
        "AgentNotFreezer": 403,
        "AgentNotAdmin": 403,
        "AgentCrossBorderExpiryInvalid": 422,
        "AgentCrossBorderMechanismNotAllowed": 422,
        "LicenceExclusiveConflict": 409,
        "LicenceCertificateNotIssued": 409,
        "LicenceParentNotActive": 409,
        "AgentInvalidSignature": 422,
        "LicenceExceedsParent": 422,
    }
    for name, status in cases.items():
        assert ContractRevertError(name, {}).http_status == status, name


# --- transfers ---------------------------------------------------------------------------------


def test_the_holder_transfers_with_a_reason_and_a_document(ctx: RegistryContext) -> None:
    token = issue(ctx)
    rights = ctx.rights
    moved = rights.transfer(token, buyer().address, "sale", "数据资产转让合同 No. 7", holder())
    assert (moved.token_id, moved.from_, moved.to, moved.reason) == (
        token,
        holder().address,
        buyer().address,
        TransferReason.SALE,
    )
    assert (
        moved.document_hash == "0x" + hashlib.sha256("数据资产转让合同 No. 7".encode()).hexdigest()
    )
    assert rights.documents.get(bytes.fromhex(moved.document_hash[2:])) is not None
    assert ctx.registrations.get(token).holder == buyer().address  # the holder follows the token
    owner = ctx.client.call(
        "DataAssetRegistry", ctx.registrations.contract_address, "ownerOf", [token]
    )
    assert owner == buyer().address
    assert rights.holder_of(token) == buyer().address
    # the former holder can no longer move it; a holder cannot claim a court order
    with refused("AgentNotHolder", 403):
        rights.transfer(token, holder().address, TransferReason.SALE, None, holder())
    with pytest.raises(InputError, match="court order"):
        rights.transfer(token, holder().address, TransferReason.COURT_ORDER, None, buyer())
    # plain ERC-721 transfers are disabled: only the transfer agent moves certificates
    # (contracts v2: refused with the standard EIP-6093 error any wallet can read)
    with refused("ERC721InsufficientApproval", 403):
        ctx.client.transact(
            "DataAssetRegistry",
            ctx.registrations.contract_address,
            "transferFrom",
            [buyer().address, holder().address, token],
            buyer(),
        )
    inherited = rights.transfer(token, holder().address, "inheritance", None, buyer())
    assert inherited.document_hash is None
    with pytest.raises(RegistrationNotFoundError):
        rights.holder_of(999)


def test_an_expired_certificate_does_not_move(ctx: RegistryContext) -> None:
    token = issue(ctx)
    travel(ctx.client, 3 * 365 * DAY + DAY)
    assert ctx.registrations.get(token).status is Status.EXPIRED
    with refused("AgentNotIssued", 409):
        ctx.rights.transfer(token, buyer().address, "sale", None, holder())


def test_important_data_needs_approval_and_abroad_a_cross_border_record(
    ctx: RegistryContext,
) -> None:
    token = issue(ctx, classification="important")
    rights = ctx.rights
    reg = grant_regulator(ctx)
    assert rights.important_data_approval_required()
    with refused("AgentApprovalRequired", 409):
        rights.transfer(token, buyer().address, "sale", None, holder())
    expiry = chain_now(ctx.client) + timedelta(days=30)
    rights.approve_transfer(token, buyer().address, expiry, reg)
    assert rights.transfer_approval_expiry(token, buyer().address) == expiry.replace(microsecond=0)
    with refused("AgentNotRegulator", 403):
        rights.approve_transfer(token, foreigner().address, expiry, holder())
    rights.transfer(token, buyer().address, "sale", None, holder())

    # abroad: a general certificate to a party recorded as being in the US
    general = issue(ctx, fp=0xA2)
    rights.set_party_country(foreigner().address, "us", reg)
    assert rights.party_country(foreigner().address) == "US"
    assert rights.party_country(buyer().address) == "CN"
    with refused("AgentCrossBorderRecordRequired", 409):
        rights.transfer(general, foreigner().address, "sale", None, holder())
    with pytest.raises(InputError, match="mechanism"):
        rights.record_cross_border(general, foreigner().address, "none", "X", expiry, "US", reg)
    with pytest.raises(InputError, match="alpha-2"):
        rights.record_cross_border(
            general, foreigner().address, "standard_contract", "X", expiry, "USA", reg
        )
    record = rights.record_cross_border(
        general,
        foreigner().address,
        CrossBorderMechanism.SECURITY_ASSESSMENT,
        "国网信出境安评〔2026〕17号",
        expiry,
        "US",
        reg,
    )
    assert (record.mechanism, record.country, record.expiry) == (
        CrossBorderMechanism.SECURITY_ASSESSMENT,
        "US",
        expiry.replace(microsecond=0),
    )
    assert record.approval_number_hash is not None
    assert record.valid_at(chain_now(ctx.client))
    rights.transfer(general, foreigner().address, "sale", None, holder())
    assert rights.holder_of(general) == foreigner().address
    # the record is per recipient: another foreign party needs its own
    rights.set_party_country(sublicensee().address, "DE", reg)
    with refused("AgentCrossBorderRecordRequired"):
        rights.transfer(general, sublicensee().address, "sale", None, foreigner())
    assert record.exporter == holder().address
    # cleared: no country, so nothing moves to the party (fail closed)
    rights.transfer(general, buyer().address, "sale", None, foreigner())
    rights.set_party_country(foreigner().address, None, reg)
    assert rights.party_country(foreigner().address) is None
    with refused("AgentRecipientWithoutCountry", 409):
        rights.transfer(general, foreigner().address, "sale", None, buyer())


def test_cross_border_records_are_checked_before_the_chain_as_the_contract_checks_them(
    ctx: RegistryContext,
) -> None:
    """Defect 7 (service side): the three-year term, the mechanism allowed for important data
    and a foreign country are refused with clear messages; the term is the contract's."""
    rights = ctx.rights
    reg = grant_regulator(ctx)
    important = issue(ctx, classification="important")
    term = int(ctx.client.read("TransferAgent", rights.agent_address, "CROSS_BORDER_MAX_TERM", []))
    assert timedelta(seconds=term) == CROSS_BORDER_MAX_TERM
    now = chain_now(ctx.client)
    to = foreigner().address
    with pytest.raises(InputError, match="three years"):
        rights.record_cross_border(
            important, to, "security_assessment", "X", now + timedelta(days=50 * 365), "US", reg
        )
    with pytest.raises(InputError, match="three years"):
        rights.record_cross_border(
            important, to, "security_assessment", "X", now - timedelta(days=1), "US", reg
        )
    with pytest.raises(InputError, match="security assessment"):
        rights.record_cross_border(
            important, to, "standard_contract", "X", now + timedelta(days=365), "US", reg
        )
    with pytest.raises(InputError, match="foreign"):
        rights.record_cross_border(
            important, to, "security_assessment", "X", now + timedelta(days=365), "CN", reg
        )
    record = rights.record_cross_border(
        important, to, "security_assessment", "X", now + timedelta(days=3 * 365), "US", reg
    )
    assert record.exporter == holder().address
    assert record.valid_at(chain_now(ctx.client), holder().address)
    assert not record.valid_at(chain_now(ctx.client), buyer().address)


# --- freezes -----------------------------------------------------------------------------------


def test_a_freeze_stops_everything_but_a_court_order(ctx: RegistryContext) -> None:
    token = issue(ctx)
    rights = ctx.rights
    with refused("AgentNotRegulator", 403):
        rights.freeze(token, "(2026)粤01执保123号", holder())
    reg = grant_regulator(ctx)
    with pytest.raises(InputError, match="case reference"):
        rights.freeze(token, "  ", reg)
    frozen = rights.freeze(token, "(2026)粤01执保123号", reg)
    assert frozen.frozen
    assert frozen.by == reg.address
    assert frozen.case_ref == "0x" + hashlib.sha256("(2026)粤01执保123号".encode()).hexdigest()
    assert frozen.since is not None
    with refused("AgentFrozen", 409):
        rights.freeze(token, "again", reg)
    with refused("AgentFrozen", 409):
        rights.transfer(token, buyer().address, "sale", None, holder())
    with refused("AgentFrozen", 409):
        rights.sign_and_register(pledge_terms(ctx, token), holder(), bank(), ctx.operator)
    with refused("AgentFrozen", 409):
        rights.grant_licence(token, licence_terms(ctx), holder())
    with refused("AgentFrozen", 409):
        ctx.registrations.cancel(token, "不再经营", holder())
    ordered = rights.court_order_transfer(token, buyer().address, "(2026)粤01执123号", reg)
    assert ordered.reason is TransferReason.COURT_ORDER
    assert ordered.to == buyer().address
    assert rights.freeze_of(token).frozen  # the freeze stays with the certificate
    thawed = rights.unfreeze(token, "(2026)粤01执保123号之一", reg)
    assert (thawed.frozen, thawed.by, thawed.case_ref, thawed.since) == (False, None, None, None)
    with refused("AgentNotFrozen", 409):
        rights.unfreeze(token, "x", reg)
    rights.transfer(token, holder().address, "sale", None, buyer())


# --- pledges -----------------------------------------------------------------------------------


def test_a_pledge_needs_both_signatures_and_blocks_movement(ctx: RegistryContext) -> None:
    token = issue(ctx)
    rights = ctx.rights
    terms = pledge_terms(ctx, token)
    balances = (ctx.client.balance(holder().address), ctx.client.balance(bank().address))
    pledge = rights.sign_and_register(terms, holder(), bank(), ctx.operator)
    assert (ctx.client.balance(holder().address), ctx.client.balance(bank().address)) == balances
    assert (pledge.token_id, pledge.pledgor, pledge.pledgee, pledge.status) == (
        token,
        holder().address,
        bank().address,
        PledgeStatus.LIVE,
    )
    assert (pledge.secured_amount, pledge.currency, pledge.amount_text) == (
        5_000_000_00,
        "CNY",
        "5000000.00 CNY",
    )
    assert pledge.maturity == terms.maturity
    assert pledge.loan_ref == "0x" + hashlib.sha256(terms.loan_reference.encode()).hexdigest()
    assert rights.documents.get(bytes.fromhex(pledge.loan_ref[2:])) is not None
    assert rights.live_pledge_of(token) == pledge
    assert rights.pledge_nonce(token) == 1
    # first to file: no second live pledge
    with refused("AgentPledgeAlreadyLive", 409):
        rights.sign_and_register(
            pledge_terms(ctx, token, pledgee=buyer().address), holder(), buyer(), ctx.operator
        )
    # no transfer, cancellation or exclusive licence without the pledgee's consent
    with refused("AgentPledged", 409):
        rights.transfer(token, buyer().address, "sale", None, holder())
    with refused("AgentPledged", 409):
        ctx.registrations.cancel(token, None, holder())
    with refused("AgentPledged", 409):
        rights.grant_licence(token, licence_terms(ctx, exclusive=True), holder())
    rights.grant_licence(token, licence_terms(ctx), holder())  # non-exclusive needs no consent
    soon = chain_now(ctx.client) + timedelta(days=7)
    with refused("AgentNotPledgee", 403):
        rights.grant_consent(pledge.id, ConsentAction.TRANSFER, buyer().address, soon, holder())
    with pytest.raises(InputError, match="deadline"):
        rights.grant_consent(pledge.id, "transfer", buyer().address, chain_now(ctx.client), bank())
    consent = rights.grant_consent(pledge.id, "transfer", buyer().address, soon, bank())
    assert consent.pledgor == holder().address
    assert consent.deadline == soon.replace(microsecond=0)
    assert consent.usable_by(holder().address, chain_now(ctx.client))
    with refused("AgentPledged"):  # consent is for one counterparty
        rights.transfer(token, licensee().address, "sale", None, holder())
    rights.transfer(token, buyer().address, "sale", None, holder())
    moved = rights.pledge(pledge.id)
    assert moved.pledgor == buyer().address  # the pledge follows the certificate
    assert moved.status is PledgeStatus.LIVE
    with refused("AgentPledged"):  # a consent is used once
        rights.transfer(token, holder().address, "sale", None, buyer())
    # release: only by the pledgee
    with refused("AgentNotPledgee", 403):
        rights.release(pledge.id, buyer())
    released = rights.release(pledge.id, bank())
    assert released.status is PledgeStatus.RELEASED
    assert rights.live_pledge_of(token) is None
    with refused("AgentPledgeNotLive", 409):
        rights.release(pledge.id, bank())
    with pytest.raises(PledgeNotFoundError):
        rights.pledge(999)
    rights.transfer(token, holder().address, "sale", None, buyer())


def test_pledge_consents_signed_apart_are_relayed_and_cannot_be_replayed(
    ctx: RegistryContext,
) -> None:
    token = issue(ctx)
    rights = ctx.rights
    number = ctx.registrations.get(token).certificate_number
    assert number is not None
    deadline = chain_now(ctx.client) + timedelta(hours=1)
    terms = pledge_terms(ctx, token, token_id=None, certificate_number=number, deadline=deadline)
    with pytest.raises(InputError, match="deadline"):
        rights.pledge_typed_data(terms.model_copy(update={"deadline": None}))
    typed = rights.pledge_typed_data(terms)
    assert typed["domain"] == {
        "name": "dareg.TransferAgent",
        "version": "1",
        "chainId": ctx.manifest.chain_id,
        "verifyingContract": rights.agent_address,
    }
    assert [f["name"] for f in typed["types"]["Pledge"]] == [
        "tokenId",
        "pledgor",
        "pledgee",
        "securedAmount",
        "currency",
        "loanRef",
        "maturity",
        "nonce",
        "deadline",
    ]
    message = typed["message"]
    assert (message["tokenId"], message["pledgor"], message["currency"], message["nonce"]) == (
        token,
        holder().address,
        "0x434e59",
        0,
    )
    # each party signs on its own; a third party relays and pays
    by_holder = sign_typed_data(typed, holder())
    by_bank = sign_typed_data(typed, bank())
    # altered terms or swapped signatures are refused
    altered = terms.model_copy(update={"secured_amount": terms.secured_amount + 1})
    with refused("AgentInvalidSignature", 422):
        rights.register_pledge(altered, by_holder, by_bank, ctx.operator)
    with refused("AgentInvalidSignature"):
        rights.register_pledge(terms, by_bank, by_holder, ctx.operator)
    pledge = rights.register_pledge(terms, by_holder, by_bank, ctx.operator)
    assert pledge.secured_amount == terms.secured_amount
    rights.release(pledge.id, bank())
    # replaying the spent consents: the nonce moved on
    with refused("AgentBadNonce", 409):
        rights.register_pledge(terms, by_holder, by_bank, ctx.operator, nonce=0)
    with refused("AgentInvalidSignature"):
        rights.register_pledge(terms, by_holder, by_bank, ctx.operator)
    # expired signatures
    travel(ctx.client, 2 * 3600)
    typed = rights.pledge_typed_data(terms)
    with refused("AgentExpiredSignature"):
        rights.register_pledge(
            terms, sign_typed_data(typed, holder()), sign_typed_data(typed, bank()), ctx.operator
        )


def test_pledge_terms_the_contract_refuses(ctx: RegistryContext) -> None:
    token = issue(ctx)
    rights = ctx.rights
    valid_until = ctx.registrations.get(token).valid_until
    assert valid_until is not None
    with refused("AgentPledgeOutlastsCertificate", 409):
        rights.sign_and_register(
            pledge_terms(ctx, token, maturity=valid_until + timedelta(days=1)),
            holder(),
            bank(),
            ctx.operator,
        )
    with refused("AgentPledgeMaturityPassed"):
        rights.sign_and_register(
            pledge_terms(ctx, token, maturity=chain_now(ctx.client) - timedelta(days=1)),
            holder(),
            bank(),
            ctx.operator,
        )
    with refused("AgentNotHolder", 403):  # only the holder pledges
        rights.sign_and_register(
            pledge_terms(ctx, token, pledgee=bank().address), buyer(), bank(), ctx.operator
        )
    with refused("AgentInvalidPledgeTerms"):
        rights.sign_and_register(
            pledge_terms(ctx, token, pledgee=holder().address), holder(), holder(), ctx.operator
        )
    with pytest.raises(InputError, match="terms name pledgee"):
        rights.sign_and_register(pledge_terms(ctx, token), holder(), buyer(), ctx.operator)


def test_after_maturity_the_pledgee_enforces(ctx: RegistryContext) -> None:
    token = issue(ctx)
    rights = ctx.rights
    pledge = rights.sign_and_register(
        pledge_terms(ctx, token, days=30), holder(), bank(), ctx.operator
    )
    with refused("AgentPledgeNotMatured", 409):
        rights.enforce(pledge.id, bank().address, bank())
    travel(ctx.client, 31 * DAY)
    with refused("AgentNotPledgee", 403):
        rights.enforce(pledge.id, holder().address, holder())
    enforced = rights.enforce(pledge.id, buyer().address, bank())  # a buyer the bank named
    assert enforced.status is PledgeStatus.ENFORCED
    assert rights.holder_of(token) == buyer().address
    assert rights.live_pledge_of(token) is None
    # the enforcement is recorded as such, with the pledge id as its document
    logs = ctx.client.get_logs([rights.agent_address], 0, ctx.client.head())
    moves = [e for e in ctx.client.decode(logs) if e.name == "CertificateTransferred"]
    assert moves[-1].args["reason"] == TransferReason.PLEDGE_ENFORCEMENT.chain
    assert int(moves[-1].args["documentHash"], 16) == pledge.id


def test_cancelling_a_pledged_certificate_needs_the_pledgees_consent(
    ctx: RegistryContext,
) -> None:
    token = issue(ctx)
    rights = ctx.rights
    pledge = rights.sign_and_register(pledge_terms(ctx, token), holder(), bank(), ctx.operator)
    with refused("AgentPledged"):
        ctx.registrations.cancel(token, "停止运营", holder())
    soon = chain_now(ctx.client) + timedelta(days=7)
    rights.grant_consent(pledge.id, ConsentAction.CANCEL, holder().address, soon, bank())
    rights.withdraw_consent(pledge.id, ConsentAction.CANCEL, holder().address, bank())
    assert rights.consent_of(pledge.id, "cancel", holder().address).pledgor is None
    with refused("AgentPledged"):  # withdrawn
        ctx.registrations.cancel(token, "停止运营", holder())
    with refused("AgentNoConsent", 409):
        rights.withdraw_consent(pledge.id, ConsentAction.CANCEL, holder().address, bank())
    rights.grant_consent(pledge.id, ConsentAction.CANCEL, holder().address, soon, bank())
    assert ctx.registrations.cancel(token, "停止运营", holder()).status is Status.CANCELLED


# --- licences ----------------------------------------------------------------------------------


def test_a_licence_records_its_terms_and_gets_a_voucher_number(ctx: RegistryContext) -> None:
    token = issue(ctx)
    rights = ctx.rights
    terms = licence_terms(ctx)
    licence = rights.grant_licence(token, terms, holder())
    assert (licence.token_id, licence.parent_id, licence.licensor, licence.licensee) == (
        token,
        None,
        holder().address,
        licensee().address,
    )
    assert (licence.right, licence.exclusive, licence.sublicensable) == (
        Right.PROCESSING_USE,
        False,
        True,
    )
    assert licence.purposes == frozenset(terms.purposes)
    assert licence.territories == {Territory.MAINLAND_CHINA, Territory.HONG_KONG}
    assert (licence.start, licence.end) == (terms.start, terms.end)
    assert licence.status is LicenceStatus.ACTIVE
    assert licence.live
    # the voucher number: computed like the contract, with a check digit
    on_chain = rights._call("LicenceRegistry", "voucherNumber", [licence.id])
    assert licence.voucher_number == str(on_chain)
    parsed = parse_voucher_number(licence.voucher_number)
    assert (parsed.right, parsed.exclusive, parsed.licence_id) == (
        Right.PROCESSING_USE,
        False,
        licence.id,
    )
    # the ODRL policy is stored and hashes to the chain's termsHash
    policy = rights.policy_document(licence)
    assert "0x" + policy_hash(policy).hex() == licence.terms_hash
    stated = read_policy(policy)
    assert (
        stated.target == f"urn:dareg:certificate:{ctx.registrations.get(token).certificate_number}"
    )
    assert stated.assignee.endswith(licensee().address)
    assert rights.fee_terms(licence) == terms.fee_terms
    assert rights.licences_of(token) == [licence]
    assert rights.live_licences_of(token) == [licence]
    with pytest.raises(LicenceNotFoundError):
        rights.licence(999)
    # expiry by time
    travel(ctx.client, 366 * DAY)
    assert not rights.licence(licence.id).live
    assert rights.live_licences_of(token) == []


def test_licences_the_contract_refuses(ctx: RegistryContext) -> None:
    token = issue(ctx, rights=["holding", "processing_use"])
    rights = ctx.rights
    with refused("LicenceRightNotCertified"):
        rights.grant_licence(token, licence_terms(ctx, right="product_operation"), holder())
    with refused("LicenceNotHolder", 403):
        rights.grant_licence(token, licence_terms(ctx), buyer())
    with refused("LicenceInvalidLicensee"):
        rights.grant_licence(token, licence_terms(ctx, holder()), holder())
    with refused("LicenceOutlastsCertificate", 409):
        rights.grant_licence(token, licence_terms(ctx, days=4 * 365), holder())
    # an exclusive licence conflicts with any other live licence of the same right
    first = rights.grant_licence(token, licence_terms(ctx), holder())
    with refused("LicenceExclusiveConflict", 409):
        rights.grant_licence(token, licence_terms(ctx, buyer(), exclusive=True), holder())
    rights.terminate(first.id, "合作终止", licensee())
    exclusive = rights.grant_licence(token, licence_terms(ctx, buyer(), exclusive=True), holder())
    assert exclusive.exclusive
    assert parse_voucher_number(exclusive.voucher_number).exclusive
    with refused("LicenceExclusiveConflict", 409):
        rights.grant_licence(token, licence_terms(ctx), holder())
    policy = rights.policy_document(exclusive)
    assert [o["action"] for o in policy["obligation"]] == ["ensureExclusivity"]


def test_sublicences_stay_inside_their_parent(ctx: RegistryContext) -> None:
    token = issue(ctx)
    rights = ctx.rights
    parent = rights.grant_licence(token, licence_terms(ctx, days=200), holder())
    sub_terms = licence_terms(
        ctx,
        sublicensee(),
        days=100,
        purposes=["research"],
        territories=["mainland_china"],
        sublicensable=False,
        fee_terms=None,
    )
    for wider, field in (
        ({"purposes": [Purpose.RESEARCH, Purpose.MARKETING]}, "purposes"),
        ({"territories": [Territory.EU]}, "territories"),
        ({"end": parent.end + timedelta(days=1)}, "term"),
        ({"right": Right.PRODUCT_OPERATION}, "right"),
    ):
        with refused("LicenceExceedsParent", 422) as refusal:
            rights.grant_sublicence(parent.id, sub_terms.model_copy(update=wider), licensee())
        assert refusal.error.args_by_name["field"] == field
    with refused("LicenceNotLicensee", 403):
        rights.grant_sublicence(parent.id, sub_terms, holder())
    sub = rights.grant_sublicence(parent.id, sub_terms, licensee())
    assert (sub.parent_id, sub.token_id, sub.licensor, sub.licensee) == (
        parent.id,
        token,
        licensee().address,
        sublicensee().address,
    )
    assert sub.live
    assert rights.fee_terms(sub) is None
    sub_policy = rights.policy_document(sub)
    assert [p["action"] for p in sub_policy["prohibition"]] == ["grantUse"]
    # a sublicence that is not sublicensable ends the chain
    with refused("LicenceNotSublicensable"):
        rights.grant_sublicence(
            sub.id, sub_terms.model_copy(update={"licensee": buyer().address}), sublicensee()
        )
    # a party terminates; the sublicence stops being live with its parent
    with refused("LicenceNotParty", 403):
        rights.terminate(parent.id, None, buyer())
    terminated = rights.terminate(parent.id, "许可方终止", holder())
    assert terminated.status is LicenceStatus.TERMINATED
    assert not rights.licence(sub.id).live
    assert rights.licence(sub.id).status is LicenceStatus.ACTIVE
    with refused("LicenceNotActive", 409):
        rights.terminate(parent.id, None, holder())
    with refused("LicenceParentNotActive", 409):
        rights.grant_sublicence(parent.id, sub_terms, licensee())
    assert [x.id for x in rights.licences_of(token)] == [parent.id, sub.id]
    assert rights.live_licences_of(token) == []


def test_a_policy_written_by_the_client_must_state_the_terms(ctx: RegistryContext) -> None:
    token = issue(ctx)
    rights = ctx.rights
    terms = licence_terms(ctx, fee_terms=None)
    number = ctx.registrations.get(token).certificate_number
    assert number is not None
    from registry.rights.odrl import PolicyStatement, certificate_iri

    statement = PolicyStatement.of_terms(
        terms,
        uid="urn:example:agreement:7",
        chain_id=ctx.manifest.chain_id,
        licensor=holder().address,
        target=certificate_iri(number),
    )
    policy = build_policy(statement)
    policy["permission"][0]["duty"] = [{"action": "attribute"}]
    # the same policy with a wider purpose is refused, naming the difference
    wider = build_policy(replace(statement, purposes=frozenset(Purpose)))
    with pytest.raises(InputError, match="purposes: the policy states"):
        rights.grant_licence(token, terms.model_copy(update={"odrl": wider}), holder())
    licence = rights.grant_licence(token, terms.model_copy(update={"odrl": policy}), holder())
    stored = rights.policy_document(licence)
    assert stored == policy
    assert stored["uid"] == "urn:example:agreement:7"
    assert licence.terms_hash == "0x" + policy_hash(policy).hex()


def test_reads_answer_as_of_a_block(ctx: RegistryContext) -> None:
    token = issue(ctx)
    rights = ctx.rights
    reg = grant_regulator(ctx)
    before = ctx.client.head()
    pledge = rights.sign_and_register(pledge_terms(ctx, token), holder(), bank(), ctx.operator)
    licence = rights.grant_licence(token, licence_terms(ctx), holder())
    rights.freeze(token, "案号 1", reg)
    pledged = ctx.client.head()
    rights.release(pledge.id, bank())
    rights.terminate(licence.id, None, holder())
    rights.unfreeze(token, "案号 1", reg)
    assert rights.live_pledge_of(token, before) is None
    assert rights.live_pledge_of(token, pledged) == pledge
    assert rights.live_pledge_of(token) is None
    assert rights.pledge(pledge.id, pledged).status is PledgeStatus.LIVE
    assert rights.pledge(pledge.id).status is PledgeStatus.RELEASED
    with pytest.raises(PledgeNotFoundError):
        rights.pledge(pledge.id, before)
    assert rights.freeze_of(token, pledged).frozen
    assert not rights.freeze_of(token, before).frozen
    assert not rights.freeze_of(token).frozen
    assert rights.live_licences_of(token, pledged) == [rights.licence(licence.id, pledged)]
    assert rights.licence(licence.id, pledged).status is LicenceStatus.ACTIVE
    assert rights.licence(licence.id).status is LicenceStatus.TERMINATED
    assert rights.licences_of(token, before) == []
    with pytest.raises(LicenceNotFoundError):
        rights.licence(licence.id, before)
    assert rights.pledge_nonce(token, before) == 0
