"""Party identifiers: the unified social credit code (统一社会信用代码, GB 32100-2015) of legal
entities, public; a natural person's resident identity number (居民身份证号码, GB 11643-1999) or
passport number, never public in full: masked, and bound to the chain by a salted commitment
(docs/privacy.md)."""

from __future__ import annotations

import hashlib

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015, MOD 31)."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid unified social credit code, or ``None`` if it is."""
    if len(code) != 18:
        return f"a unified social credit code has 18 characters, {code!r} has {len(code)}"
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        return (
            f"unified social credit code {code!r} contains characters not allowed: {''.join(bad)}"
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return (
            f"unified social credit code {code!r} fails its check character "
            f"(expected {expected}): it is mistyped"
        )
    return None


def make_uscc(first17: str) -> str:
    """Complete 17 characters with their check character (for samples and tests)."""
    return first17 + uscc_check_character(first17)


# --- natural persons: resident identity numbers and passports --------------------------------

#: Identifier types that name a natural person: never public in full (docs/privacy.md).
NATURAL_PERSON_TYPES = frozenset({"id_card", "passport"})
#: The character that stands for a hidden one in a masked identifier.
MASK = "*"

_ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CARD_CHECK = "10X98765432"
_PASSPORT_ALPHABET = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def id_card_check_character(first17: str) -> str:
    """The 18th character of a resident identity number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_CARD_WEIGHTS, strict=True))
    return _ID_CARD_CHECK[total % 11]


def id_card_problem(number: str) -> str | None:
    """Why ``number`` is not a valid resident identity number (居民身份证号码), or ``None``."""
    if len(number) != 18:
        return f"a resident identity number has 18 characters, this one has {len(number)}"
    if not number[:17].isascii() or not number[:17].isdigit() or number[17] not in _ID_CARD_CHECK:
        return "a resident identity number is 17 digits and a check digit (0-9 or X)"
    if number[17] != id_card_check_character(number[:17]):
        return "the resident identity number fails its check digit: it is mistyped"
    return None


def make_id_card(first17: str) -> str:
    """Complete 17 digits with their check digit (for samples and tests)."""
    return first17 + id_card_check_character(first17)


def passport_problem(number: str) -> str | None:
    """Why ``number`` is not a passport number (5 to 20 letters A-Z and digits), or ``None``."""
    if not 5 <= len(number) <= 20 or not set(number) <= _PASSPORT_ALPHABET:
        return "a passport number has 5 to 20 characters, capital letters A-Z and digits"
    return None


def natural_person_problem(identifier_type: str, identifier: str) -> str | None:
    """Why ``identifier`` is not a full identifier of ``identifier_type`` (a natural person's)."""
    if identifier_type == "id_card":
        return id_card_problem(identifier)
    return passport_problem(identifier)


def mask_identifier(identifier_type: str, identifier: str) -> str:
    """The public form of an identifier: a natural person's with its middle hidden (an ID card
    keeps its 6-digit region code and last 4 characters: ``110101********1234``; a passport its
    first character and last 2: ``E12345678`` becomes ``E******78``), others unchanged. A masked
    identifier is returned as it is. The one masking function of the registry."""
    if identifier_type not in NATURAL_PERSON_TYPES or MASK in identifier:
        return identifier
    head, tail = (6, 4) if identifier_type == "id_card" else (1, 2)
    if len(identifier) <= head + tail:
        return MASK * len(identifier)
    return identifier[:head] + MASK * (len(identifier) - head - tail) + identifier[-tail:]


def is_masked(identifier: str) -> bool:
    """Whether ``identifier`` is a masked form (it hides at least one character)."""
    return MASK in identifier


#: Length of the random salt of an identifier commitment, in bytes.
SALT_BYTES = 32


def identifier_commitment(identifier_type: str, identifier: str, salt: bytes) -> str:
    """``0x`` + hex SHA-256 of ``salt ‖ UTF-8(identifier_type) ‖ 0x00 ‖ UTF-8(identifier)``:
    the commitment to a natural person's identifier that the public metadata carries
    (docs/privacy.md). ``salt`` is 32 random bytes kept with the identifier off chain."""
    if len(salt) != SALT_BYTES:
        raise ValueError(f"the salt of an identifier commitment has {SALT_BYTES} bytes")
    body = salt + identifier_type.encode("utf-8") + b"\x00" + identifier.encode("utf-8")
    return "0x" + hashlib.sha256(body).hexdigest()
