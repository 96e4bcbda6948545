"""The review path in a timeline: returns, resubmission (its new fingerprint's evidence too),
standing, objections and rulings, changes, corrections, sublicences, termination, cancellation."""

from __future__ import annotations

from registry.context import RegistryContext
from registry.domain.evidence import parse_fingerprint
from registry.indexer.follow import Indexer
from registry.mirror import resolve_as_of
from registry.provenance import timeline
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, metadata, registrar, travel
from tests.registry.rights.test_service import (
    buyer,
    holder,
    licence_terms,
    licensee,
    sublicensee,
)


def test_every_review_and_rights_step_has_its_kind(ctx: RegistryContext) -> None:
    service, owner, staff = ctx.registrations, holder(), registrar()
    ctx.evidence.anchor(parse_fingerprint("0x" + "e2" * 32), owner)
    reg = service.sign_and_submit(
        metadata(owner.address, 0xE1), REGISTRAR_CODE, owner, ctx.operator
    )
    service.accept(reg.id, staff)
    service.return_for_correction(reg.id, 3, "补充数据来源证明", staff)
    service.resubmit(reg.id, metadata(owner.address, 0xE2), owner)
    service.accept(reg.id, staff)
    service.grant_standing(reg.id, buyer().address, staff)
    service.open_notice(reg.id, staff)
    objection = service.file_objection(reg.id, b"ownership claim", "text/plain", buyer())
    service.rule_objection(objection, False, "证据不足", staff)
    travel(ctx.client, NOTICE + 1)
    service.issue(reg.id, staff)
    service.change(reg.id, metadata(owner.address, 0xE3), owner)
    service.correct(reg.id, metadata(owner.address, 0xE4), staff)
    rights = ctx.rights
    parent = rights.grant_licence(reg.id, licence_terms(ctx, licensee()), owner)
    child = rights.grant_sublicence(
        parent.id, licence_terms(ctx, sublicensee(), days=30), licensee()
    )
    rights.terminate(child.id, "到期前协商终止", licensee())
    service.cancel(reg.id, "数据停止更新", owner)
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()

    number = service.get(reg.id).certificate_number
    assert number is not None
    answer = timeline(
        ctx.engine,
        ctx.manifest.chain_id,
        number,
        resolve_as_of(ctx.engine, ctx.manifest.chain_id),
    )
    assert [e.kind for e in answer.entries] == [
        "evidence_anchored",  # of the resubmitted fingerprint, anchored before it all
        "application_submitted",
        "application_accepted",
        "application_returned",
        "application_resubmitted",
        "application_accepted",
        "standing_granted",
        "notice_opened",
        "objection_filed",
        "objection_ruled",
        "certificate_issued",
        "asset_changed",
        "asset_corrected",
        "licence_granted",
        "sublicence_granted",
        "licence_terminated",
        "certificate_cancelled",
        "licences_settled",  # contracts v2: the cancellation settles the live licence
    ]
    by_kind = {e.kind: e for e in answer.entries}
    assert by_kind["standing_granted"].details["party"] == buyer().address
    assert by_kind["objection_filed"].actor == buyer().address
    assert by_kind["objection_ruled"].details["upheld"] is False
    assert by_kind["asset_corrected"].actor == staff.address
    assert by_kind["licence_terminated"].actor == licensee().address
    assert by_kind["certificate_cancelled"].actor == owner.address
    settled = by_kind["licences_settled"]
    assert (settled.actor, settled.details) == (None, {"endStatus": "cancelled"})
    assert settled.tx_hash == by_kind["certificate_cancelled"].tx_hash
    # contracts v2 name the acting registrar of the issue and of a granted standing
    assert by_kind["certificate_issued"].actor == staff.address
    assert by_kind["standing_granted"].actor == staff.address
    assert answer.asset.status is not None
    assert answer.asset.status.value == "cancelled"
