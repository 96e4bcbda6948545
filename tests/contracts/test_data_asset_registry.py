"""DataAssetRegistry against a real anvil: every allowed transition and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from registry.artifacts import client_contracts, load_artifact
from registry.chain.client import ChainClient, dev_account
from registry.domain.deployment import DeploymentManifest
from registry.domain.numbers import (
    certificate_number,
    parse_certificate_number,
    parse_registration_number,
    registration_number,
)
from registry.errors import ContractRevertError, MalformedNumberError
from registry.settings import Settings
from tests.conftest import admin as governor
from tests.contracts.agent_helpers import Rights
from tests.contracts.registry_helpers import (
    AGENT,
    AUTHORITY,
    DAY,
    EVIDENCE,
    HOLDING,
    LICENCES,
    NOTICE_PERIOD,
    PROCESSING_USE,
    PRODUCT_OPERATION,
    RENEWAL_WINDOW,
    VALIDITY_PERIOD,
    Application,
    Kind,
    Level,
    ObjectionStatus,
    Registry,
    Status,
    block_time,
    digest,
    event,
    events,
    hex32,
    latest_timestamp,
    time_travel,
)

CODE_A, CODE_B = 101, 202  # A: anyone may object; B: interested parties only
NOTICE_B = 10 * DAY
REGISTRAR_A, REGISTRAR_B = dev_account(1), dev_account(2)
ALICE, BOB, CAROL, OUTSIDER, RELAYER, MALLORY = (dev_account(i) for i in range(3, 9))
REASON = digest("reason")
EVIDENCE_HASH = digest("objection evidence")
ZERO = bytes(32)

ERC5192_ID, ERC4906_ID = "0xb45a3c0e", "0x49064906"
ERC721_ID, ERC721_METADATA_ID, ACCESS_CONTROL_ID, ERC165_ID = (
    "0x80ac58cd",
    "0x5b5e139f",
    "0x7965db0b",
    "0x01ffc9a7",
)


@pytest.fixture
def reg(chain: ChainClient, deployment: DeploymentManifest, operator: LocalAccount) -> Registry:
    registry = Registry(chain, deployment.address_of("DataAssetRegistry"), governor())
    registry.add_registrar(CODE_A, REGISTRAR_A, open_to_all=True, notice_period=NOTICE_PERIOD)
    registry.add_registrar(CODE_B, REGISTRAR_B, open_to_all=False, notice_period=NOTICE_B)
    return registry


def app(code: int = CODE_A, label: str = "asset", **changes: Any) -> Application:
    base = Application(code, fingerprint=digest(f"fp {label}"), metadata_hash=digest(f"md {label}"))
    return base.replace(**changes)


def in_notice(reg: Registry, applicant: LocalAccount, application: Application) -> int:
    registrar = REGISTRAR_A if application.registrar_code == CODE_A else REGISTRAR_B
    reg_id, _ = reg.submit(applicant, application)
    reg.to_notice(reg_id, registrar)
    return reg_id


def issued(reg: Registry, applicant: LocalAccount, application: Application) -> int:
    if application.registrar_code == CODE_A:
        reg_id, _ = reg.issued(applicant, REGISTRAR_A, application)
    else:
        reg_id, _ = reg.issued(applicant, REGISTRAR_B, application, notice_period=NOTICE_B)
    return reg_id


def mine_at(chain: ChainClient, timestamp: int) -> None:
    """Mine an empty block at exactly ``timestamp`` (views then see that time)."""
    chain.rpc("evm_setNextBlockTimestamp", [timestamp])
    chain.rpc("evm_mine")


# --- application ---------------------------------------------------------------------------


def test_submit_stores_the_application_and_the_event_carries_every_field(reg: Registry) -> None:
    sae = latest_timestamp(reg.chain) + 400 * DAY
    application = app(
        kind=Kind.RESOURCE,
        rights=HOLDING | PROCESSING_USE,
        level=Level.IMPORTANT,
        data_source=2,
        applicant_type=9,
        source_agreement_end=sae,
    )
    reg_id, receipt = reg.submit(ALICE, application)
    now = block_time(reg.chain, receipt)
    submitted = event(receipt, "ApplicationSubmitted").args
    expected_number = registration_number(now, 2, 9, reg_id)
    assert submitted == {
        "id": reg_id,
        "applicant": ALICE.address,
        "registrarCode": CODE_A,
        "registrationNumber": int(expected_number),
        "kind": Kind.RESOURCE,
        "rights": 3,
        "level": Level.IMPORTANT,
        "dataSource": 2,
        "applicantType": 9,
        "sourceAgreementEnd": sae,
        "fingerprint": hex32(application.fingerprint),
        "metadataHash": hex32(application.metadata_hash),
        "parents": [],
        "relayer": ALICE.address,
    }
    record = reg.registration(reg_id)
    assert record["holder"] == ALICE.address
    assert record["submittedAt"] == now
    assert record["registrarCode"] == CODE_A
    assert record["status"] == Status.SUBMITTED
    assert (record["rights"], record["level"], record["dataSource"]) == (3, Level.IMPORTANT, 2)
    assert record["sourceAgreementEnd"] == sae
    assert record["version"] == 0
    assert record["issuedAt"] == 0
    assert record["validUntil"] == 0
    assert record["fingerprint"] == application.fingerprint
    assert reg.status(reg_id) == Status.SUBMITTED
    assert reg.call("registrationNumber", [reg_id]) == int(expected_number)
    assert reg.call("idOfRegistrationNumber", [int(expected_number)]) == reg_id


def test_ids_are_sequential_and_registration_numbers_distinct(reg: Registry) -> None:
    first, _ = reg.submit(ALICE, app(label="one"))
    second, _ = reg.submit(BOB, app(label="two"))
    assert second == first + 1
    numbers = {reg.call("registrationNumber", [i]) for i in (first, second)}
    assert len(numbers) == 2


def test_submit_for_relays_a_signed_application(reg: Registry) -> None:
    application = app(label="relayed", rights=PRODUCT_OPERATION)
    assert reg.call("applicationNonce", [ALICE.address]) == 0
    reg_id, receipt = reg.submit_for(application, ALICE, RELAYER)
    submitted = event(receipt, "ApplicationSubmitted").args
    assert submitted["applicant"] == ALICE.address
    assert submitted["relayer"] == RELAYER.address
    assert submitted["rights"] == PRODUCT_OPERATION
    assert reg.registration(reg_id)["holder"] == ALICE.address
    assert reg.call("applicationNonce", [ALICE.address]) == 1
    # the registrant paid nothing: the relayer sent the transaction
    second, _ = reg.submit_for(application.replace(metadata_hash=digest("v2")), ALICE, RELAYER)
    assert reg.registration(second)["holder"] == ALICE.address
    assert reg.call("applicationNonce", [ALICE.address]) == 2


def test_accept(reg: Registry) -> None:
    reg_id, _ = reg.submit(ALICE, app())
    receipt = reg.tx("accept", [reg_id], REGISTRAR_A)
    assert event(receipt, "ApplicationAccepted").args == {
        "id": reg_id,
        "registrar": REGISTRAR_A.address,
    }
    assert reg.status(reg_id) == Status.ACCEPTED


@pytest.mark.parametrize("accept_first", [False, True])
def test_return_for_correction_then_resubmit(reg: Registry, accept_first: bool) -> None:
    reg_id, _ = reg.submit(ALICE, app())
    if accept_first:
        reg.tx("accept", [reg_id], REGISTRAR_A)
    receipt = reg.tx("returnForCorrection", [reg_id, 7, REASON], REGISTRAR_A)
    assert event(receipt, "ApplicationReturned").args == {
        "id": reg_id,
        "registrar": REGISTRAR_A.address,
        "reasonCode": 7,
        "reasonHash": hex32(REASON),
    }
    assert reg.status(reg_id) == Status.RETURNED
    fixed_fp, fixed_md = digest("fixed fp"), digest("fixed md")
    receipt = reg.tx("resubmit", [reg_id, fixed_fp, fixed_md], ALICE)
    assert event(receipt, "ApplicationResubmitted").args == {
        "id": reg_id,
        "fingerprint": hex32(fixed_fp),
        "metadataHash": hex32(fixed_md),
        "applicant": ALICE.address,
    }
    record = reg.registration(reg_id)
    assert record["status"] == Status.SUBMITTED
    assert (record["fingerprint"], record["metadataHash"]) == (fixed_fp, fixed_md)
    reg.tx("accept", [reg_id], REGISTRAR_A)  # review starts over


@pytest.mark.parametrize("accept_first", [False, True])
def test_reject_from_submitted_or_accepted(reg: Registry, accept_first: bool) -> None:
    reg_id, _ = reg.submit(ALICE, app())
    if accept_first:
        reg.tx("accept", [reg_id], REGISTRAR_A)
    receipt = reg.tx("reject", [reg_id, 3, REASON], REGISTRAR_A)
    assert event(receipt, "ApplicationRejected").args == {
        "id": reg_id,
        "registrar": REGISTRAR_A.address,
        "reasonCode": 3,
        "reasonHash": hex32(REASON),
    }
    assert reg.status(reg_id) == Status.REJECTED
    error = reg.refused("accept", [reg_id], REGISTRAR_A)
    assert error.error_name == "RegistryWrongStatus"


@pytest.mark.parametrize(("code", "period"), [(CODE_A, NOTICE_PERIOD), (CODE_B, NOTICE_B)])
def test_open_notice_uses_the_registrars_window(reg: Registry, code: int, period: int) -> None:
    registrar = REGISTRAR_A if code == CODE_A else REGISTRAR_B
    reg_id, _ = reg.submit(ALICE, app(code))
    reg.tx("accept", [reg_id], registrar)
    receipt = reg.tx("openNotice", [reg_id], registrar)
    start = block_time(reg.chain, receipt)
    assert event(receipt, "NoticeOpened").args == {
        "id": reg_id,
        "registrar": registrar.address,
        "noticeStart": start,
        "noticeEnd": start + period,
    }
    record = reg.registration(reg_id)
    assert (record["noticeStart"], record["noticeEnd"]) == (start, start + period)
    assert reg.status(reg_id) == Status.IN_NOTICE


# --- objections ----------------------------------------------------------------------------


def test_anyone_may_object_when_the_registrar_allows_it(reg: Registry) -> None:
    reg_id = in_notice(reg, ALICE, app())
    receipt = reg.tx("fileObjection", [reg_id, EVIDENCE_HASH], OUTSIDER)
    filed = event(receipt, "ObjectionFiled").args
    assert filed == {
        "objectionId": filed["objectionId"],
        "id": reg_id,
        "objector": OUTSIDER.address,
        "evidenceHash": hex32(EVIDENCE_HASH),
    }
    assert reg.registration(reg_id)["openObjections"] == 1
    record = reg.call("objection", [filed["objectionId"]])
    assert tuple(record) == (
        reg_id,
        OUTSIDER.address,
        block_time(reg.chain, receipt),
        ObjectionStatus.OPEN,
    )


def test_interested_only_objection_needs_standing_granted_by_the_registrar(reg: Registry) -> None:
    reg_id = in_notice(reg, ALICE, app(CODE_B))
    error = reg.refused("fileObjection", [reg_id, EVIDENCE_HASH], OUTSIDER)
    assert error.error_name == "RegistryNoStanding"
    assert error.args_by_name == {"id": reg_id, "objector": OUTSIDER.address}
    receipt = reg.tx("grantStanding", [reg_id, OUTSIDER.address], REGISTRAR_B)
    assert event(receipt, "StandingGranted").args == {
        "id": reg_id,
        "party": OUTSIDER.address,
        "registrar": REGISTRAR_B.address,
    }
    reg.tx("fileObjection", [reg_id, EVIDENCE_HASH], OUTSIDER)
    assert reg.registration(reg_id)["openObjections"] == 1
    # standing is per party: someone else is still refused
    assert reg.refused("fileObjection", [reg_id, EVIDENCE_HASH], MALLORY).error_name == (
        "RegistryNoStanding"
    )


def test_holder_of_a_parent_has_standing_to_object_to_a_product(reg: Registry) -> None:
    parent = issued(reg, BOB, app(CODE_B, "parent", rights=HOLDING | PROCESSING_USE))
    reg.grant_processing_licence(parent, BOB, ALICE.address)
    product = in_notice(reg, ALICE, app(CODE_B, "product", kind=Kind.PRODUCT, parents=(parent,)))
    reg.tx("fileObjection", [product, EVIDENCE_HASH], BOB)
    assert reg.registration(product)["openObjections"] == 1
    assert reg.refused("fileObjection", [product, EVIDENCE_HASH], OUTSIDER).error_name == (
        "RegistryNoStanding"
    )


def test_upheld_objection_rejects_the_application(reg: Registry) -> None:
    reg_id = in_notice(reg, ALICE, app())
    receipt = reg.tx("fileObjection", [reg_id, EVIDENCE_HASH], OUTSIDER)
    objection_id = event(receipt, "ObjectionFiled").args["objectionId"]
    receipt = reg.tx("ruleObjection", [objection_id, True, REASON], REGISTRAR_A)
    assert event(receipt, "ObjectionRuled").args == {
        "objectionId": objection_id,
        "id": reg_id,
        "upheld": True,
        "reasonHash": hex32(REASON),
        "registrar": REGISTRAR_A.address,
    }
    rejected = event(receipt, "ApplicationRejected").args
    assert rejected["reasonCode"] == 1
    assert rejected["id"] == reg_id
    assert reg.status(reg_id) == Status.REJECTED
    assert reg.registration(reg_id)["openObjections"] == 0
    assert reg.call("objection", [objection_id])[3] == ObjectionStatus.UPHELD
    error = reg.refused("ruleObjection", [objection_id, False, REASON], REGISTRAR_A)
    assert error.error_name == "RegistryObjectionNotOpen"


def test_dismissed_objection_lets_issuance_proceed(reg: Registry) -> None:
    reg_id = in_notice(reg, ALICE, app())
    receipt = reg.tx("fileObjection", [reg_id, EVIDENCE_HASH], OUTSIDER)
    objection_id = event(receipt, "ObjectionFiled").args["objectionId"]
    receipt = reg.tx("ruleObjection", [objection_id, False, REASON], REGISTRAR_A)
    assert event(receipt, "ObjectionRuled").args["upheld"] is False
    assert not events(receipt, "ApplicationRejected")
    assert reg.status(reg_id) == Status.IN_NOTICE
    assert reg.call("objection", [objection_id])[3] == ObjectionStatus.DISMISSED
    time_travel(reg.chain, NOTICE_PERIOD)
    reg.tx("issue", [reg_id], REGISTRAR_A)
    assert reg.status(reg_id) == Status.ISSUED


def test_open_objection_blocks_issuance_until_ruled(reg: Registry) -> None:
    reg_id = in_notice(reg, ALICE, app())
    receipt = reg.tx("fileObjection", [reg_id, EVIDENCE_HASH], OUTSIDER)
    objection_id = event(receipt, "ObjectionFiled").args["objectionId"]
    time_travel(reg.chain, NOTICE_PERIOD)
    error = reg.refused("issue", [reg_id], REGISTRAR_A)
    assert error.error_name == "RegistryObjectionsOpen"
    assert error.args_by_name == {"id": reg_id, "openObjections": 1}
    # ruling after the window has closed is allowed, and unblocks issuance
    reg.tx("ruleObjection", [objection_id, False, REASON], REGISTRAR_A)
    reg.tx("issue", [reg_id], REGISTRAR_A)


def test_objection_window_boundaries(reg: Registry) -> None:
    reg_id = in_notice(reg, ALICE, app())
    notice_end = reg.registration(reg_id)["noticeEnd"]
    # the last second of the window, then its end: the window is [start, end)
    reg.tx_at(notice_end - 1, "fileObjection", [reg_id, EVIDENCE_HASH], OUTSIDER)
    error = reg.refused_at(notice_end, "fileObjection", [reg_id, digest("late")], OUTSIDER)
    assert error.error_name == "RegistryNoticeWindowClosed"
    assert error.args_by_name == {"id": reg_id, "noticeEnd": notice_end}


def test_objection_outside_public_notice_is_refused(reg: Registry) -> None:
    reg_id, _ = reg.submit(ALICE, app())
    reg.tx("accept", [reg_id], REGISTRAR_A)
    error = reg.refused("fileObjection", [reg_id, EVIDENCE_HASH], OUTSIDER)
    assert error.error_name == "RegistryWrongStatus"
    assert error.args_by_name == {"id": reg_id, "actual": Status.ACCEPTED}


def test_objection_needs_evidence(reg: Registry) -> None:
    reg_id = in_notice(reg, ALICE, app())
    error = reg.refused("fileObjection", [reg_id, ZERO], OUTSIDER)
    assert error.error_name == "RegistryZeroHash"
    assert error.args_by_name == {"field": "evidenceHash"}


def test_objections_are_ruled_by_the_registrar_of_the_application_only(reg: Registry) -> None:
    reg_id = in_notice(reg, ALICE, app())
    receipt = reg.tx("fileObjection", [reg_id, EVIDENCE_HASH], OUTSIDER)
    objection_id = event(receipt, "ObjectionFiled").args["objectionId"]
    # staff of another registrar, and an account that is staff of none (the authority refuses)
    for intruder, name in (
        (REGISTRAR_B, "RegistryNotRegistrarOf"),
        (ALICE, "AuthorityNotRegistrarOf"),
    ):
        error = reg.refused("ruleObjection", [objection_id, True, REASON], intruder)
        assert error.error_name == name
    assert reg.refused("ruleObjection", [999, True, REASON], REGISTRAR_A).error_name == (
        "RegistryObjectionNotOpen"
    )
    assert reg.refused("grantStanding", [reg_id, BOB.address], REGISTRAR_B).error_name == (
        "RegistryNotRegistrarOf"
    )


# --- issuance ------------------------------------------------------------------------------


def test_issue_after_the_window_mints_the_certificate(reg: Registry) -> None:
    application = app(rights=7)
    reg_id = in_notice(reg, ALICE, application)
    notice_start = reg.registration(reg_id)["noticeStart"]
    time_travel(reg.chain, NOTICE_PERIOD)
    receipt = reg.tx("issue", [reg_id], REGISTRAR_A)
    now = block_time(reg.chain, receipt)
    number = int(certificate_number(now, CODE_A, reg_id))
    assert event(receipt, "CertificateIssued").args == {
        "id": reg_id,
        "holder": ALICE.address,
        "certificateNumber": number,
        "issuedAt": now,
        "validUntil": notice_start + VALIDITY_PERIOD,
        "fingerprint": hex32(application.fingerprint),
        "metadataHash": hex32(application.metadata_hash),
        "registrar": REGISTRAR_A.address,
    }
    assert event(receipt, "Locked").args == {"tokenId": reg_id}
    transfer = event(receipt, "Transfer").args
    assert transfer == {"from": "0x" + "00" * 20, "to": ALICE.address, "tokenId": reg_id}
    record = reg.registration(reg_id)
    assert record["status"] == Status.ISSUED
    assert record["issuedAt"] == now
    assert record["validUntil"] == notice_start + VALIDITY_PERIOD
    assert record["version"] == 1
    assert reg.call("ownerOf", [reg_id]) == ALICE.address
    assert reg.call("balanceOf", [ALICE.address]) == 1
    assert reg.call("certificateNumber", [reg_id]) == number


def test_issue_returns_the_certificate_number(reg: Registry) -> None:
    reg_id = in_notice(reg, ALICE, app())
    time_travel(reg.chain, NOTICE_PERIOD)
    # simulate as the registrar: the return value is the number the event then carries
    data = reg.encode_call("issue", [reg_id])
    raw = reg.chain.rpc(
        "eth_call", [{"from": REGISTRAR_A.address, "to": reg.address, "data": "0x" + data.hex()}]
    )
    receipt = reg.tx("issue", [reg_id], REGISTRAR_A)
    assert int(raw, 16) == event(receipt, "CertificateIssued").args["certificateNumber"]


def test_notice_window_must_be_over(reg: Registry) -> None:
    reg_id = in_notice(reg, ALICE, app())
    notice_end = reg.registration(reg_id)["noticeEnd"]
    error = reg.refused("issue", [reg_id], REGISTRAR_A)
    assert error.error_name == "RegistryNoticeWindowOpen"
    assert error.args_by_name == {"id": reg_id, "noticeEnd": notice_end}
    late = reg.refused_at(notice_end - 1, "issue", [reg_id], REGISTRAR_A)
    assert late.error_name == "RegistryNoticeWindowOpen"
    reg.tx_at(notice_end, "issue", [reg_id], REGISTRAR_A)
    assert reg.status(reg_id) == Status.ISSUED


def test_issue_batch(reg: Registry) -> None:
    holders = (ALICE, BOB, CAROL)
    ids = [in_notice(reg, h, app(label=f"batch {n}")) for n, h in enumerate(holders)]
    time_travel(reg.chain, NOTICE_PERIOD)
    receipt = reg.tx("issueBatch", [ids], REGISTRAR_A)
    issued_events = events(receipt, "CertificateIssued")
    assert [e.args["id"] for e in issued_events] == ids
    assert [e.args["holder"] for e in issued_events] == [h.address for h in holders]
    now = block_time(reg.chain, receipt)
    for reg_id, holder, e in zip(ids, holders, issued_events, strict=True):
        assert reg.status(reg_id) == Status.ISSUED
        assert reg.call("ownerOf", [reg_id]) == holder.address
        assert e.args["certificateNumber"] == int(certificate_number(now, CODE_A, reg_id))


def test_issue_batch_is_all_or_nothing(reg: Registry) -> None:
    ready = in_notice(reg, ALICE, app(label="ready"))
    time_travel(reg.chain, NOTICE_PERIOD)
    not_ready = in_notice(reg, BOB, app(label="still in notice"))
    error = reg.refused("issueBatch", [[ready, not_ready]], REGISTRAR_A)
    assert error.error_name == "RegistryNoticeWindowOpen"
    assert reg.status(ready) == Status.IN_NOTICE
    assert reg.refused("issueBatch", [[ready, ready]], REGISTRAR_A).error_name == (
        "RegistryWrongStatus"
    )
    other = in_notice(reg, BOB, app(CODE_B, "other registrar"))
    time_travel(reg.chain, NOTICE_PERIOD)
    error = reg.refused("issueBatch", [[ready, other]], REGISTRAR_A)
    assert error.error_name == "RegistryNotRegistrarOf"
    assert error.args_by_name == {"account": REGISTRAR_A.address, "registrarCode": CODE_B}


def test_validity_is_capped_by_the_source_agreement_end(reg: Registry) -> None:
    sae = latest_timestamp(reg.chain) + 200 * DAY
    reg_id = issued(reg, ALICE, app(source_agreement_end=sae))
    assert reg.registration(reg_id)["validUntil"] == sae


def test_issue_after_the_source_agreement_ended_is_refused(reg: Registry) -> None:
    sae = latest_timestamp(reg.chain) + 5 * DAY  # ends inside the notice window
    reg_id = in_notice(reg, ALICE, app(source_agreement_end=sae))
    time_travel(reg.chain, NOTICE_PERIOD)
    error = reg.refused("issue", [reg_id], REGISTRAR_A)
    assert error.error_name == "RegistrySourceAgreementEnded"
    assert error.args_by_name == {"id": reg_id, "sourceAgreementEnd": sae}


# --- after issuance ------------------------------------------------------------------------


def test_change_records_a_new_version_and_keeps_history(reg: Registry) -> None:
    original = app(label="v1")
    reg_id = issued(reg, ALICE, original)
    v2_fp, v2_md = digest("v2 fp"), digest("v2 md")
    receipt = reg.tx("change", [reg_id, v2_fp, v2_md], ALICE)
    assert event(receipt, "AssetChanged").args == {
        "id": reg_id,
        "version": 2,
        "fingerprint": hex32(v2_fp),
        "metadataHash": hex32(v2_md),
        "correction": False,
        "by": ALICE.address,
    }
    v3_md = digest("v3 md")
    reg.tx("change", [reg_id, v2_fp, v3_md], ALICE)  # metadata only
    record = reg.registration(reg_id)
    assert record["version"] == 3
    assert (record["fingerprint"], record["metadataHash"]) == (v2_fp, v3_md)
    assert tuple(reg.call("versionOf", [reg_id, 1])) == (
        original.fingerprint,
        original.metadata_hash,
    )
    assert tuple(reg.call("versionOf", [reg_id, 2])) == (v2_fp, v2_md)
    assert tuple(reg.call("versionOf", [reg_id, 3])) == (v2_fp, v3_md)
    for missing in (0, 4):
        assert reg.refused_call("versionOf", [reg_id, missing]).error_name == (
            "RegistryWrongStatus"
        )
    assert reg.status(reg_id) == Status.ISSUED


def test_correct_by_the_registrar(reg: Registry) -> None:
    reg_id = issued(reg, ALICE, app())
    fixed = digest("corrected md")
    receipt = reg.tx("correct", [reg_id, app().fingerprint, fixed], REGISTRAR_A)
    changed = event(receipt, "AssetChanged").args
    assert changed["correction"] is True
    assert changed["by"] == REGISTRAR_A.address
    assert changed["version"] == 2
    assert reg.registration(reg_id)["metadataHash"] == fixed
    assert reg.refused("correct", [reg_id, app().fingerprint, fixed], ALICE).error_name == (
        "AuthorityNotRegistrarOf"
    )


def test_renew_before_expiry_extends_by_the_validity_period(reg: Registry) -> None:
    reg_id = issued(reg, ALICE, app())
    valid_until = reg.registration(reg_id)["validUntil"]
    time_travel(reg.chain, VALIDITY_PERIOD - 30 * DAY)  # a month before expiry
    receipt = reg.tx("renew", [reg_id, 0], REGISTRAR_A)
    # v2: from the renewal, not from the old expiry (defect 10)
    renewed_until = block_time(reg.chain, receipt) + VALIDITY_PERIOD
    assert renewed_until > valid_until
    assert event(receipt, "CertificateRenewed").args == {
        "id": reg_id,
        "validUntil": renewed_until,
        "sourceAgreementEnd": 0,
        "registrar": REGISTRAR_A.address,
    }
    assert reg.registration(reg_id)["validUntil"] == renewed_until
    time_travel(reg.chain, 60 * DAY)  # past the old date: still valid
    assert reg.status(reg_id) == Status.ISSUED


def test_renewal_is_capped_by_the_source_agreement_end(reg: Registry) -> None:
    reg_id = issued(reg, ALICE, app())
    valid_until = reg.registration(reg_id)["validUntil"]
    time_travel(reg.chain, VALIDITY_PERIOD - 60 * DAY)  # v2: inside the renewal window
    sae = valid_until + 100 * DAY
    receipt = reg.tx("renew", [reg_id, sae], REGISTRAR_A)
    assert event(receipt, "CertificateRenewed").args["validUntil"] == sae
    record = reg.registration(reg_id)
    assert (record["validUntil"], record["sourceAgreementEnd"]) == (sae, sae)
    # an agreement ending before the current validity cannot extend it
    time_travel(reg.chain, 100 * DAY)
    error = reg.refused("renew", [reg_id, sae - DAY], REGISTRAR_A)
    assert error.error_name == "RegistrySourceAgreementEnded"


def test_cancel_by_the_holder(reg: Registry) -> None:
    reg_id = issued(reg, ALICE, app())
    receipt = reg.tx("cancel", [reg_id, REASON], ALICE)
    assert event(receipt, "CertificateCancelled").args == {
        "id": reg_id,
        "holder": ALICE.address,
        "reasonHash": hex32(REASON),
    }
    assert reg.status(reg_id) == Status.CANCELLED
    cases: list[tuple[str, list[Any], LocalAccount]] = [
        ("change", [reg_id, digest("x"), digest("y")], ALICE),
        ("renew", [reg_id, 0], REGISTRAR_A),
        ("revoke", [reg_id, 1, REASON], REGISTRAR_A),
        ("cancel", [reg_id, REASON], ALICE),
    ]
    for function, args, signer in cases:
        error = reg.refused(function, args, signer)
        assert error.error_name == "RegistryWrongStatus", function
        assert error.args_by_name["actual"] == Status.CANCELLED


def test_revoke_by_the_registrar(reg: Registry) -> None:
    reg_id = issued(reg, ALICE, app())
    receipt = reg.tx("revoke", [reg_id, 9, REASON], REGISTRAR_A)
    assert event(receipt, "CertificateRevoked").args == {
        "id": reg_id,
        "registrar": REGISTRAR_A.address,
        "reasonCode": 9,
        "reasonHash": hex32(REASON),
        "rulingHash": hex32(ZERO),
    }
    assert reg.status(reg_id) == Status.REVOKED
    assert reg.refused("cancel", [reg_id, REASON], ALICE).error_name == "RegistryWrongStatus"


def test_expiry_by_time_needs_no_transaction(reg: Registry) -> None:
    reg_id = issued(reg, ALICE, app())
    valid_until = reg.registration(reg_id)["validUntil"]
    mine_at(reg.chain, valid_until)  # the last valid second
    assert reg.status(reg_id) == Status.ISSUED
    mine_at(reg.chain, valid_until + 1)  # only a block was mined, no transaction
    assert reg.status(reg_id) == Status.EXPIRED
    # v2 (defect 12): every view reports the effective status; the token stays until closed
    assert reg.registration(reg_id)["status"] == Status.EXPIRED
    assert reg.call("ownerOf", [reg_id]) == ALICE.address


def test_change_and_renew_after_expiry_are_refused(reg: Registry) -> None:
    reg_id = issued(reg, ALICE, app())
    valid_until = reg.registration(reg_id)["validUntil"]
    mine_at(reg.chain, valid_until + 1)
    error = reg.refused("change", [reg_id, digest("late fp"), digest("late md")], ALICE)
    assert error.error_name == "RegistryExpired"
    assert error.args_by_name == {"id": reg_id, "validUntil": valid_until}
    error = reg.refused("renew", [reg_id, 0], REGISTRAR_A)
    assert error.error_name == "RegistryExpired"


def test_product_with_issued_parents(reg: Registry) -> None:
    first = issued(reg, BOB, app(label="resource 1", rights=HOLDING | PROCESSING_USE))
    second = issued(reg, CAROL, app(label="resource 2", rights=HOLDING | PROCESSING_USE))
    reg.grant_processing_licence(first, BOB, ALICE.address)
    reg.grant_processing_licence(second, CAROL, ALICE.address)
    product = app(
        label="product", kind=Kind.PRODUCT, rights=PRODUCT_OPERATION, parents=(first, second)
    )
    reg_id, receipt = reg.submit(ALICE, product)
    assert event(receipt, "ApplicationSubmitted").args["parents"] == [first, second]
    record = reg.registration(reg_id)
    assert record["kind"] == Kind.PRODUCT
    assert list(record["parents"]) == [first, second]
    reg.to_notice(reg_id, REGISTRAR_A)
    time_travel(reg.chain, NOTICE_PERIOD)
    reg.tx("issue", [reg_id], REGISTRAR_A)
    assert reg.status(reg_id) == Status.ISSUED


# --- refusals at application ---------------------------------------------------------------


def test_core_data_is_not_registrable(reg: Registry) -> None:
    error = reg.refused("submitApplication", [app(level=Level.CORE).as_tuple()], ALICE)
    assert error.error_name == "RegistryCoreDataNotRegistrable"


def test_product_without_parent_is_refused(reg: Registry) -> None:
    error = reg.refused("submitApplication", [app(kind=Kind.PRODUCT).as_tuple()], ALICE)
    assert error.error_name == "RegistryProductWithoutParent"


def test_resource_with_parents_is_refused(reg: Registry) -> None:
    parent = issued(reg, BOB, app(label="parent"))
    error = reg.refused("submitApplication", [app(parents=(parent, parent)).as_tuple()], ALICE)
    assert error.error_name == "RegistryResourceWithParents"
    assert error.args_by_name == {"count": 2}


def test_parent_that_is_not_issued_is_refused(reg: Registry) -> None:
    pending, _ = reg.submit(BOB, app(label="pending"))
    good = issued(reg, BOB, app(label="good"))
    revoked = issued(reg, BOB, app(label="revoked"))
    reg.tx("revoke", [revoked, 1, REASON], REGISTRAR_A)
    for parent, status in [
        (pending, Status.SUBMITTED),
        (revoked, Status.REVOKED),
        (9_999, Status.NONE),
    ]:
        product = app(kind=Kind.PRODUCT, parents=(good, parent))
        error = reg.refused("submitApplication", [product.as_tuple()], BOB)
        assert error.error_name == "RegistryParentNotIssued"
        assert error.args_by_name == {"parentId": parent, "status": status}


def test_expired_parent_is_refused(reg: Registry) -> None:
    parent = issued(reg, BOB, app(label="parent"))
    mine_at(reg.chain, reg.registration(parent)["validUntil"] + 1)
    error = reg.refused(
        "submitApplication", [app(kind=Kind.PRODUCT, parents=(parent,)).as_tuple()], ALICE
    )
    assert error.error_name == "RegistryParentNotIssued"
    assert error.args_by_name == {"parentId": parent, "status": Status.EXPIRED}


def test_parent_revoked_before_issue_blocks_the_product(reg: Registry) -> None:
    parent = issued(reg, BOB, app(label="parent"))
    product = in_notice(reg, BOB, app(kind=Kind.PRODUCT, parents=(parent,)))
    reg.tx("revoke", [parent, 2, REASON], REGISTRAR_A)
    time_travel(reg.chain, NOTICE_PERIOD)
    error = reg.refused("issue", [product], REGISTRAR_A)
    assert error.error_name == "RegistryParentNotIssued"
    assert error.args_by_name == {"parentId": parent, "status": Status.REVOKED}


@pytest.mark.parametrize("rights", [0, 8, 255])
def test_invalid_rights_are_refused(reg: Registry, rights: int) -> None:
    error = reg.refused("submitApplication", [app(rights=rights).as_tuple()], ALICE)
    assert error.error_name == "RegistryInvalidRights"
    assert error.args_by_name == {"rights": rights}


@pytest.mark.parametrize("rights", [1, 2, 4, 7])
def test_every_combination_of_rights_is_accepted(reg: Registry, rights: int) -> None:
    reg_id, _ = reg.submit(ALICE, app(rights=rights))
    assert reg.registration(reg_id)["rights"] == rights


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"data_source": 0}, "dataSource", 0),
        ({"data_source": 5}, "dataSource", 5),
        ({"applicant_type": 0}, "applicantType", 0),
        ({"applicant_type": 5}, "applicantType", 5),
        ({"applicant_type": 8}, "applicantType", 8),
    ],
)
def test_invalid_codes_are_refused(
    reg: Registry, changes: dict[str, Any], field: str, value: int
) -> None:
    error = reg.refused("submitApplication", [app(**changes).as_tuple()], ALICE)
    assert error.error_name == "RegistryInvalidCode"
    assert error.args_by_name == {"field": field, "value": value}


def test_valid_edge_codes_are_accepted(reg: Registry) -> None:
    reg_id, _ = reg.submit(ALICE, app(data_source=4, applicant_type=9))
    record = reg.registration(reg_id)
    assert (record["dataSource"], record["applicantType"]) == (4, 9)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"fingerprint": ZERO}, "fingerprint"), ({"metadata_hash": ZERO}, "metadataHash")],
)
def test_zero_hashes_are_refused_everywhere(
    reg: Registry, changes: dict[str, Any], field: str
) -> None:
    error = reg.refused("submitApplication", [app(**changes).as_tuple()], ALICE)
    assert (error.error_name, error.args_by_name) == ("RegistryZeroHash", {"field": field})
    fp = changes.get("fingerprint", digest("fp"))
    md = changes.get("metadata_hash", digest("md"))
    returned, _ = reg.submit(ALICE, app(label="returned"))
    reg.tx("returnForCorrection", [returned, 1, REASON], REGISTRAR_A)
    certified = issued(reg, ALICE, app(label="issued"))
    cases: list[tuple[str, list[Any], LocalAccount]] = [
        ("resubmit", [returned, fp, md], ALICE),
        ("change", [certified, fp, md], ALICE),
        ("correct", [certified, fp, md], REGISTRAR_A),
    ]
    for function, args, signer in cases:
        error = reg.refused(function, args, signer)
        assert (error.error_name, error.args_by_name) == ("RegistryZeroHash", {"field": field})


def test_unknown_registrar_code_is_refused(reg: Registry) -> None:
    error = reg.refused("submitApplication", [app(303).as_tuple()], ALICE)
    assert error.error_name == "RegistryUnknownRegistrar"
    assert error.args_by_name == {"registrarCode": 303}


def test_retired_registrar_takes_no_new_applications(reg: Registry) -> None:
    reg.configure_registrar(CODE_A, active=False)
    error = reg.refused("submitApplication", [app().as_tuple()], ALICE)
    assert error.error_name == "RegistryUnknownRegistrar"


@pytest.mark.parametrize("code", [0, 1000, 65535])
def test_registrar_codes_outside_1_to_999_are_refused(reg: Registry, code: int) -> None:
    error = reg.governance_refused(
        "configureRegistrar", [code, (True, True, False, DAY)], reg.admin
    )
    assert error.error_name == "AuthorityInvalidRegistrarCode"
    assert error.args_by_name == {"code": code}


def test_registrar_codes_1_and_999_work_and_appear_in_numbers(reg: Registry) -> None:
    for code, registrar in [(1, dev_account(10)), (999, dev_account(11))]:
        reg.chain.rpc("anvil_setBalance", [registrar.address, hex(10**20)])
        reg.add_registrar(code, registrar, notice_period=DAY)
        reg_id, _ = reg.issued(ALICE, registrar, app(code, f"code {code}"), notice_period=DAY)
        number = f"{reg.call('certificateNumber', [reg_id]):017d}"
        assert parse_certificate_number(number).registrar_code == code


def test_zero_notice_period_is_refused(reg: Registry) -> None:
    error = reg.governance_refused("configureRegistrar", [303, (True, True, False, 0)], reg.admin)
    assert error.error_name == "AuthorityNoticePeriodTooShort"


# --- evidence policy -----------------------------------------------------------------------


def test_evidence_required_until_the_fingerprint_is_anchored(
    reg: Registry, deployment: DeploymentManifest
) -> None:
    registrar = dev_account(10)
    reg.chain.rpc("anvil_setBalance", [registrar.address, hex(10**20)])
    reg.add_registrar(303, registrar, evidence_required=True, notice_period=DAY)
    application = app(303, "needs evidence")
    error = reg.refused("submitApplication", [application.as_tuple()], ALICE)
    assert error.error_name == "RegistryEvidenceNotAnchored"
    assert error.args_by_name == {
        "fingerprint": hex32(application.fingerprint),
        "account": ALICE.address,
    }
    evidence = deployment.address_of(EVIDENCE)
    reg.chain.transact(EVIDENCE, evidence, "anchor", [application.fingerprint], ALICE)
    reg_id, _ = reg.submit(ALICE, application)
    # a registrar without the policy takes unanchored fingerprints
    reg.submit(ALICE, app(CODE_A, "unanchored"))
    # resubmission and a new version are held to the same policy
    reg.tx("returnForCorrection", [reg_id, 1, REASON], registrar)
    unanchored = digest("unanchored new data")
    error = reg.refused("resubmit", [reg_id, unanchored, digest("md")], ALICE)
    assert error.error_name == "RegistryEvidenceNotAnchored"
    reg.tx("resubmit", [reg_id, application.fingerprint, digest("md")], ALICE)
    reg.to_notice(reg_id, registrar)
    time_travel(reg.chain, DAY)
    reg.tx("issue", [reg_id], registrar)
    error = reg.refused("change", [reg_id, unanchored, digest("md 2")], ALICE)
    assert error.error_name == "RegistryEvidenceNotAnchored"
    error = reg.refused("correct", [reg_id, unanchored, digest("md 2")], registrar)
    assert error.error_name == "RegistryEvidenceNotAnchored"
    reg.tx("change", [reg_id, application.fingerprint, digest("md 2")], ALICE)  # metadata only
    reg.chain.transact(EVIDENCE, evidence, "anchor", [unanchored], ALICE)
    reg.tx("change", [reg_id, unanchored, digest("md 3")], ALICE)
    assert reg.registration(reg_id)["version"] == 3


# --- roles ---------------------------------------------------------------------------------


def test_registrar_actions_need_the_registrar_of_the_application(reg: Registry) -> None:
    reg_id, _ = reg.submit(ALICE, app())
    for intruder, code in [(ALICE, 0), (REGISTRAR_B, CODE_B), (reg.admin, 0)]:
        cases: list[tuple[str, list[Any]]] = [
            ("accept", [reg_id]),
            ("returnForCorrection", [reg_id, 1, REASON]),
            ("reject", [reg_id, 1, REASON]),
        ]
        for function, args in cases:
            error = reg.refused(function, args, intruder)
            if code == 0:  # staff of no registrar: the authority refuses
                assert error.error_name == "AuthorityNotRegistrarOf", function
                assert error.args_by_name == {"account": intruder.address, "code": 0}
                continue
            assert error.error_name == "RegistryNotRegistrarOf", (function, code)
            assert error.args_by_name == {
                "account": intruder.address,
                "registrarCode": CODE_A,
            }
    reg.tx("accept", [reg_id], REGISTRAR_A)
    assert reg.refused("openNotice", [reg_id], REGISTRAR_B).error_name == "RegistryNotRegistrarOf"
    reg.tx("openNotice", [reg_id], REGISTRAR_A)
    time_travel(reg.chain, NOTICE_PERIOD)
    error = reg.refused("issue", [reg_id], ALICE)
    assert error.args_by_name == {"account": ALICE.address, "code": 0}
    error = reg.refused("issue", [reg_id], REGISTRAR_B)
    assert error.args_by_name == {"account": REGISTRAR_B.address, "registrarCode": CODE_A}
    reg.tx("issue", [reg_id], REGISTRAR_A)
    after_issue: list[tuple[str, list[Any]]] = [
        ("correct", [reg_id, digest("a"), digest("b")]),
        ("renew", [reg_id, 0]),
        ("revoke", [reg_id, 1, REASON]),
    ]
    for function, args in after_issue:
        assert reg.refused(function, args, REGISTRAR_B).error_name == "RegistryNotRegistrarOf"


def test_holder_actions_need_the_holder(reg: Registry) -> None:
    returned, _ = reg.submit(ALICE, app(label="returned"))
    reg.tx("returnForCorrection", [returned, 1, REASON], REGISTRAR_A)
    certified = issued(reg, ALICE, app(label="issued"))
    cases: list[tuple[str, list[Any]]] = [
        ("resubmit", [returned, digest("a"), digest("b")]),
        ("change", [certified, digest("a"), digest("b")]),
        ("cancel", [certified, REASON]),
    ]
    for function, args in cases:
        for intruder in (BOB, REGISTRAR_A):
            error = reg.refused(function, args, intruder)
            assert error.error_name == "RegistryNotHolder", function
            assert error.args_by_name == {"id": args[0], "account": intruder.address}


def test_admin_functions_need_the_admin(reg: Registry) -> None:
    governance: list[tuple[str, list[Any]]] = [
        ("configureRegistrar", [303, (True, True, False, DAY)]),
        ("setRegistrarAccount", [CODE_A, BOB.address, True]),
    ]
    for function, args in governance:
        error = reg.governance_refused(function, args, REGISTRAR_A)
        assert error.error_name == "AccessControlUnauthorizedAccount", function
    cases: list[tuple[str, list[Any]]] = [
        ("setValidityPeriod", [DAY]),
        ("setRenewalWindow", [DAY]),
        ("setBaseURI", ["https://evil.example/"]),
    ]
    for function, args in cases:
        error = reg.refused(function, args, REGISTRAR_A)
        assert error.error_name == "AccessControlUnauthorizedAccount", function


def test_registrar_sets_its_own_policy_only(reg: Registry) -> None:
    reg.govern("setRegistrarPolicy", [CODE_A, (True, False, False, 5 * DAY)], REGISTRAR_A)
    policy = reg.chain.call(AUTHORITY, reg.authority, "registrarPolicy", [CODE_A])
    assert tuple(policy) == (True, False, False, 5 * DAY)
    error = reg.governance_refused(
        "setRegistrarPolicy", [CODE_B, (True, True, False, DAY)], REGISTRAR_A
    )
    assert error.error_name == "AuthorityNotRegistrarOf"
    error = reg.governance_refused(
        "setRegistrarPolicy", [CODE_A, (False, True, False, DAY)], REGISTRAR_A
    )
    assert error.error_name == "AuthorityActivationByAdminOnly"  # only the admin retires one


def test_unbinding_a_staff_account_removes_its_powers(reg: Registry) -> None:
    """v2: staff accounts live in the RegistryAuthority (no REGISTRAR_ROLE on the registry)."""
    reg_id, _ = reg.submit(ALICE, app())
    assert reg.chain.call(AUTHORITY, reg.authority, "registrarCodeOf", [REGISTRAR_A.address]) == (
        CODE_A
    )
    reg.govern("setRegistrarAccount", [CODE_A, REGISTRAR_A.address, False], reg.admin)
    error = reg.refused("accept", [reg_id], REGISTRAR_A)
    assert error.error_name == "AuthorityNotRegistrarOf"
    assert reg.refused("issueBatch", [[reg_id]], REGISTRAR_A).error_name == (
        "AuthorityNotRegistrarOf"
    )
    reg.govern("setRegistrarAccount", [CODE_A, REGISTRAR_A.address, True], reg.admin)
    reg.tx("accept", [reg_id], REGISTRAR_A)


def test_retired_registrar_staff_can_do_nothing(reg: Registry) -> None:
    """Defect 2: after the admin retired a registrar, its staff still accepted, opened notice,
    issued and revoked (and could reactivate the registrar themselves). Now every registrar
    action of the registry refuses staff of a retired registrar, and only the admin reactivates."""
    submitted, _ = reg.submit(ALICE, app(label="submitted"))
    accepted, _ = reg.submit(ALICE, app(label="accepted"))
    reg.tx("accept", [accepted], REGISTRAR_A)
    noticed = in_notice(reg, ALICE, app(label="noticed"))
    objection = event(
        reg.tx("fileObjection", [noticed, EVIDENCE_HASH], OUTSIDER), "ObjectionFiled"
    ).args["objectionId"]
    ready = in_notice(reg, ALICE, app(label="ready"))
    live = issued(reg, ALICE, app(label="live"))
    time_travel(reg.chain, VALIDITY_PERIOD - 30 * DAY)  # the live one is inside its renewal window
    reg.configure_registrar(CODE_A, active=False, notice_period=NOTICE_PERIOD)
    cases: list[tuple[str, list[Any]]] = [
        ("accept", [submitted]),
        ("returnForCorrection", [submitted, 1, REASON]),
        ("reject", [submitted, 1, REASON]),
        ("openNotice", [accepted]),
        ("grantStanding", [accepted, BOB.address]),
        ("ruleObjection", [objection, False, REASON]),
        ("issue", [ready]),
        ("issueBatch", [[ready]]),
        ("correct", [live, digest("fp fixed"), digest("md fixed")]),
        ("renew", [live, 0]),
        ("revoke", [live, 1, REASON]),
        ("revokeEncumbered", [live, 1, REASON, digest("ruling")]),
    ]
    for function, args in cases:
        error = reg.refused(function, args, REGISTRAR_A)
        assert (error.error_name, error.args_by_name) == (
            "AuthorityRegistrarRetired",
            {"code": CODE_A},
        ), function
    # the staff cannot reactivate their registrar themselves
    error = reg.governance_refused(
        "setRegistrarPolicy", [CODE_A, (True, True, False, DAY)], REGISTRAR_A
    )
    assert error.error_name == "AuthorityRegistrarRetired"
    # only the admin does, and then the staff act again
    reg.configure_registrar(CODE_A, active=True, notice_period=NOTICE_PERIOD)
    reg.tx("accept", [submitted], REGISTRAR_A)


# --- wrong state ---------------------------------------------------------------------------


def test_wrong_state_is_refused_at_every_step(reg: Registry) -> None:
    reg_id, _ = reg.submit(ALICE, app())

    def wrong(function: str, args: list[Any], signer: LocalAccount, actual: Status) -> None:
        error = reg.refused(function, args, signer)
        assert error.error_name == "RegistryWrongStatus", function
        assert error.args_by_name == {"id": reg_id, "actual": actual}, function

    # Submitted
    wrong("openNotice", [reg_id], REGISTRAR_A, Status.SUBMITTED)
    wrong("resubmit", [reg_id, digest("a"), digest("b")], ALICE, Status.SUBMITTED)
    wrong("change", [reg_id, digest("a"), digest("b")], ALICE, Status.SUBMITTED)
    wrong("cancel", [reg_id, REASON], ALICE, Status.SUBMITTED)
    wrong("revoke", [reg_id, 1, REASON], REGISTRAR_A, Status.SUBMITTED)
    wrong("renew", [reg_id, 0], REGISTRAR_A, Status.SUBMITTED)
    wrong("correct", [reg_id, digest("a"), digest("b")], REGISTRAR_A, Status.SUBMITTED)
    wrong("grantStanding", [reg_id, BOB.address], REGISTRAR_A, Status.SUBMITTED)
    assert reg.refused_call("certificateNumber", [reg_id]).error_name == "RegistryWrongStatus"
    # Accepted
    reg.tx("accept", [reg_id], REGISTRAR_A)
    wrong("accept", [reg_id], REGISTRAR_A, Status.ACCEPTED)
    wrong("issue", [reg_id], REGISTRAR_A, Status.ACCEPTED)
    # In notice: no more review
    reg.tx("openNotice", [reg_id], REGISTRAR_A)
    wrong("reject", [reg_id, 1, REASON], REGISTRAR_A, Status.IN_NOTICE)
    wrong("returnForCorrection", [reg_id, 1, REASON], REGISTRAR_A, Status.IN_NOTICE)
    wrong("openNotice", [reg_id], REGISTRAR_A, Status.IN_NOTICE)
    # Issued
    time_travel(reg.chain, NOTICE_PERIOD)
    reg.tx("issue", [reg_id], REGISTRAR_A)
    wrong("issue", [reg_id], REGISTRAR_A, Status.ISSUED)
    wrong("fileObjection", [reg_id, EVIDENCE_HASH], OUTSIDER, Status.ISSUED)
    wrong("accept", [reg_id], REGISTRAR_A, Status.ISSUED)


def test_unknown_registration_is_refused(reg: Registry) -> None:
    cases: list[tuple[str, list[Any], LocalAccount]] = [
        ("accept", [42], REGISTRAR_A),
        ("issue", [42], REGISTRAR_A),
        ("change", [42, digest("a"), digest("b")], ALICE),
        ("fileObjection", [42, EVIDENCE_HASH], OUTSIDER),
    ]
    for function, args, signer in cases:
        error = reg.refused(function, args, signer)
        assert error.error_name == "RegistryUnknownRegistration", function
        assert error.args_by_name == {"id": 42}
    assert reg.refused_call("registration", [42]).error_name == "RegistryUnknownRegistration"
    assert reg.status(42) == Status.NONE


# --- delegated applications ----------------------------------------------------------------


def test_replayed_signature_is_refused(reg: Registry) -> None:
    application = app(label="once")
    deadline = latest_timestamp(reg.chain) + 3600
    signature = reg.sign_application(application, ALICE, deadline)
    args = [application.as_tuple(), ALICE.address, deadline, signature]
    reg.tx("submitApplicationFor", args, RELAYER)
    error = reg.refused("submitApplicationFor", args, RELAYER)
    assert error.error_name == "RegistryInvalidSignature"
    assert error.args_by_name == {"applicant": ALICE.address}
    assert reg.call("applicationNonce", [ALICE.address]) == 1


def test_expired_signature_is_refused(reg: Registry) -> None:
    application = app(label="late")
    deadline = latest_timestamp(reg.chain) + 60
    signature = reg.sign_application(application, ALICE, deadline)
    args = [application.as_tuple(), ALICE.address, deadline, signature]
    error = reg.refused_at(deadline + 1, "submitApplicationFor", args, RELAYER)
    assert error.error_name == "RegistryExpiredSignature"
    assert error.args_by_name == {"deadline": deadline}
    assert reg.call("applicationNonce", [ALICE.address]) == 0


def test_deadline_second_itself_is_still_valid(reg: Registry) -> None:
    application = app(label="just in time")
    deadline = latest_timestamp(reg.chain) + 60
    signature = reg.sign_application(application, ALICE, deadline)
    args = [application.as_tuple(), ALICE.address, deadline, signature]
    (submitted,) = reg.tx_at(deadline, "submitApplicationFor", args, RELAYER)
    assert submitted.args["applicant"] == ALICE.address


def test_signature_by_someone_else_is_refused(reg: Registry) -> None:
    application = app(label="forged")
    deadline = latest_timestamp(reg.chain) + 3600
    forged = reg.sign_application(application, MALLORY, deadline, applicant=ALICE.address)
    error = reg.refused(
        "submitApplicationFor", [application.as_tuple(), ALICE.address, deadline, forged], RELAYER
    )
    assert error.error_name == "RegistryInvalidSignature"
    assert error.args_by_name == {"applicant": ALICE.address}


@pytest.mark.parametrize(
    "tamper",
    [
        {"rights": 7},
        {"metadata_hash": digest("swapped")},
        {"source_agreement_end": 1},
        {"registrar_code": CODE_B},
    ],
)
def test_relayer_cannot_alter_the_signed_application(reg: Registry, tamper: dict[str, Any]) -> None:
    application = app(label="signed")
    deadline = latest_timestamp(reg.chain) + 3600
    signature = reg.sign_application(application, ALICE, deadline)
    altered = application.replace(**tamper)
    error = reg.refused(
        "submitApplicationFor", [altered.as_tuple(), ALICE.address, deadline, signature], RELAYER
    )
    assert error.error_name == "RegistryInvalidSignature"
    later = reg.refused(
        "submitApplicationFor",
        [application.as_tuple(), ALICE.address, deadline + 1, signature],
        RELAYER,
    )
    assert later.error_name == "RegistryInvalidSignature"  # the deadline is signed too


def test_signed_product_application_covers_its_parents(reg: Registry) -> None:
    first = issued(reg, ALICE, app(label="p1"))
    second = issued(reg, ALICE, app(label="p2"))
    product = app(label="signed product", kind=Kind.PRODUCT, parents=(first, second))
    reg_id, _ = reg.submit_for(product, ALICE, RELAYER)
    assert list(reg.registration(reg_id)["parents"]) == [first, second]
    deadline = latest_timestamp(reg.chain) + 3600
    signature = reg.sign_application(product, ALICE, deadline)
    reordered = product.replace(parents=(second, first))
    error = reg.refused(
        "submitApplicationFor",
        [reordered.as_tuple(), ALICE.address, deadline, signature],
        RELAYER,
    )
    assert error.error_name == "RegistryInvalidSignature"


# --- numbers -------------------------------------------------------------------------------


def _mistype(number: str, position: int) -> str:
    digit = str((int(number[position]) + 3) % 10)
    return number[:position] + digit + number[position + 1 :]


def test_numbers_round_trip_and_match_the_python_implementation(reg: Registry) -> None:
    application = app(data_source=3, applicant_type=2)
    reg_id, submit_receipt = reg.submit(ALICE, application)
    reg_number = event(submit_receipt, "ApplicationSubmitted").args["registrationNumber"]
    reg_text = registration_number(block_time(reg.chain, submit_receipt), 3, 2, reg_id)
    assert reg_number == int(reg_text)
    parsed = parse_registration_number(reg_text)
    assert (parsed.data_source, parsed.applicant_type, parsed.registration_id) == (3, 2, reg_id)
    assert reg.call("registrationNumber", [reg_id]) == reg_number
    assert reg.call("idOfRegistrationNumber", [reg_number]) == reg_id

    reg.to_notice(reg_id, REGISTRAR_A)
    time_travel(reg.chain, NOTICE_PERIOD)
    receipt = reg.tx("issue", [reg_id], REGISTRAR_A)
    issued_event = event(receipt, "CertificateIssued").args
    cert_text = certificate_number(issued_event["issuedAt"], CODE_A, reg_id)
    assert issued_event["certificateNumber"] == int(cert_text)
    assert reg.call("certificateNumber", [reg_id]) == int(cert_text)
    assert reg.call("idOfCertificateNumber", [int(cert_text)]) == reg_id
    assert parse_certificate_number(cert_text).registration_id == reg_id


def test_mistyped_numbers_are_refused_by_check_digit(reg: Registry) -> None:
    reg_id = issued(reg, ALICE, app())
    cert = f"{reg.call('certificateNumber', [reg_id]):017d}"
    reg_number = f"{reg.call('registrationNumber', [reg_id]):016d}"
    for position in range(17):
        typo = _mistype(cert, position)
        error = reg.refused_call("idOfCertificateNumber", [int(typo)])
        assert error.error_name == "RegistryInvalidNumber"
        assert error.args_by_name == {"number": int(typo)}
        with pytest.raises(MalformedNumberError):
            parse_certificate_number(typo)
    for position in range(16):
        typo = _mistype(reg_number, position)
        error = reg.refused_call("idOfRegistrationNumber", [int(typo)])
        assert error.error_name == "RegistryInvalidNumber"
        with pytest.raises(MalformedNumberError):
            parse_registration_number(typo)
    # swapping the two numbers' roles, or dropping a digit, is refused too
    for function, number in [
        ("idOfCertificateNumber", int(reg_number)),
        ("idOfRegistrationNumber", int(cert)),
        ("idOfCertificateNumber", int(cert[:-1])),
    ]:
        assert reg.refused_call(function, [number]).error_name == "RegistryInvalidNumber"


def test_well_formed_numbers_of_no_certificate_are_refused(reg: Registry) -> None:
    reg_id = issued(reg, ALICE, app())
    cert = parse_certificate_number(f"{reg.call('certificateNumber', [reg_id]):017d}")
    now = latest_timestamp(reg.chain)
    for text in [
        certificate_number(now, CODE_A, reg_id + 1),  # an id never issued
        certificate_number(now, CODE_B, reg_id),  # the wrong registrar
        certificate_number(now + 40 * DAY, CODE_A, reg_id),  # the wrong month
    ]:
        assert text != cert.text
        error = reg.refused_call("idOfCertificateNumber", [int(text)])
        assert error.error_name == "RegistryInvalidNumber"
    pending, receipt = reg.submit(ALICE, app(label="pending"))
    pending_cert = certificate_number(block_time(reg.chain, receipt), CODE_A, pending)
    assert reg.refused_call("idOfCertificateNumber", [int(pending_cert)]).error_name == (
        "RegistryInvalidNumber"
    )
    wrong_type = registration_number(block_time(reg.chain, receipt), 1, 2, pending)
    assert reg.refused_call("idOfRegistrationNumber", [int(wrong_type)]).error_name == (
        "RegistryInvalidNumber"
    )


def test_certificate_month_is_china_standard_time(reg: Registry) -> None:
    first = in_notice(reg, ALICE, app(label="december"))
    second = in_notice(reg, BOB, app(label="january"))
    now = latest_timestamp(reg.chain)
    year = int(certificate_number(now, 1, 1)[:4]) + 1
    # 16:00 UTC on 31 December is midnight, 1 January, in UTC+8
    new_year = int(datetime(year, 12, 31, 16, tzinfo=UTC).timestamp())
    reg.tx_at(new_year - 1, "issue", [first], REGISTRAR_A)
    reg.tx_at(new_year, "issue", [second], REGISTRAR_A)
    assert f"{reg.call('certificateNumber', [first]):017d}"[:6] == f"{year}12"
    assert f"{reg.call('certificateNumber', [second]):017d}"[:6] == f"{year + 1}01"


# --- ERC-721 -------------------------------------------------------------------------------


def test_token_uri_is_the_base_uri_plus_the_certificate_number(
    reg: Registry, base_settings: Settings
) -> None:
    reg_id = issued(reg, ALICE, app())
    number = reg.call("certificateNumber", [reg_id])
    assert reg.call("tokenURI", [reg_id]) == f"{base_settings.token_base_uri}{number}"
    receipt = reg.tx("setBaseURI", ["https://registry.example/meta/"], reg.admin)
    assert event(receipt, "BaseURISet").args == {
        "baseURI": "https://registry.example/meta/",
        "by": reg.admin.address,
    }
    assert reg.call("tokenURI", [reg_id]) == f"https://registry.example/meta/{number}"
    pending, _ = reg.submit(ALICE, app(label="pending"))
    assert reg.refused_call("tokenURI", [pending]).error_name == "ERC721NonexistentToken"


def test_erc721_ownership_and_metadata(reg: Registry) -> None:
    assert reg.call("name") == "dareg Data Asset Certificate"
    assert reg.call("symbol") == "DAC"
    first = issued(reg, ALICE, app(label="one"))
    second = issued(reg, ALICE, app(label="two"))
    third = issued(reg, BOB, app(label="three"))
    assert reg.call("balanceOf", [ALICE.address]) == 2
    assert reg.call("balanceOf", [BOB.address]) == 1
    assert [reg.call("ownerOf", [i]) for i in (first, second, third)] == [
        ALICE.address,
        ALICE.address,
        BOB.address,
    ]
    pending, _ = reg.submit(CAROL, app(label="pending"))
    assert reg.refused_call("ownerOf", [pending]).error_name == "ERC721NonexistentToken"
    assert reg.call("balanceOf", [CAROL.address]) == 0


def _interface_id(abi: list[dict[str, Any]]) -> str:
    value = 0
    for item in abi:
        if item["type"] == "function":
            types = ",".join(_canonical(p) for p in item["inputs"])
            value ^= int.from_bytes(keccak(text=f"{item['name']}({types})")[:4], "big")
    return f"0x{value:08x}"


def _canonical(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in param["components"]) + ")" + kind[5:]
    return kind


def test_supports_interface(reg: Registry, base_settings: Settings) -> None:
    registry_id = _interface_id(
        load_artifact(base_settings.artifacts_dir, "IDataAssetRegistry").abi
    )
    # v2: roles live in the RegistryAuthority (no AccessControl here); ERC-5192 and ERC-4906 added
    for interface in (
        ERC721_ID,
        ERC721_METADATA_ID,
        ERC165_ID,
        registry_id,
        ERC5192_ID,
        ERC4906_ID,
    ):
        assert reg.call("supportsInterface", [bytes.fromhex(interface[2:])]) is True, interface
    for interface in ("0xffffffff", "0x780e9d63", "0x12345678", ACCESS_CONTROL_ID):
        assert reg.call("supportsInterface", [bytes.fromhex(interface[2:])]) is False, interface


def _refuses_plain_transfer(error: ContractRevertError, reg_id: int, sender: str) -> bool:
    """Whether ``error`` refuses a plain ERC-721 transfer of ``reg_id`` sent by ``sender``.

    v2 (defect 12): the standard EIP-6093 ``ERC721InsufficientApproval(operator, tokenId)``, which
    every wallet decodes (it was ``LedgerTransferViaAgentOnly``, readable only with our ABI).
    """
    return error.error_name == "ERC721InsufficientApproval" and error.args_by_name == {
        "operator": sender,
        "tokenId": reg_id,
    }


def test_plain_erc721_transfers_are_refused(reg: Registry) -> None:
    reg_id = issued(reg, ALICE, app())
    cases: list[tuple[str, list[Any]]] = [
        ("transferFrom", [ALICE.address, BOB.address, reg_id]),
        ("safeTransferFrom", [ALICE.address, BOB.address, reg_id]),
        ("safeTransferFrom", [ALICE.address, BOB.address, reg_id, b""]),
    ]
    for function, args in cases:
        error = reg.refused(function, args, ALICE)
        assert _refuses_plain_transfer(error, reg_id, ALICE.address), (function, error)
    # v2 (defect 12): approvals are refused, so no marketplace can list an unsellable token
    error = reg.refused("approve", [BOB.address, reg_id], ALICE)
    assert (error.error_name, error.args_by_name) == (
        "ERC721InvalidApprover",
        {"approver": ALICE.address},
    )
    error = reg.refused("transferFrom", [ALICE.address, BOB.address, reg_id], BOB)
    assert _refuses_plain_transfer(error, reg_id, BOB.address), error
    assert reg.registration(reg_id)["holder"] == ALICE.address
    assert reg.call("ownerOf", [reg_id]) == ALICE.address


# --- admin ---------------------------------------------------------------------------------


def test_validity_period_is_admin_policy(reg: Registry) -> None:
    assert reg.call("validityPeriod") == VALIDITY_PERIOD
    receipt = reg.tx("setValidityPeriod", [365 * DAY], reg.admin)
    assert event(receipt, "ValidityPeriodSet").args == {
        "validityPeriod": 365 * DAY,
        "by": reg.admin.address,
    }
    reg_id = issued(reg, ALICE, app())
    record = reg.registration(reg_id)
    assert record["validUntil"] == record["noticeStart"] + 365 * DAY
    assert reg.refused("setValidityPeriod", [0], reg.admin).error_name == "RegistryInvalidPolicy"


def test_registrar_configuration_events(reg: Registry) -> None:
    registrar = dev_account(10)
    receipt = reg.configure_registrar(
        440, open_to_all=False, evidence_required=True, notice_period=DAY
    )
    assert event(receipt, "RegistrarConfigured").args == {
        "code": 440,
        "active": True,
        "objectionsOpenToAll": False,
        "evidenceRequired": True,
        "noticePeriod": DAY,
        "by": reg.admin.address,
    }
    receipt = reg.govern("setRegistrarAccount", [440, registrar.address, True], reg.admin)
    assert event(receipt, "RegistrarAccountSet").args == {
        "code": 440,
        "account": registrar.address,
        "enabled": True,
        "by": reg.admin.address,
    }
    code = reg.chain.call(AUTHORITY, reg.authority, "registrarCodeOf", [registrar.address])
    assert code == 440
    error = reg.governance_refused("setRegistrarAccount", [441, registrar.address, True], reg.admin)
    assert error.error_name == "AuthorityUnknownRegistrar"


# --- contracts v2: defects of issue 13 ----------------------------------------------------
# Each test below fails on the contracts of `main` (its docstring says what used to happen).

REGULATOR = dev_account(9)
CASE = digest("court case")
RULING = digest("ruling: revoke despite the pledge")


@pytest.fixture
def rights(reg: Registry, deployment: DeploymentManifest) -> Rights:
    r = Rights(reg.chain, deployment, governor())
    r.grant_regulator(REGULATOR)
    return r


def pledged(rights: Rights, token: int, holder: LocalAccount, pledgee: LocalAccount) -> int:
    return rights.pledge_now(token, holder, pledgee, RELAYER)


def consent(
    rights: Rights, pledge_id: int, action: int, counterparty: str, pledgee: LocalAccount
) -> None:
    """The pledgee consents (v2: bound to the pledgor, with a deadline a day from now)."""
    rights.consent(pledge_id, action, counterparty, pledgee)


CONSENT_CANCEL, CONSENT_CHANGE = 1, 3


def test_defect_4_change_is_refused_while_frozen_and_needs_the_pledgees_consent(
    reg: Registry, rights: Rights
) -> None:
    """Defect 4: the holder registered a new dataset version (new fingerprint) of a frozen,
    pledged certificate: the collateral was swapped. Now `change` is refused while frozen and
    spends the pledgee's `Change` consent while pledged."""
    token = issued(reg, ALICE, app(label="collateral"))
    swap = [token, digest("fp swapped"), digest("md swapped")]
    rights.tx(AGENT, "freeze", [token, CASE], REGULATOR)
    error = reg.refused("change", swap, ALICE)
    assert (error.error_name, error.args_by_name) == ("AgentFrozen", {"tokenId": token})
    rights.tx(AGENT, "unfreeze", [token, CASE], REGULATOR)
    pledge_id = pledged(rights, token, ALICE, BOB)
    error = reg.refused("change", swap, ALICE)
    assert error.error_name == "AgentPledged"
    consent(rights, pledge_id, CONSENT_CHANGE, ALICE.address, BOB)
    receipt = reg.tx("change", swap, ALICE)
    assert event(receipt, "PledgeConsentUsed").args["action"] == CONSENT_CHANGE
    assert event(receipt, "MetadataUpdate").args == {"_tokenId": token}
    # the consent was spent: the next swap needs another one
    assert reg.refused("change", [token, digest("fp 3"), digest("md 3")], ALICE).error_name == (
        "AgentPledged"
    )


