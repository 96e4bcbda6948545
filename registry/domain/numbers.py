"""Registration and certificate numbers (docs/numbers.md), and the ranges of the integers
clients send.

The contract generates the numbers; this module parses, validates and computes them identically,
so a mistyped number is refused before any chain call and the service can cross-check the chain.

Every integer a client sends is one of the range types below (:data:`Uint256` for the ids of
applications, objections, certificates, licences, pledges and valuations; :data:`SqlInteger`
for offsets and block numbers, which the SQL mirror compares with ``BIGINT`` columns ...), so a
value the chain or the mirror cannot hold is refused by validation (422 ``invalid_request``)
before it reaches either.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from annotated_types import Ge, Le

from registry.errors import MalformedNumberError

# --- ranges ---------------------------------------------------------------------------------------

UINT256_MAX = 2**256 - 1
UINT64_MAX = 2**64 - 1
UINT48_MAX = 2**48 - 1
UINT32_MAX = 2**32 - 1
UINT16_MAX = 2**16 - 1
SQL_INTEGER_MAX = 2**63 - 1
"""The largest value of a signed 64-bit SQL integer (``BIGINT``)."""
JSON_INTEGER_MAX = 2**53 - 1
"""The largest integer a JSON document canonicalised by RFC 8785 holds exactly."""

Uint256 = Annotated[int, Ge(0), Le(UINT256_MAX)]
"""A Solidity ``uint256``: the ids of applications, objections, certificates (token ids),
licences, pledges and valuations."""
Uint64 = Annotated[int, Ge(0), Le(UINT64_MAX)]
"""A Solidity ``uint64`` (durations in seconds, bit sets)."""
Uint48 = Annotated[int, Ge(0), Le(UINT48_MAX)]
"""A Solidity ``uint48`` (timestamps)."""
Uint32 = Annotated[int, Ge(0), Le(UINT32_MAX)]
"""A Solidity ``uint32``."""
Uint16 = Annotated[int, Ge(0), Le(UINT16_MAX)]
"""A Solidity ``uint16`` (registrar codes, reason codes)."""
SqlInteger = Annotated[int, Ge(0), Le(SQL_INTEGER_MAX)]
"""A non-negative integer the SQL mirror can compare with its ``BIGINT`` columns: block
numbers, offsets, counts."""

JsonInteger = Annotated[int, Ge(0), Le(JSON_INTEGER_MAX)]
"""A non-negative integer of a document hashed in its RFC 8785 form (the certificate
metadata): at most 2^53 - 1."""


# --- registration and certificate numbers ----------------------------------------------------

CST = timedelta(hours=8)
REGISTRATION_DIGITS = 16
CERTIFICATE_DIGITS = 17


def check_digit(body: str) -> int:
    """ISO 7064 MOD 11,10 (GB/T 17710) check digit of a string of decimal digits."""
    p = 10
    for char in body:
        s = (p + int(char)) % 10 or 10
        p = (s * 2) % 11
    return (11 - p) % 10


def cst_year_month(timestamp: int) -> tuple[int, int]:
    """The year and the month of ``timestamp`` (unix seconds) in China Standard Time."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC) + CST
    return moment.year, moment.month


def with_check_digit(body: str) -> str:
    """``body`` followed by its ISO 7064 MOD 11,10 check digit."""
    return body + str(check_digit(body))


def registration_number(
    submitted_at: int, data_source: int, applicant_type: int, reg_id: int
) -> str:
    year, _ = cst_year_month(submitted_at)
    return with_check_digit(f"{year:04d}{data_source:01d}{applicant_type:01d}{reg_id:09d}")


def certificate_number(issued_at: int, registrar_code: int, reg_id: int) -> str:
    year, month = cst_year_month(issued_at)
    return with_check_digit(f"{year:04d}{month:02d}{registrar_code:03d}{reg_id:07d}")


@dataclass(frozen=True)
class CertificateNumber:
    text: str
    year: int
    month: int
    registrar_code: int
    registration_id: int


@dataclass(frozen=True)
class RegistrationNumber:
    text: str
    year: int
    data_source: int
    applicant_type: int
    registration_id: int


def _digits(text: str, length: int, what: str) -> str:
    # full-width digits (common with Chinese input methods) become ASCII; other digits are refused
    cleaned = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", text))
    if not re.fullmatch(rf"[0-9]{{{length}}}", cleaned):
        raise MalformedNumberError(f"{what} {text!r} must be {length} digits")
    if check_digit(cleaned[:-1]) != int(cleaned[-1]):
        raise MalformedNumberError(
            f"{what} {text!r} fails its check digit: it is mistyped (expected last digit "
            f"{check_digit(cleaned[:-1])})"
        )
    return cleaned


def parse_certificate_number(text: str) -> CertificateNumber:
    """Validate shape and check digit; spaces and hyphens are ignored."""
    d = _digits(text, CERTIFICATE_DIGITS, "certificate number")
    return CertificateNumber(d, int(d[:4]), int(d[4:6]), int(d[6:9]), int(d[9:16]))


def parse_registration_number(text: str) -> RegistrationNumber:
    d = _digits(text, REGISTRATION_DIGITS, "registration number")
    return RegistrationNumber(d, int(d[:4]), int(d[4]), int(d[5]), int(d[6:15]))
