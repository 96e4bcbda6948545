"""Party identifiers: check digits, the one masking function, and the commitment of a natural
person's identifier, recomputed here from docs/privacy.md alone."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from registry.domain.identifiers import (
    id_card_problem,
    identifier_commitment,
    is_masked,
    make_id_card,
    mask_identifier,
    passport_problem,
)
from registry.domain.registration import Holder, public_holder, public_metadata
from registry.errors import InputError
from tests.registry.registration.conftest import metadata

PRIVACY_DOC = Path(__file__).resolve().parents[3] / "docs" / "privacy.md"
ADDRESS = "0x" + "ab" * 20
#: A resident identity number with a valid check digit (GB 11643-1999), and one mistyped.
ID_CARD = "440106198506120029"
MISTYPED = "440106198506120028"


def test_id_card_check_digit() -> None:
    assert make_id_card(ID_CARD[:17]) == ID_CARD
    assert id_card_problem(ID_CARD) is None
    assert make_id_card("11010519491231002") == "11010519491231002X"  # the standard's example
    assert "check digit" in (id_card_problem(MISTYPED) or "")
    assert id_card_problem("44010619850612002") is not None  # 17 characters
    assert id_card_problem("44010619850612002A") is not None


def test_passport_numbers() -> None:
    assert passport_problem("E12345678") is None
    assert passport_problem("E1234") is None
    assert passport_problem("E12") is not None
    assert passport_problem("E1234567-8") is not None


@pytest.mark.parametrize(
    ("kind", "identifier", "masked"),
    [
        ("id_card", "440106198506120029", "440106********0029"),
        ("id_card", "11010519491231002X", "110105********002X"),
        ("passport", "E12345678", "E******78"),
        ("passport", "G1234", "G**34"),
        ("uscc", "91440101MA5CGK8T2X", "91440101MA5CGK8T2X"),  # a legal entity's: public
        ("other", "证照 123", "证照 123"),
    ],
)
def test_masking(kind: str, identifier: str, masked: str) -> None:
    assert mask_identifier(kind, identifier) == masked
    assert mask_identifier(kind, masked) == masked  # a masked form stays as it is
    if kind in ("id_card", "passport"):
        assert is_masked(masked)
        assert identifier not in masked


def _doc_commitment(salt: bytes, identifier_type: str, identifier: str) -> str:
    """docs/privacy.md, "The commitment", implemented from the page."""
    doc = PRIVACY_DOC.read_text(encoding="utf-8")
    assert "SHA-256( salt ‖ UTF-8(identifier_type) ‖ 0x00 ‖ UTF-8(identifier) )" in doc
    body = salt + identifier_type.encode() + bytes([0]) + identifier.encode()
    return "0x" + hashlib.sha256(body).hexdigest()


def test_commitment_follows_the_documented_definition_and_vector() -> None:
    salt = bytes(range(32))
    ours = identifier_commitment("id_card", ID_CARD, salt)
    assert ours == _doc_commitment(salt, "id_card", ID_CARD)
    doc = PRIVACY_DOC.read_text(encoding="utf-8")
    vector = re.search(r"`(0x[0-9a-f]{64})`", doc[doc.index("Test vector") :])
    assert vector is not None
    assert vector.group(1) == ours
    # the salt, the type and the identifier each change it
    assert identifier_commitment("id_card", ID_CARD, bytes(32)) != ours
    assert identifier_commitment("passport", ID_CARD, salt) != ours
    assert identifier_commitment("id_card", MISTYPED, salt) != ours
    with pytest.raises(ValueError, match="32 bytes"):
        identifier_commitment("id_card", ID_CARD, b"short")


def _holder(**changes: object) -> Holder:
    data: dict[str, object] = {
        "name": "张三",
        "identifier_type": "id_card",
        "identifier": ID_CARD,
        "address": ADDRESS,
    }
    data.update(changes)
    return Holder.model_validate(data)


def test_holder_checks_and_normalises_a_natural_persons_identifier() -> None:
    assert _holder(identifier="11010519491231002x").identifier == "11010519491231002X"
    with pytest.raises(ValidationError, match="check digit"):
        _holder(identifier=MISTYPED)
    with pytest.raises(ValidationError, match="passport number"):
        _holder(identifier_type="passport", identifier="E1")
    with pytest.raises(ValidationError, match="masked"):  # committed yet in full
        _holder(identifier_commitment="0x" + "11" * 32)
    with pytest.raises(ValidationError, match="only a natural person"):
        _holder(
            identifier_type="other",
            identifier="x",
            identifier_commitment="0x" + "11" * 32,
        )


def test_public_holder_masks_and_a_full_identifier_is_never_hashed() -> None:
    full = _holder()
    assert full.discloses_identifier
    public = public_holder(full)
    assert public.identifier == "440106********0029"
    assert not public.discloses_identifier
    legal = public_holder(metadata(ADDRESS).holder)
    assert legal == metadata(ADDRESS).holder  # a legal entity's holder is shown as it is
    document = metadata(ADDRESS, holder=full.model_dump())
    with pytest.raises(InputError, match="in full"):
        document.canonical()
    committed = _holder(
        identifier=public.identifier,
        identifier_commitment=identifier_commitment("id_card", ID_CARD, bytes(32)),
    )
    body = metadata(ADDRESS, holder=committed.model_dump()).canonical()
    assert ID_CARD.encode() not in body
    assert b"identifier_commitment" in body
    # a legal entity's document has no commitment key: its bytes (and hash) are as before
    assert b"identifier_commitment" not in metadata(ADDRESS).canonical()


def test_a_document_from_before_the_scheme_is_shown_masked() -> None:
    """A stored document that still names a natural person in full (never written by this
    service any more) is shown through the public view: the identifier masked."""
    legacy = metadata(ADDRESS, holder=_holder().model_dump())
    shown = public_metadata(legacy)
    assert shown.holder.identifier == "440106********0029"
    assert ID_CARD not in shown.canonical().decode()
    assert public_metadata(metadata(ADDRESS)) == metadata(ADDRESS)  # a legal entity: as it is
