"""Income approach: hand-worked present values, decay, mid-year discounting and refusals."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from registry.errors import InputError, NonPositiveValuationError, UnknownCurrencyError
from registry.valuation.income import MAX_HORIZON, IncomeInputs, compute

D = Decimal


def flows(*values: str) -> tuple[Decimal, ...]:
    return tuple(D(v) for v in values)


def inputs(
    cash_flows: tuple[Decimal, ...],
    rate: str,
    share: str = "1",
    currency: str = "CNY",
    **changes: object,
) -> IncomeInputs:
    base = IncomeInputs(
        currency=currency,
        cash_flows=cash_flows,
        discount_rate=D(rate),
        contribution_share=D(share),
        horizon=len(cash_flows),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


WORKED = inputs(flows("1100", "1210", "1331"), "0.1", "0.5", decay_rate=D("0.1"))


def test_worked_example_with_decay_rate() -> None:
    # f_t = (1 - 0.1)^(t-1): 1, 0.9, 0.81; (1.1)^t: 1.1, 1.21, 1.331
    # PV_1 = 1100 * 0.5 * 1    / 1.1   = 550    / 1.1   = 500
    # PV_2 = 1210 * 0.5 * 0.9  / 1.21  = 544.5  / 1.21  = 450
    # PV_3 = 1331 * 0.5 * 0.81 / 1.331 = 539.055 / 1.331 = 405
    # V = 500 + 450 + 405 = 1355 CNY = 135500 fen
    result = compute(WORKED)
    assert result.value_minor == 135500
    steps = {s.label: s.value for s in result.record.steps}
    assert steps == {
        "year_1": "500",
        "year_2": "450",
        "year_3": "405",
        "present_value": "1355",
        "value": "1355.00",
    }
    assert result.record.inputs["decay_factors"] == ["1", "0.9", "0.81"]
    assert result.record.inputs["decay_rate"] == "0.1"


def test_explicit_decay_factors() -> None:
    # PV_1 = 1100 * 0.4 * 1   / 1.1  = 440 / 1.1  = 400
    # PV_2 = 1210 * 0.4 * 0.5 / 1.21 = 242 / 1.21 = 200
    # V = 600 CNY = 60000 fen
    result = compute(inputs(flows("1100", "1210"), "0.1", "0.4", decay_factors=(D("1"), D("0.5"))))
    assert result.value_minor == 60000
    assert result.record.inputs["decay_rate"] is None
    assert result.record.inputs["decay_factors"] == ["1", "0.5"]


def test_no_decay_when_neither_rate_nor_factors_is_given() -> None:
    # (1.25)^1 = 1.25, (1.25)^2 = 1.5625
    # PV_1 = 125 / 1.25 = 100; PV_2 = 156.25 / 1.5625 = 100; V = 200 USD = 20000 cents
    result = compute(inputs(flows("125", "156.25"), "0.25", currency="USD"))
    assert result.value_minor == 20000
    assert result.record.inputs["decay_factors"] == ["1", "1"]


def test_mid_year_discounting_in_yen() -> None:
    # r = 0.21, so (1.21)^0.5 = 1.1 and (1.21)^1.5 = 1.21 * 1.1 = 1.331
    # PV_1 = 110 / 1.1 = 100; PV_2 = 1331 / 1.331 = 1000; V = 1100 JPY (no minor unit)
    result = compute(inputs(flows("110", "1331"), "0.21", currency="JPY", mid_year=True))
    assert result.value_minor == 1100
    assert "^0.5" in result.record.steps[0].formula
    assert "^1.5" in result.record.steps[1].formula
    # year-end discounting of the same flows: 110 / 1.21 + 1331 / 1.4641
    #   = 1000/11 + 10000/11 = 90.9090... + 909.0909... = 11000/11 = 1000 JPY
    year_end = inputs(flows("110", "1331"), "0.21", currency="JPY")
    assert year_end.mid_year is False
    assert compute(year_end).value_minor == 1000


def test_yen_rounds_half_to_even() -> None:
    # r = 1: PV_1 = 2001 / 2 = 1000.5 JPY -> 1000 (even); 2003 / 2 = 1001.5 -> 1002 (even)
    assert compute(inputs(flows("2001"), "1", currency="JPY")).value_minor == 1000
    assert compute(inputs(flows("2003"), "1", currency="JPY")).value_minor == 1002


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        # 100.01 / 2 = 50.005 CNY = 5000.5 fen: half -> even 5000
        ("100.01", 5000),
        # 100.03 / 2 = 50.015 CNY = 5001.5 fen: half -> even 5002
        ("100.03", 5002),
    ],
)
def test_rounding_at_half_a_fen(flow: str, expected: int) -> None:
    assert compute(inputs(flows(flow), "1")).value_minor == expected


def test_non_terminating_quotient_is_rounded_once() -> None:
    # 100 / 1.1 = 90.909090... CNY -> 90.91 = 9091 fen
    result = compute(inputs(flows("100"), "0.1"))
    assert result.value_minor == 9091
    assert result.unrounded == D("90.90909090909090909090909090909091")


def test_negative_year_reduces_the_value() -> None:
    # PV_1 = -1100 / 1.1 = -1000; PV_2 = 2420 / 1.21 = 2000; V = 1000 CNY = 100000 fen
    assert compute(inputs(flows("-1100", "2420"), "0.1")).value_minor == 100000


def test_negative_present_value_is_refused() -> None:
    # PV_1 = -2200 / 1.1 = -2000; PV_2 = 1210 / 1.21 = 1000; V = -1000: not a number to report
    with pytest.raises(NonPositiveValuationError, match="not a positive value") as caught:
        compute(inputs(flows("-2200", "1210"), "0.1"))
    assert caught.value.code == "non_positive_valuation"
    assert caught.value.details["value"] == "-1000"


def test_zero_present_value_is_refused() -> None:
    # PV_1 = 1100 / 1.1 = 1000; PV_2 = -1210 / 1.21 = -1000; V = 0
    with pytest.raises(NonPositiveValuationError):
        compute(inputs(flows("1100", "-1210"), "0.1"))


def test_all_zero_cash_flows_are_refused() -> None:
    with pytest.raises(NonPositiveValuationError, match="every cash flow is zero"):
        compute(inputs(flows("0", "0", "0"), "0.1"))


def test_zero_decay_factor_years_contribute_nothing() -> None:
    # PV_1 = 0 (factor 0); PV_2 = 1210 / 1.21 = 1000; V = 1000 CNY
    result = compute(inputs(flows("5000", "1210"), "0.1", decay_factors=(D(0), D(1))))
    assert result.value_minor == 100000


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"discount_rate": D("0")}, "discount_rate"),
        ({"discount_rate": D("-0.05")}, "discount_rate"),
        ({"contribution_share": D("0")}, "contribution_share"),
        ({"contribution_share": D("1.01")}, "contribution_share"),
        ({"contribution_share": D("-0.3")}, "contribution_share"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": 2}, "cash_flows"),
        ({"horizon": 4}, "cash_flows"),
        ({"horizon": True}, "horizon"),
        ({"horizon": MAX_HORIZON + 1}, "horizon"),
        ({"decay_rate": D("1")}, "decay_rate"),
        ({"decay_rate": D("-0.1")}, "decay_rate"),
        ({"decay_factors": (D(1), D("0.9"), D("0.8"))}, "decay_factors"),
        ({"decay_rate": None, "decay_factors": (D(1), D("0.9"))}, "decay_factors"),
        ({"decay_rate": None, "decay_factors": (D(1), D("1.5"), D(1))}, "decay_factors[1]"),
        ({"decay_rate": None, "decay_factors": (D(1), D("-0.5"), D(1))}, "decay_factors[1]"),
        ({"cash_flows": (D(1), 2.5, D(3))}, "cash_flows[1]"),
        ({"mid_year": "yes"}, "mid_year"),
    ],
)
def test_invalid_inputs_are_refused(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as caught:
        replace(WORKED, **changes)  # type: ignore[arg-type]
    assert caught.value.details["field"] == field


def test_share_of_exactly_one_is_accepted() -> None:
    assert replace(WORKED, contribution_share=D(1)).contribution_share == 1


def test_unknown_currency() -> None:
    with pytest.raises(UnknownCurrencyError):
        inputs(flows("1"), "0.1", currency="ZZZ")
