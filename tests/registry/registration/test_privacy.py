"""A natural person's identifier through the registration service: committed before it is hashed,
signed or stored, kept in full in the private store only, and shown in full (verified against the
chain) by ``holder_identity`` (docs/privacy.md)."""

from __future__ import annotations

import hashlib
import json

import pytest

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.domain.registration import AssetMetadata
from registry.errors import InputError
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, metadata, registrar, travel

ID_CARD = "440106198506120029"
MASKED = "440106********0029"
PERSON = dev_account(14)


def person_metadata(fingerprint_byte: int = 0xD1, identifier: str = ID_CARD) -> AssetMetadata:
    """An application by a natural person, identifier in full (as the applicant gives it)."""
    return metadata(
        PERSON.address,
        fingerprint_byte,
        holder={
            "name": "张三",
            "identifier_type": "id_card",
            "identifier": identifier,
            "address": PERSON.address,
        },
        applicant_type=4,
    )


def _commitment(salt_hex: str, identifier_type: str, identifier: str) -> str:
    """docs/privacy.md: SHA-256(salt ‖ UTF-8(type) ‖ 0x00 ‖ UTF-8(identifier))."""
    body = bytes.fromhex(salt_hex[2:]) + identifier_type.encode() + b"\0" + identifier.encode()
    return "0x" + hashlib.sha256(body).hexdigest()


def test_a_natural_persons_application_is_committed_and_shown_in_full_only_by_holder_identity(
    ctx: RegistryContext, chain: ChainClient
) -> None:
    service = ctx.registrations
    reg = service.sign_and_submit(person_metadata(), REGISTRAR_CODE, PERSON, ctx.operator)
    body = service.metadata_document(reg)
    assert "0x" + hashlib.sha256(body).hexdigest() == reg.metadata_hash
    assert ID_CARD.encode() not in body
    holder = json.loads(body)["holder"]
    assert holder["identifier"] == MASKED
    assert service.public_metadata_document(reg) == body  # served as stored: it verifies

    identity = service.holder_identity(reg.id)
    assert identity.identifier == ID_CARD
    assert identity.masked == MASKED
    assert identity.verified
    assert identity.salt is not None
    assert identity.commitment == holder["identifier_commitment"]
    assert _commitment(identity.salt, "id_card", ID_CARD) == identity.commitment
    assert identity.metadata_hash == reg.metadata_hash

    # a new version given in full is committed again; each version's document verifies
    service.accept(reg.id, registrar())
    service.open_notice(reg.id, registrar())
    travel(chain, NOTICE + 1)
    service.issue(reg.id, registrar())
    changed = service.change(reg.id, person_metadata(0xD2), PERSON)
    assert changed.version == 2
    assert ID_CARD.encode() not in service.metadata_document(changed)
    again = service.holder_identity(reg.id)
    assert again.verified
    assert again.identifier == ID_CARD
    assert again.commitment != identity.commitment  # a salt per dataset version


def test_typed_data_and_submission_hash_the_same_public_document(ctx: RegistryContext) -> None:
    service = ctx.registrations
    draft = person_metadata()
    first = service.commit_metadata(draft)
    assert first.holder.identifier == MASKED
    assert first.holder.identifier_commitment is not None
    assert service.commit_metadata(draft) == first  # same holder, identifier, dataset: same salt
    assert service.commit_metadata(first) == first  # a committed document is kept as it is
    other = service.commit_metadata(person_metadata(0xD3))
    assert other.holder.identifier_commitment != first.holder.identifier_commitment
    deadline = ctx.client.block().timestamp + 600
    typed = service.application_typed_data(draft, REGISTRAR_CODE, PERSON.address, deadline)
    assert typed["message"]["metadataHash"] == "0x" + first.digest().hex()
    assert ID_CARD not in json.dumps(typed)


def test_commitments_the_service_does_not_hold_and_bare_masks_are_refused(
    ctx: RegistryContext,
) -> None:
    service = ctx.registrations
    public = service.commit_metadata(person_metadata())
    forged = public.model_copy(
        update={
            "holder": public.holder.model_copy(update={"identifier_commitment": "0x" + "ee" * 32})
        }
    )
    with pytest.raises(InputError, match="holds no id_card identifier"):
        service.commit_metadata(forged)
    bare = public.model_copy(
        update={"holder": public.holder.model_copy(update={"identifier_commitment": None})}
    )
    with pytest.raises(InputError, match="given in full"):
        service.commit_metadata(bare)


def test_a_legal_entitys_identifier_stays_public(ctx: RegistryContext) -> None:
    holder = dev_account(1)
    doc = metadata(holder.address)
    assert ctx.registrations.commit_metadata(doc) == doc
    reg = ctx.registrations.sign_and_submit(doc, REGISTRAR_CODE, holder, ctx.operator)
    assert reg.metadata_hash == "0x" + doc.digest().hex()  # the hash it always had
    identity = ctx.registrations.holder_identity(reg.id)
    assert identity.identifier == doc.holder.identifier == identity.masked
    assert identity.salt is None
    assert identity.commitment is None
    assert identity.verified
