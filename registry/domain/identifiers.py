"""Party identifiers: the unified social credit code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

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