def test_defect_5_one_fingerprint_backs_at_most_one_live_registration(reg: Registry) -> None:
    """Defect 5: the same fingerprint was issued twice to two holders (and each certificate
    pledged to a different lender). Now the second issuance reverts naming the live one; the
    fingerprint is free again once the first certificate ends."""
    shared = app(label="one dataset")
    first = issued(reg, ALICE, shared)
    assert reg.call("liveRegistrationOf", [shared.fingerprint]) == first
    second = in_notice(reg, BOB, shared)
    time_travel(reg.chain, NOTICE_PERIOD)
    error = reg.refused("issue", [second], REGISTRAR_A)
    assert (error.error_name, error.args_by_name) == (
        "RegistryFingerprintInUse",
        {"fingerprint": hex32(shared.fingerprint), "otherId": first},
    )
    # a new version cannot take a fingerprint another live registration holds either
    other = issued(reg, CAROL, app(label="other dataset"))
    error = reg.refused("change", [other, shared.fingerprint, digest("md")], CAROL)
    assert error.error_name == "RegistryFingerprintInUse"
    error = reg.refused("correct", [other, shared.fingerprint, digest("md")], REGISTRAR_A)
    assert error.error_name == "RegistryFingerprintInUse"
    # moving to a new fingerprint frees the old one
    reg.tx("change", [first, digest("fp moved"), digest("md moved")], ALICE)
    assert reg.call("liveRegistrationOf", [shared.fingerprint]) == 0
    reg.tx("change", [first, shared.fingerprint, digest("md back")], ALICE)
    reg.tx("cancel", [first, REASON], ALICE)
    assert reg.call("liveRegistrationOf", [shared.fingerprint]) == 0
    reg.tx("issue", [second], REGISTRAR_A)
    assert reg.call("liveRegistrationOf", [shared.fingerprint]) == second


