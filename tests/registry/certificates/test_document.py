"""The certificate document, assembled from the real chain and the stored metadata."""

from __future__ import annotations

import hashlib

import pytest

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.domain.numbers import certificate_number, parse_certificate_number
from registry.domain.registration import AssetKind, Classification, Right, Status
from registry.errors import CertificateNotFoundError, MalformedNumberError
from tests.registry.certificates.conftest import (
    FINGERPRINT,
    REGISTRAR_CODE,
    issue_certificate,
    rich_metadata,
    travel,
)


def test_every_certificate_field(
    ctx: RegistryContext, chain: ChainClient, certificate: str
) -> None:
    doc = ctx.certificates.document(certificate)
    reg = ctx.registrations.by_certificate_number(certificate)
    holder = dev_account(1)

    assert doc.certificate_number == certificate
    assert doc.registration_number == reg.registration_number
    assert doc.token_id == reg.id
    assert doc.status is Status.ISSUED
    assert doc.valid
    assert doc.holder.name == "广州港航物流数据有限公司"
    assert doc.holder.identifier_type == "uscc"
    assert doc.holder.address == holder.address
    assert doc.asset_name == "港口集装箱吞吐量数据集 2025"
    assert doc.asset_kind is AssetKind.RESOURCE
    assert doc.rights == [Right.HOLDING, Right.PROCESSING_USE]
    assert doc.classification is Classification.GENERAL
    assert doc.metadata == rich_metadata(holder.address)  # every AssetMetadata field
    assert doc.fingerprint == FINGERPRINT
    assert doc.version == 1
    assert [(v.version, v.fingerprint) for v in doc.versions] == [(1, FINGERPRINT)]
    assert doc.evidence is not None
    assert doc.evidence.fingerprint == FINGERPRINT
    assert doc.evidence.anchorer == holder.address
    assert doc.evidence.contract == ctx.evidence.contract_address
    assert doc.evidence.tx_hash is not None
    assert doc.registrar.code == REGISTRAR_CODE
    assert doc.registrar.name == "广东省数据资产登记中心"
    assert doc.issued_at == reg.issued_at
    assert doc.notice_period.start == reg.notice_start
    assert doc.notice_period.end == reg.notice_end
    assert doc.valid_until == reg.valid_until
    assert doc.source_agreement_end == reg.source_agreement_end
    assert doc.chain.chain_id == 31337
    assert doc.chain.contract == ctx.registrations.contract_address
    assert doc.chain.token_uri == f"{ctx.settings.token_base_uri}{certificate}"
    assert doc.verification_url == f"{ctx.settings.api_url}/verify/{certificate}"
    assert doc.metadata_hash == reg.metadata_hash
    assert doc.metadata_hash == "0x" + hashlib.sha256(doc.metadata.canonical()).hexdigest()

    body = doc.model_dump(mode="json", by_alias=True)
    assert body["schema"] == "dareg.certificate/1"
    assert body["metadata"]["schema"] == "dareg.asset-metadata/1"
    assert body["status"] == "issued"


def test_status_includes_expiry_and_versions(ctx: RegistryContext, chain: ChainClient) -> None:
    number = issue_certificate(ctx, chain)
    holder = dev_account(1)
    reg = ctx.registrations.by_certificate_number(number)
    ctx.registrations.change(reg.id, rich_metadata(holder.address, 0xB2), holder)
    changed = ctx.certificates.document(number)
    assert changed.version == 2
    assert changed.fingerprint == "0x" + "b2" * 32
    assert changed.evidence is None  # the new fingerprint was never anchored
    assert [v.fingerprint for v in changed.versions] == [FINGERPRINT, "0x" + "b2" * 32]

    assert reg.valid_until is not None
    travel(chain, int(reg.valid_until.timestamp()) - ctx.client.block().timestamp + 86_400)
    expired = ctx.certificates.document(number)
    assert expired.status is Status.EXPIRED
    assert not expired.valid


def test_mistyped_and_unknown_numbers(ctx: RegistryContext, certificate: str) -> None:
    typo = certificate[:-3] + str((int(certificate[-3]) + 1) % 10) + certificate[-2:]
    with pytest.raises(MalformedNumberError):
        ctx.certificates.document(typo)
    parsed = parse_certificate_number(certificate)
    issued = ctx.registrations.by_certificate_number(certificate).issued_at
    assert issued is not None
    ghost = certificate_number(int(issued.timestamp()), parsed.registrar_code, 777)
    with pytest.raises(CertificateNotFoundError):
        ctx.certificates.document(ghost)
