"""The financier's one-call answer, checked against direct chain reads, as of a block."""

from __future__ import annotations

from datetime import timedelta

from registry.context import RegistryContext
from registry.domain.registration import Status
from tests.registry.rights.test_service import (
    bank,
    chain_now,
    grant_regulator,
    holder,
    issue,
    licence_terms,
    pledge_terms,
)


def _number(ctx: RegistryContext, token: int) -> str:
    number = ctx.registrations.get(token).certificate_number
    assert number is not None
    return number


def test_clean_certificate_is_lendable(ctx: RegistryContext) -> None:
    token = issue(ctx)
    answer = ctx.verification.verify(_number(ctx, token))
    assert answer.genuine
    assert answer.registration is not None
    assert answer.registration.status is Status.ISSUED
    assert answer.holder_name == "广州港航物流数据有限公司"
    assert answer.verdict.lendable
    assert answer.verdict.blockers == ()
    assert answer.as_of_block == ctx.client.head()


def test_pledge_freeze_and_exclusive_licence_show_up_with_reasons(ctx: RegistryContext) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    service = ctx.verification
    ctx.rights.grant_licence(token, licence_terms(ctx, exclusive=True), holder())
    before_pledge = ctx.client.head()
    pledge = ctx.rights.sign_and_register(pledge_terms(ctx, token), holder(), bank(), ctx.operator)
    answer = service.verify(number)
    assert [p.id for p in answer.pledges] == [pledge.id]
    assert [lic.exclusive for lic in answer.licences] == [True]
    assert not answer.verdict.lendable
    assert any("already pledged" in b for b in answer.verdict.blockers)
    assert any("exclusive licence" in c for c in answer.verdict.cautions)
    # as of a block before the pledge, the answer is what it was then
    earlier = service.verify(number, block=before_pledge)
    assert earlier.pledges == ()
    assert earlier.verdict.lendable
    assert earlier.as_of_block == before_pledge
    regulator = grant_regulator(ctx)
    ctx.rights.freeze(token, "（2026）粤01执保123号", regulator)
    frozen = service.verify(number)
    assert frozen.freeze is not None
    assert any("frozen" in b for b in frozen.verdict.blockers)
    # the answer equals direct reads of the chain
    assert ctx.rights.live_pledge_of(token) == frozen.pledges[0]
    assert ctx.rights.freeze_of(token).frozen


def test_loan_outlasting_the_certificate_is_a_blocker(ctx: RegistryContext) -> None:
    token = issue(ctx)
    late = chain_now(ctx.client) + timedelta(days=4 * 365)
    answer = ctx.verification.verify(_number(ctx, token), loan_maturity=late)
    assert not answer.verdict.lendable
    assert any("before the loan matures" in b for b in answer.verdict.blockers)


def test_unknown_number_is_not_genuine(ctx: RegistryContext) -> None:
    from registry.domain.numbers import certificate_number

    ghost = certificate_number(ctx.client.block().timestamp, 440, 9_999)
    answer = ctx.verification.verify(ghost)
    assert not answer.genuine
    assert not answer.verdict.lendable


def test_data_match_names_the_version(ctx: RegistryContext) -> None:
    from tests.registry.registration.conftest import metadata

    token = issue(ctx, fp=0xA1)
    number = _number(ctx, token)
    ctx.registrations.change(
        token,
        metadata(holder().address, 0xB2, rights=["holding", "processing_use", "product_operation"]),
        holder(),
    )
    service = ctx.verification
    old = service.match_data(number, bytes([0xA1]) * 32)
    assert old.matches
    assert old.version == 1
    assert not old.is_current
    new = service.match_data(number, bytes([0xB2]) * 32)
    assert new.version == 2
    assert new.is_current
    assert not service.match_data(number, bytes([0xC3]) * 32).matches


def test_after_a_transfer_no_name_is_attributed_to_the_new_holder(ctx: RegistryContext) -> None:
    from registry.certificates.document import PENDING_HOLDER_NAME
    from registry.domain.rights import TransferReason
    from tests.registry.rights.test_service import buyer

    token = issue(ctx)
    number = _number(ctx, token)
    ctx.rights.transfer(token, buyer().address, TransferReason.SALE, "转让协议", holder())
    answer = ctx.verification.verify(number)
    assert answer.registration is not None
    assert answer.registration.holder == buyer().address
    assert answer.holder_name is None  # the registered name is the seller's
    doc = ctx.certificates.document(number)
    assert doc.holder.address == buyer().address
    assert doc.holder.name == PENDING_HOLDER_NAME