def test_defect_6b_a_products_applicant_holds_each_parent_or_a_live_processing_licence(
    reg: Registry,
) -> None:
    """Defect 6b: a stranger registered a product derived from someone else's resource without
    any licence. Now the applicant must hold each parent or have a live processing-use licence
    on it, at submission and again at issuance."""
    parent = issued(reg, BOB, app(label="parent", rights=HOLDING | PROCESSING_USE))
    product = app(label="derived", kind=Kind.PRODUCT, parents=(parent,))
    error = reg.refused("submitApplication", [product.as_tuple()], ALICE)
    assert (error.error_name, error.args_by_name) == (
        "RegistryParentNotLicensed",
        {"parentId": parent, "applicant": ALICE.address},
    )
    receipt = reg.grant_processing_licence(parent, BOB, ALICE.address)
    licence_id = event(receipt, "LicenceGranted").args["licenceId"]
    product_id = in_notice(reg, ALICE, product)
    # the licence ends before issuance: the product cannot be issued
    reg.chain.transact(
        LICENCES, reg.module(LICENCES), "terminate", [licence_id, digest("ended")], BOB
    )
    time_travel(reg.chain, NOTICE_PERIOD)
    assert reg.refused("issue", [product_id], REGISTRAR_A).error_name == (
        "RegistryParentNotLicensed"
    )
    # the holder of the parent needs no licence
    own = in_notice(reg, BOB, product.replace(fingerprint=digest("fp own product")))
    time_travel(reg.chain, NOTICE_PERIOD)
    reg.tx("issue", [own], REGISTRAR_A)


