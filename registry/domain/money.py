"""Money for valuations: ISO 4217 currencies, exact decimal arithmetic, integer minor units.

Every calculation in :mod:`registry.valuation` runs on :class:`decimal.Decimal` values inside
:func:`decimal_context` (34 significant digits, ``ROUND_HALF_EVEN``, invalid operations, division
by zero and overflow trapped), and only the final value is rounded: to the currency's minor unit,
half to even ("banker's rounding", so ``0.125`` CNY becomes ``0.12`` and ``0.135`` becomes
``0.14``). Results are integers of minor units (fen for CNY, cents for USD, yen for JPY) together
with the ISO 4217 alphabetic code.

Amounts given to the calculators are in major units (yuan, dollars), as decimals.

The module uses the standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from types import MappingProxyType
from typing import Final

from registry.errors import InputError, UnknownCurrencyError

PRECISION: Final = 34
"""Significant digits of every intermediate result (IEEE 754 decimal128)."""

MAX_FRACTION_DIGITS: Final = PRECISION
"""An input decimal may have at most this many digits after the decimal point."""

MAX_INTEGER_DIGITS: Final = 24
"""An input decimal must be smaller than ``10 ** MAX_INTEGER_DIGITS`` in absolute value."""

_CONTEXT: Final = Context(
    prec=PRECISION,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

# Active ISO 4217 currencies and the exponent of their minor unit (the number of decimal places),
# typed from the ISO 4217 list. Fund codes (CLF, UYI, ...), precious metals (XAU, ...) and testing
# codes (XTS, XXX) are left out on purpose: they have no minor unit a valuation could be paid in.
_EXPONENTS: dict[str, int] = {
    # Greater China and East Asia
    "CNY": 2,
    "HKD": 2,
    "MOP": 2,
    "TWD": 2,
    "JPY": 0,
    "KRW": 0,
    "MNT": 2,
    # South-East and South Asia
    "SGD": 2,
    "MYR": 2,
    "THB": 2,
    "IDR": 2,
    "PHP": 2,
    "VND": 0,
    "KHR": 2,
    "LAK": 2,
    "MMK": 2,
    "BND": 2,
    "INR": 2,
    "PKR": 2,
    "BDT": 2,
    "LKR": 2,
    "NPR": 2,
    # Oceania
    "AUD": 2,
    "NZD": 2,
    "FJD": 2,
    "XPF": 0,
    "VUV": 0,
    # Europe
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "ISK": 0,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "RON": 2,
    "RSD": 2,
    "UAH": 2,
    "RUB": 2,
    "TRY": 2,
    # Central Asia and Caucasus
    "KZT": 2,
    "UZS": 2,
    "GEL": 2,
    "AMD": 2,
    "AZN": 2,
    # Middle East
    "AED": 2,
    "SAR": 2,
    "QAR": 2,
    "ILS": 2,
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
    "JOD": 3,
    "IQD": 3,
    # Africa
    "ZAR": 2,
    "EGP": 2,
    "NGN": 2,
    "KES": 2,
    "GHS": 2,
    "MAD": 2,
    "ETB": 2,
    "TZS": 2,
    "UGX": 0,
    "RWF": 0,
    "XAF": 0,
    "XOF": 0,
    "DJF": 0,
    "GNF": 0,
    "KMF": 0,
    "BIF": 0,
    "TND": 3,
    "LYD": 3,
    # Americas
    "USD": 2,
    "CAD": 2,
    "MXN": 2,
    "BRL": 2,
    "ARS": 2,
    "COP": 2,
    "PEN": 2,
    "UYU": 2,
    "CLP": 0,
    "PYG": 0,
}

CURRENCY_EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(_EXPONENTS)
"""ISO 4217 alphabetic code → number of decimal places of its minor unit (read-only)."""


def decimal_context() -> AbstractContextManager[Context]:
    """A context manager that runs the block in the valuation decimal context.

    34 significant digits, ``ROUND_HALF_EVEN``; ``InvalidOperation``, ``DivisionByZero`` and
    ``Overflow`` raise. The context is a fresh copy every time, so flags never leak between calls.
    """
    return localcontext(_CONTEXT)


def minor_unit_exponent(currency: str) -> int:
    """Decimal places of the minor unit of ``currency`` (``CNY`` → 2, ``JPY`` → 0, ``KWD`` → 3).

    Raises :class:`UnknownCurrencyError` for anything that is not an upper-case code in
    :data:`CURRENCY_EXPONENTS`.
    """
    if not isinstance(currency, str):
        raise UnknownCurrencyError(
            f"currency must be an ISO 4217 code such as 'CNY', got {type(currency).__name__}",
            currency=repr(currency),
        )
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is not None:
        return exponent
    hint = ""
    if currency.strip().upper() in CURRENCY_EXPONENTS:
        hint = f" (codes are three upper-case letters: did you mean {currency.strip().upper()!r}?)"
    raise UnknownCurrencyError(
        f"{currency!r} is not an active ISO 4217 currency code known to dareg{hint}",
        currency=currency,
    )


def check_currency(currency: str) -> str:
    """Returns ``currency`` unchanged when it is known; raises :class:`UnknownCurrencyError`."""
    minor_unit_exponent(currency)
    return currency


def normalise_currency(code: str) -> str:
    """``code`` stripped and upper-cased (``" usd"`` → ``"USD"``), then checked."""
    return check_currency(code.strip().upper())


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` (major units) as an integer of minor units, rounded half to even.

    ``to_minor_units(Decimal("100.005"), "CNY") == 10000``; ``Decimal("100.015")`` gives
    ``10002``; ``to_minor_units(Decimal("1000.5"), "JPY") == 1000``.
    """
    exponent = minor_unit_exponent(currency)
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InputError(f"amount must be a finite Decimal, got {amount!r}")
    with decimal_context():
        scaled = amount.scaleb(exponent)
        return int(scaled.to_integral_value(rounding=ROUND_HALF_EVEN))


