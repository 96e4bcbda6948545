"""Registration and certificate numbers (docs/numbers.md).

The contract generates them; this module parses, validates and computes them identically, so a
mistyped number is refused before any chain call and the service can cross-check the chain.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from registry.errors import MalformedNumberError

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