def test_defect_6a_the_evidence_anchor_must_be_the_applicants(
    reg: Registry, deployment: DeploymentManifest
) -> None:
    """Defect 6a: a stranger anchored a holder's fingerprint first and so satisfied the
    registrar's evidence policy (for anyone). Now the anchor must be the applicant's own (and
    for a holder's `change`, the holder's)."""
    registrar = dev_account(10)
    reg.chain.rpc("anvil_setBalance", [registrar.address, hex(10**20)])
    reg.add_registrar(303, registrar, evidence_required=True, notice_period=DAY)
    evidence = deployment.address_of(EVIDENCE)
    application = app(303, "alice's data")
    reg.chain.transact(EVIDENCE, evidence, "anchor", [application.fingerprint], MALLORY)
    error = reg.refused("submitApplication", [application.as_tuple()], ALICE)
    assert (error.error_name, error.args_by_name) == (
        "RegistryEvidenceNotAnchored",
        {"fingerprint": hex32(application.fingerprint), "account": ALICE.address},
    )
    own = app(303, "alice's own anchor")
    reg.chain.transact(EVIDENCE, evidence, "anchor", [own.fingerprint], ALICE)
    reg_id, _ = reg.submit(ALICE, own)
    reg.to_notice(reg_id, registrar)
    time_travel(reg.chain, DAY)
    reg.tx("issue", [reg_id], registrar)
    # a new version anchored by someone else does not satisfy the policy either
    other = digest("mallory's anchor")
    reg.chain.transact(EVIDENCE, evidence, "anchor", [other], MALLORY)
    error = reg.refused("change", [reg_id, other, digest("md 2")], ALICE)
    assert error.args_by_name == {"fingerprint": hex32(other), "account": ALICE.address}