def from_minor_units(minor: int, currency: str) -> Decimal:
    """The exact major-unit amount of ``minor`` minor units (``12345, "CNY"`` → ``123.45``)."""
    exponent = minor_unit_exponent(currency)
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise InputError(f"minor units must be an integer, got {type(minor).__name__}")
    return Decimal(f"{minor}E-{exponent}")


def format_minor(minor: int, currency: str) -> str:
    """``minor`` written in major units with exactly the currency's decimals (``"1234.50"``)."""
    return format(from_minor_units(minor, currency), "f")


def _stripped(value: Decimal) -> tuple[int, tuple[int, ...], int]:
    """Sign, digits and exponent of a finite non-zero ``value`` without trailing zeros."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    kept = list(digits)
    while len(kept) > 1 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    return sign, tuple(kept), exponent


def render_decimal(value: Decimal) -> str:
    """The shortest plain decimal string of ``value``: no exponent, no trailing zeros.

    ``Decimal("100.50")`` → ``"100.5"``, ``Decimal("1E+3")`` → ``"1000"``, ``-0`` → ``"0"``. The
    rendering is exact and depends only on the numeric value, so equal values render equally.
    """
    if not value.is_finite():
        raise InputError(f"{value} is not a finite number")
    if value.is_zero():
        return "0"
    sign, digits, exponent = _stripped(value)
    return format(Decimal((sign, digits, exponent)), "f")


def check_decimal(value: object, field: str) -> Decimal:
    """``value`` when it is a finite :class:`~decimal.Decimal` of sane size, else an InputError.

    Sane size: at most :data:`PRECISION` significant digits, fewer than :data:`MAX_INTEGER_DIGITS`
    digits before the decimal point and at most :data:`MAX_FRACTION_DIGITS` after it. Every input
    is then exact in the valuation context.
    """
    if not isinstance(value, Decimal):
        raise InputError(
            f"{field} must be a Decimal, got {type(value).__name__}",
            field=field,
        )
    if not value.is_finite():
        raise InputError(f"{field} must be a finite number, got {value}", field=field)
    if value.is_zero():
        return value
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        raise InputError(
            f"{field} is too large (at most {MAX_INTEGER_DIGITS} digits before the decimal point)",
            field=field,
        )
    _, digits, exponent = _stripped(value)
    if -exponent > MAX_FRACTION_DIGITS:
        raise InputError(
            f"{field} has more than {MAX_FRACTION_DIGITS} digits after the decimal point",
            field=field,
        )
    if len(digits) > PRECISION:
        raise InputError(
            f"{field} has more than {PRECISION} significant digits",
            field=field,
        )
    return value
