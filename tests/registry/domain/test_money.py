"""Currencies, minor units, half-even rounding and the decimal context of the valuation module."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.money import (
    CURRENCY_EXPONENTS,
    PRECISION,
    check_currency,
    check_decimal,
    decimal_context,
    format_minor,
    from_minor_units,
    minor_unit_exponent,
    render_decimal,
    to_minor_units,
)
from registry.errors import InputError, UnknownCurrencyError


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("CNY", 2),
        ("HKD", 2),
        ("USD", 2),
        ("EUR", 2),
        ("GBP", 2),
        ("CHF", 2),
        ("SGD", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("VND", 0),
        ("CLP", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("OMR", 3),
        ("TND", 3),
    ],
)
def test_minor_unit_exponents_of_common_currencies(code: str, exponent: int) -> None:
    assert minor_unit_exponent(code) == exponent
    assert check_currency(code) == code


def test_the_table_is_well_formed_and_read_only() -> None:
    assert len(CURRENCY_EXPONENTS) >= 30
    for code, exponent in CURRENCY_EXPONENTS.items():
        assert len(code) == 3
        assert code.isascii()
        assert code.isupper()
        assert exponent in (0, 2, 3)
    with pytest.raises(TypeError):
        CURRENCY_EXPONENTS["XXX"] = 2  # type: ignore[index]


@pytest.mark.parametrize("code", ["XYZ", "", "CNH", "RMB", "XAU", "XXX", "HRK", "US", "USDT"])
def test_unknown_currency_is_a_clear_error(code: str) -> None:
    with pytest.raises(UnknownCurrencyError) as caught:
        minor_unit_exponent(code)
    assert caught.value.code == "unknown_currency"
    assert caught.value.http_status == 422
    assert isinstance(caught.value, InputError)
    assert "ISO 4217" in str(caught.value)


def test_lower_case_code_is_refused_with_a_hint() -> None:
    with pytest.raises(UnknownCurrencyError, match="did you mean 'CNY'"):
        check_currency("cny")


def test_non_string_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrencyError):
        minor_unit_exponent(156)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        # 100.005 CNY = 10000.5 fen: exactly half, the even neighbour is 10000
        ("100.005", "CNY", 10000),
        # 100.015 CNY = 10001.5 fen: exactly half, the even neighbour is 10002
        ("100.015", "CNY", 10002),
        # 100.025 CNY = 10002.5 fen -> 10002 (even)
        ("100.025", "CNY", 10002),
        # 100.0051 CNY = 10000.51 fen: above half -> 10001
        ("100.0051", "CNY", 10001),
        # 100.0049 CNY = 10000.49 fen: below half -> 10000
        ("100.0049", "CNY", 10000),
        # 0.125 USD = 12.5 cents -> 12 (even)
        ("0.125", "USD", 12),
        # -0.135 USD = -13.5 cents -> -14 (even)
        ("-0.135", "USD", -14),
        # 1000.5 JPY, no minor unit: half -> 1000 (even)
        ("1000.5", "JPY", 1000),
        # 1001.5 JPY -> 1002 (even)
        ("1001.5", "JPY", 1002),
        # 1.0005 KWD = 1000.5 fils -> 1000 (even)
        ("1.0005", "KWD", 1000),
        # 1.0015 KWD = 1001.5 fils -> 1002 (even)
        ("1.0015", "KWD", 1002),
        # whole amounts need no rounding: 12345.6 HKD = 1234560 cents
        ("12345.6", "HKD", 1234560),
        ("0", "EUR", 0),
    ],
)
def test_to_minor_units_rounds_half_to_even(amount: str, currency: str, expected: int) -> None:
    assert to_minor_units(Decimal(amount), currency) == expected


def test_to_minor_units_refuses_non_finite_amounts() -> None:
    with pytest.raises(InputError):
        to_minor_units(Decimal("NaN"), "CNY")
    with pytest.raises(InputError):
        to_minor_units(Decimal("Infinity"), "CNY")


def test_to_minor_units_keeps_large_values_exact() -> None:
    # 10^21 + 0.01 CNY = 10^23 + 1 fen, 24 digits, well inside 34-digit precision
    assert to_minor_units(Decimal("1000000000000000000000.01"), "CNY") == 10**23 + 1


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (12345, "CNY", "123.45"),
        (5, "CNY", "0.05"),
        (-5, "CNY", "-0.05"),
        (123450, "USD", "1234.50"),
        (1000, "JPY", "1000"),
        (1500, "KWD", "1.500"),
        (0, "CNY", "0.00"),
    ],
)
def test_minor_units_back_to_major_units(minor: int, currency: str, text: str) -> None:
    assert format_minor(minor, currency) == text
    assert from_minor_units(minor, currency) == Decimal(text)


def test_from_minor_units_refuses_non_integers() -> None:
    with pytest.raises(InputError):
        from_minor_units(True, "CNY")
    with pytest.raises(InputError):
        from_minor_units(1.5, "CNY")  # type: ignore[arg-type]


@given(
    minor=st.integers(min_value=-(10**30), max_value=10**30),
    currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
)
def test_minor_units_round_trip(minor: int, currency: str) -> None:
    assert to_minor_units(from_minor_units(minor, currency), currency) == minor


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("100.50", "100.5"),
        ("1E+3", "1000"),
        ("120", "120"),
        ("1200E-1", "120"),
        ("-0", "0"),
        ("0.000", "0"),
        ("1.10E-5", "0.000011"),
        ("-12.3400", "-12.34"),
        ("0.1", "0.1"),
    ],
)
def test_render_decimal_is_plain_and_canonical(value: str, text: str) -> None:
    assert render_decimal(Decimal(value)) == text


def test_check_decimal() -> None:
    assert check_decimal(Decimal("0.08"), "rate") == Decimal("0.08")
    with pytest.raises(InputError, match="rate must be a Decimal, got float"):
        check_decimal(0.08, "rate")
    with pytest.raises(InputError, match="finite"):
        check_decimal(Decimal("NaN"), "rate")
    with pytest.raises(InputError, match="finite"):
        check_decimal(Decimal("-Infinity"), "rate")
    with pytest.raises(InputError, match="too large"):
        check_decimal(Decimal("1E+24"), "amount")
    with pytest.raises(InputError, match="after the decimal point"):
        check_decimal(Decimal("1E-35"), "rate")
    with pytest.raises(InputError, match="significant digits"):
        check_decimal(Decimal("1." + "1" * 34), "rate")
    # trailing zeros do not count against the limits
    assert check_decimal(Decimal("1." + "0" * 40), "rate") == 1


def test_decimal_context_is_34_digits_half_even_and_does_not_leak() -> None:
    outside = decimal.getcontext().prec
    with decimal_context() as context:
        assert context.prec == PRECISION == 34
        assert context.rounding == decimal.ROUND_HALF_EVEN
        # 2/3 to 34 significant digits, the last one rounded up
        assert Decimal(2) / Decimal(3) == Decimal("0." + "6" * 33 + "7")
        with pytest.raises(decimal.DivisionByZero):
            Decimal(1) / Decimal(0)
        with pytest.raises(decimal.InvalidOperation):
            Decimal(0) / Decimal(0)
    assert decimal.getcontext().prec == outside