def test_defect_10_renewal_only_within_the_window_and_never_lifts_the_cap(reg: Registry) -> None:
    """Defect 10: three renewals in one day pushed validity about twelve years ahead, and a
    zero source-agreement end removed the cap. Now renewal opens `renewalWindow` (90 days by
    default, admin-set) before expiry, validity becomes min(now + period, cap), and 0 keeps
    the existing cap."""
    sae = latest_timestamp(reg.chain) + VALIDITY_PERIOD + 200 * DAY
    reg_id = issued(reg, ALICE, app(source_agreement_end=sae))
    valid_until = reg.registration(reg_id)["validUntil"]
    assert reg.call("renewalWindow") == RENEWAL_WINDOW
    error = reg.refused("renew", [reg_id, 0], REGISTRAR_A)
    assert (error.error_name, error.args_by_name) == (
        "RegistryRenewalWindowNotOpen",
        {"id": reg_id, "opensAt": valid_until - RENEWAL_WINDOW},
    )
    mine_at(reg.chain, valid_until - RENEWAL_WINDOW)
    receipt = reg.tx("renew", [reg_id, 0], REGISTRAR_A)
    renewed = event(receipt, "CertificateRenewed").args
    assert renewed["validUntil"] == sae  # the cap was kept, not removed
    assert renewed["sourceAgreementEnd"] == sae
    assert reg.registration(reg_id)["sourceAgreementEnd"] == sae
    # a second renewal the same day is outside the (new) window
    assert reg.refused("renew", [reg_id, 0], REGISTRAR_A).error_name == (
        "RegistryRenewalWindowNotOpen"
    )
    receipt = reg.tx("setRenewalWindow", [30 * DAY], reg.admin)
    assert event(receipt, "RenewalWindowSet").args == {
        "renewalWindow": 30 * DAY,
        "by": reg.admin.address,
    }


