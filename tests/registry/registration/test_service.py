"""The registration service end to end against the real contract."""

from __future__ import annotations

import pytest

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.domain.numbers import parse_certificate_number
from registry.domain.registration import AssetMetadata, Right, Status
from registry.errors import (
    CertificateNotFoundError,
    ContractRevertError,
    InputError,
    MalformedNumberError,
    RegistrationNotFoundError,
)
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, metadata, registrar, travel


def _issue(ctx: RegistryContext, chain: ChainClient, holder_index: int = 1, fp: int = 0xA1) -> int:
    holder = dev_account(holder_index)
    reg = ctx.registrations.sign_and_submit(
        metadata(holder.address, fp), REGISTRAR_CODE, holder, ctx.operator
    )
    ctx.registrations.accept(reg.id, registrar())
    ctx.registrations.open_notice(reg.id, registrar())
    travel(chain, NOTICE + 1)
    return ctx.registrations.issue(reg.id, registrar()).id


def test_gasless_application_through_issuance(ctx: RegistryContext, chain: ChainClient) -> None:
    holder = dev_account(1)
    balance = chain.balance(holder.address)
    doc = metadata(holder.address)
    reg = ctx.registrations.sign_and_submit(doc, REGISTRAR_CODE, holder, ctx.operator)
    assert chain.balance(holder.address) == balance  # the registrant paid no gas
    assert reg.status is Status.SUBMITTED
    assert reg.holder == holder.address
    assert reg.rights == frozenset({Right.HOLDING, Right.PROCESSING_USE})
    assert reg.metadata_hash == "0x" + doc.digest().hex()
    assert len(reg.registration_number) == 16
    assert ctx.registrations.by_registration_number(reg.registration_number).id == reg.id
    assert ctx.registrations.metadata(reg) == doc  # the stored document hashes to the chain's

    ctx.registrations.accept(reg.id, registrar())
    noticed = ctx.registrations.open_notice(reg.id, registrar())
    assert noticed.status is Status.IN_NOTICE
    with pytest.raises(ContractRevertError) as early:
        ctx.registrations.issue(reg.id, registrar())
    assert early.value.error_name == "RegistryNoticeWindowOpen"
    assert early.value.http_status == 409
    travel(chain, NOTICE + 1)
    issued = ctx.registrations.issue(reg.id, registrar())
    assert issued.status is Status.ISSUED
    number = issued.certificate_number
    assert number is not None
    assert parse_certificate_number(number).registrar_code == REGISTRAR_CODE
    assert ctx.registrations.by_certificate_number(number).id == reg.id
    assert issued.valid_until is not None
    assert issued.notice_start is not None
    assert (issued.valid_until - issued.notice_start).days == 3 * 365


def test_metadata_validation_messages_are_clear() -> None:
    holder = dev_account(1).address
    with pytest.raises(ValueError, match="core data"):
        metadata(holder, classification="core")
    with pytest.raises(ValueError, match="must name the registered assets"):
        metadata(holder, asset_kind="product")
    with pytest.raises(ValueError, match="check character"):
        metadata(
            holder,
            holder={
                "name": "x",
                "identifier_type": "uscc",
                "identifier": "91350100M000100Y44",
                "address": holder,
            },
        )
    with pytest.raises(ValueError, match="6-digit"):
        metadata(holder, region="4401")


def test_canonical_metadata_is_stable_and_unicode_safe() -> None:
    holder = dev_account(1).address
    one = metadata(holder)
    two = AssetMetadata.model_validate_json(one.canonical())
    assert two.canonical() == one.canonical()
    assert "港口".encode() in one.canonical()  # UTF-8, not \\u escapes (RFC 8785)
    assert metadata(holder, name="别的名字").digest() != one.digest()


def test_applicant_must_be_the_holder_named_in_the_metadata(ctx: RegistryContext) -> None:
    with pytest.raises(InputError, match="issued to the applicant"):
        ctx.registrations.sign_and_submit(
            metadata(dev_account(2).address), REGISTRAR_CODE, dev_account(1), ctx.operator
        )


def test_mistyped_and_unknown_numbers(ctx: RegistryContext, chain: ChainClient) -> None:
    reg_id = _issue(ctx, chain)
    number = ctx.registrations.get(reg_id).certificate_number
    assert number is not None
    typo = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    with pytest.raises(MalformedNumberError, match="mistyped"):
        ctx.registrations.by_certificate_number(typo)
    # a well-formed number for an id that was never issued
    from registry.domain.numbers import certificate_number

    parsed = parse_certificate_number(number)
    issued_at = ctx.registrations.get(reg_id).issued_at
    assert issued_at is not None
    ghost = certificate_number(int(issued_at.timestamp()), parsed.registrar_code, 9999)
    with pytest.raises(CertificateNotFoundError):
        ctx.registrations.by_certificate_number(ghost)
    with pytest.raises(RegistrationNotFoundError):
        ctx.registrations.get(4242)


