"""The certificate service: every answer is read from one block of the chain."""

from __future__ import annotations

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from tests.registry.certificates.conftest import FINGERPRINT, issue_certificate, rich_metadata


def test_a_document_as_of_a_block_shows_the_chain_then(
    ctx: RegistryContext, chain: ChainClient
) -> None:
    number = issue_certificate(ctx, chain)
    before = ctx.client.head()
    holder = dev_account(1)
    reg = ctx.registrations.by_certificate_number(number)
    ctx.registrations.change(reg.id, rich_metadata(holder.address, 0xB2), holder)

    then = ctx.certificates.document(number, block=before)
    assert then.version == 1
    assert then.fingerprint == FINGERPRINT
    assert [v.fingerprint for v in then.versions] == [FINGERPRINT]
    assert then.evidence is not None  # the first fingerprint was anchored before the block
    now = ctx.certificates.document(number)
    assert now.version == 2
    assert [v.fingerprint for v in now.versions] == [FINGERPRINT, "0x" + "b2" * 32]


def test_the_verify_page_reads_the_document_and_the_answer_at_one_block(
    ctx: RegistryContext, certificate: str
) -> None:
    head = ctx.client.head()
    page = ctx.certificates.verify_page(certificate)
    assert page.verification.as_of_block == head
    assert page.verification.genuine
    assert page.document.certificate_number == certificate
    assert page.verification.registration is not None
    assert page.document.version == page.verification.registration.version