def test_defect_3_cancellation_settles_the_pledge_and_the_licences(
    reg: Registry, rights: Rights
) -> None:
    """Defect 3: cancelling with the pledgee's consent left the pledge live on a cancelled
    certificate (and its licences). Now cancellation settles both, with events."""
    token = issued(reg, ALICE, app(label="cancel me", rights=HOLDING | PROCESSING_USE))
    reg.grant_processing_licence(token, ALICE, CAROL.address)
    pledge_id = pledged(rights, token, ALICE, BOB)
    assert reg.refused("cancel", [token, REASON], ALICE).error_name == "AgentPledged"
    consent(rights, pledge_id, CONSENT_CANCEL, ALICE.address, BOB)
    receipt = reg.tx("cancel", [token, REASON], ALICE)
    assert event(receipt, "PledgeSettled").args == {
        "pledgeId": pledge_id,
        "tokenId": token,
        "endStatus": Status.CANCELLED,
    }
    assert event(receipt, "LicencesSettled").args["tokenId"] == token
    assert rights.live_pledge_of(token) == 0


def test_defect_3_revoking_a_pledged_or_frozen_certificate_is_a_recorded_ruling(
    reg: Registry, rights: Rights
) -> None:
    """Defect 3: revocation never touched the pledge (the pledgee could then neither release nor
    enforce). Now a pledged or frozen certificate is revoked only with `revokeEncumbered` and a
    ruling recorded in the event, and the pledge is settled."""
    token = issued(reg, ALICE, app(label="pledged"))
    pledge_id = pledged(rights, token, ALICE, BOB)
    error = reg.refused("revoke", [token, 3, REASON], REGISTRAR_A)
    assert (error.error_name, error.args_by_name) == (
        "RegistryEncumbered",
        {"id": token, "livePledgeId": pledge_id, "frozen": False},
    )
    assert reg.refused("revokeEncumbered", [token, 3, REASON, ZERO], REGISTRAR_A).error_name == (
        "RegistryZeroRuling"
    )
    receipt = reg.tx("revokeEncumbered", [token, 3, REASON, RULING], REGISTRAR_A)
    assert event(receipt, "CertificateRevoked").args == {
        "id": token,
        "registrar": REGISTRAR_A.address,
        "reasonCode": 3,
        "reasonHash": hex32(REASON),
        "rulingHash": hex32(RULING),
    }
    assert event(receipt, "PledgeSettled").args["endStatus"] == Status.REVOKED
    assert rights.live_pledge_of(token) == 0
    frozen = issued(reg, ALICE, app(label="frozen"))
    rights.tx(AGENT, "freeze", [frozen, CASE], REGULATOR)
    error = reg.refused("revoke", [frozen, 3, REASON], REGISTRAR_A)
    assert error.args_by_name == {"id": frozen, "livePledgeId": 0, "frozen": True}