def test_change_keeps_history_and_batch_issue(ctx: RegistryContext, chain: ChainClient) -> None:
    reg_id = _issue(ctx, chain)
    holder = dev_account(1)
    updated = ctx.registrations.change(reg_id, metadata(holder.address, 0xB2), holder)
    assert updated.version == 2
    versions = ctx.registrations.versions(reg_id)
    assert [v.fingerprint for v in versions] == ["0x" + "a1" * 32, "0x" + "b2" * 32]
    ids = []
    for i, fp in enumerate((0xC1, 0xC2, 0xC3)):
        h = dev_account(2 + i)
        ids.append(
            ctx.registrations.sign_and_submit(
                metadata(h.address, fp), REGISTRAR_CODE, h, ctx.operator
            ).id
        )
    for i in ids:
        ctx.registrations.accept(i, registrar())
        ctx.registrations.open_notice(i, registrar())
    travel(chain, NOTICE + 1)
    issued = ctx.registrations.issue_batch(ids, registrar())
    assert all(r.status is Status.ISSUED for r in issued)
    assert len({r.certificate_number for r in issued}) == 3


def test_objection_upheld_rejects(ctx: RegistryContext, chain: ChainClient) -> None:
    holder = dev_account(1)
    reg = ctx.registrations.sign_and_submit(
        metadata(holder.address), REGISTRAR_CODE, holder, ctx.operator
    )
    ctx.registrations.accept(reg.id, registrar())
    ctx.registrations.open_notice(reg.id, registrar())
    objection_id = ctx.registrations.file_objection(
        reg.id, "数据来源存在权属争议".encode(), "text/plain; charset=utf-8", dev_account(5)
    )
    travel(chain, NOTICE + 1)
    with pytest.raises(ContractRevertError, match="RegistryObjectionsOpen"):
        ctx.registrations.issue(reg.id, registrar())
    ruled = ctx.registrations.rule_objection(objection_id, True, "异议成立", registrar())
    assert ruled.status.value == "upheld"
    assert ctx.registrations.get(reg.id).status is Status.REJECTED


def test_wrong_role_maps_to_403(ctx: RegistryContext) -> None:
    holder = dev_account(1)
    reg = ctx.registrations.sign_and_submit(
        metadata(holder.address), REGISTRAR_CODE, holder, ctx.operator
    )
    with pytest.raises(ContractRevertError) as info:
        ctx.registrations.accept(reg.id, dev_account(3))
    # dev account 3 is staff of no registrar: the authority refuses it (code 0)
    assert info.value.error_name == "AuthorityNotRegistrarOf"
    assert info.value.http_status == 403


def test_v2_renewal_window_closing_at_expiry_and_revocation_under_a_ruling(
    ctx: RegistryContext, chain: ChainClient
) -> None:
    """Contracts v2: renewal only inside the window (409), anyone closes an expired certificate,
    and a ruling's text is stored with its hash recorded on chain."""
    service = ctx.registrations
    reg_id = _issue(ctx, chain)
    assert service.renewal_window() == 90 * 86_400
    with pytest.raises(ContractRevertError) as early:
        service.renew(reg_id, None, registrar())
    assert (early.value.error_name, early.value.http_status) == (
        "RegistryRenewalWindowNotOpen",
        409,
    )
    fingerprint = service.get(reg_id).fingerprint
    assert service.live_registration_of(fingerprint) == reg_id
    valid_until = service.get(reg_id).valid_until
    assert valid_until is not None
    travel(chain, int(valid_until.timestamp()) - chain.block().timestamp + 1)
    closed = service.close_expired(reg_id, dev_account(5))
    assert closed.status is Status.EXPIRED
    assert service.live_registration_of(fingerprint) is None

    other = _issue(ctx, chain, holder_index=2, fp=0xB1)
    with pytest.raises(InputError):
        service.revoke(other, 3, "欺诈", registrar(), ruling=" ")
    revoked = service.revoke(other, 3, "欺诈", registrar(), ruling="(2026)京01民初1号 裁定")
    assert revoked.status is Status.REVOKED
    receipt_ruling = service.documents.put_text("(2026)京01民初1号 裁定")
    assert service.documents.get(receipt_ruling) is not None