def test_defect_3_anyone_closes_an_expired_certificate_and_settles_it(
    reg: Registry, rights: Rights
) -> None:
    """Defect 3: expiry never touched the pledge or the licences. Now anyone closes an expired
    certificate: it is burned, its pledge and licences settled, its fingerprint freed."""
    token = issued(reg, ALICE, app(label="expiring"))
    pledge_id = pledged(rights, token, ALICE, BOB)
    valid_until = reg.registration(token)["validUntil"]
    error = reg.refused("closeExpired", [token], OUTSIDER)
    assert (error.error_name, error.args_by_name) == (
        "RegistryNotExpired",
        {"id": token, "validUntil": valid_until},
    )
    mine_at(reg.chain, valid_until + 1)
    receipt = reg.tx("closeExpired", [token], OUTSIDER)
    assert event(receipt, "CertificateExpiryClosed").args == {
        "id": token,
        "validUntil": valid_until,
        "by": OUTSIDER.address,
    }
    assert event(receipt, "PledgeSettled").args == {
        "pledgeId": pledge_id,
        "tokenId": token,
        "endStatus": Status.EXPIRED,
    }
    assert event(receipt, "Transfer").args["to"] == "0x" + "00" * 20
    assert reg.status(token) == Status.EXPIRED
    assert reg.call("liveRegistrationOf", [app(label="expiring").fingerprint]) == 0
    assert reg.refused("closeExpired", [token], OUTSIDER).error_name == "RegistryWrongStatus"


def test_defect_12_wallets_and_readers_see_the_effective_state(reg: Registry) -> None:
    """Defect 12: cancelled and revoked tokens answered ownerOf/balanceOf/tokenURI as if valid,
    registration() said Issued for an expired certificate, and approvals succeeded though no
    transfer could follow. Now ended certificates are burned, every view reports the effective
    status, approvals revert with EIP-6093 errors, and ERC-5192/ERC-4906 signal it."""
    token = issued(reg, ALICE, app(label="wallet"))
    assert reg.call("locked", [token]) is True
    assert reg.call("supportsInterface", [bytes.fromhex(ERC5192_ID[2:])]) is True
    assert reg.call("supportsInterface", [bytes.fromhex(ERC4906_ID[2:])]) is True
    error = reg.refused("setApprovalForAll", [BOB.address, True], ALICE)
    assert (error.error_name, error.args_by_name) == (
        "ERC721InvalidOperator",
        {"operator": BOB.address},
    )
    assert reg.refused("approve", [BOB.address, token], ALICE).error_name == (
        "ERC721InvalidApprover"
    )
    receipt = reg.tx("correct", [token, app(label="wallet").fingerprint, digest("md")], REGISTRAR_A)
    assert event(receipt, "MetadataUpdate").args == {"_tokenId": token}
    receipt = reg.tx("cancel", [token, REASON], ALICE)
    assert event(receipt, "MetadataUpdate").args == {"_tokenId": token}
    for function, args in (("ownerOf", [token]), ("tokenURI", [token]), ("locked", [token])):
        assert reg.refused_call(function, args).error_name == "ERC721NonexistentToken", function
    assert reg.call("balanceOf", [ALICE.address]) == 0
    assert reg.registration(token)["status"] == Status.CANCELLED
    assert reg.registration(token)["holder"] == ALICE.address  # the record keeps its last holder
    expiring = issued(reg, ALICE, app(label="expiring view"))
    mine_at(reg.chain, reg.registration(expiring)["validUntil"] + 1)
    assert reg.registration(expiring)["status"] == Status.EXPIRED


def test_defect_13_an_elapsed_validity_has_its_own_error_and_events_name_the_actor(
    reg: Registry,
) -> None:
    """Defect 13: issuing an application whose notice opened so long ago that its validity
    elapsed failed with `RegistrySourceAgreementEnded(id, 0)`, and `CertificateIssued` and
    `CertificateRenewed` omitted the acting registrar. Now the error is
    `RegistryValidityElapsed(id, validUntil)` and the events carry the registrar."""
    reg.tx("setValidityPeriod", [DAY], reg.admin)  # shorter than the 15-day notice
    reg_id = in_notice(reg, ALICE, app(label="stale"))
    notice_start = reg.registration(reg_id)["noticeStart"]
    time_travel(reg.chain, NOTICE_PERIOD)
    error = reg.refused("issue", [reg_id], REGISTRAR_A)
    assert (error.error_name, error.args_by_name) == (
        "RegistryValidityElapsed",
        {"id": reg_id, "validUntil": notice_start + DAY},
    )
    reg.tx("setValidityPeriod", [VALIDITY_PERIOD], reg.admin)
    receipt = reg.tx("issue", [reg_id], REGISTRAR_A)
    assert event(receipt, "CertificateIssued").args["registrar"] == REGISTRAR_A.address


def test_every_state_change_waits_while_paused_and_reads_keep_working(reg: Registry) -> None:
    """v2: the pauser's emergency stop refuses every state change of the registry."""
    token = issued(reg, ALICE, app(label="paused"))
    pending, _ = reg.submit(ALICE, app(label="pending"))
    pauser_role = keccak(text="PAUSER_ROLE")
    reg.govern("grantRole", [pauser_role, dev_account(21).address], reg.admin)
    reg.chain.rpc("anvil_setBalance", [dev_account(21).address, hex(10**20)])
    reg.govern("pause", [], dev_account(21))
    cases: list[tuple[str, list[Any], LocalAccount]] = [
        ("submitApplication", [app(label="new").as_tuple()], ALICE),
        ("accept", [pending], REGISTRAR_A),
        ("change", [token, digest("fp p"), digest("md p")], ALICE),
        ("renew", [token, 0], REGISTRAR_A),
        ("revoke", [token, 1, REASON], REGISTRAR_A),
        ("cancel", [token, REASON], ALICE),
        ("closeExpired", [token], OUTSIDER),
        ("setValidityPeriod", [DAY], reg.admin),
    ]
    for function, args, signer in cases:
        assert reg.refused(function, args, signer).error_name == "EnforcedPause", function
    assert reg.call("ownerOf", [token]) == ALICE.address
    assert reg.status(token) == Status.ISSUED
    reg.govern("unpause", [], dev_account(21))
    reg.tx("accept", [pending], REGISTRAR_A)


def test_every_deployed_contract_and_library_fits_in_20480_bytes(base_settings: Settings) -> None:
    """v2 (room to grow): every deployed contract and every linked library is at most 20,480
    bytes of runtime code with the normal optimizer settings (DataAssetRegistry was 23,803 and
    then needed optimizer runs=1)."""
    sizes = {
        name: len(load_artifact(base_settings.artifacts_dir, name).deployed_bytecode)
        for name in client_contracts(base_settings.artifacts_dir)
    }
    assert {"ApplicationIntake", "ApplicationReview", "CertificateLifecycle"} <= set(sizes)
    assert {name: size for name, size in sizes.items() if size > 20_480} == {}
