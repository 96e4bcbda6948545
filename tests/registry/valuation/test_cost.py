"""Cost approach: hand-worked values, rounding, currencies and refused inputs."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from registry.errors import InputError, NonPositiveValuationError, UnknownCurrencyError
from registry.valuation.cost import CostInputs, CostLine, compute

D = Decimal


def lines(*amounts: str) -> tuple[CostLine, ...]:
    return tuple(CostLine("other", D(amount)) for amount in amounts)


WORKED = CostInputs(
    currency="CNY",
    basis="replacement",
    cost_lines=(
        CostLine("collection", D("20000")),
        CostLine("storage", D("5000")),
        CostLine("processing", D("15000"), note="cleaning and de-duplication"),
        CostLine("labelling", D("10000")),
    ),
    profit_rate=D("0.1"),
    tax_rate=D("0.06"),
    functional_obsolescence=D("0.1"),
    economic_obsolescence=D("0"),
    timeliness_obsolescence=D("0.2"),
    quality_factor=D("0.95"),
)


def test_worked_example() -> None:
    # C  = 20000 + 5000 + 15000 + 10000      = 50000
    # P  = 50000 * 0.1                       = 5000
    # T  = (50000 + 5000) * 0.06             = 3300
    # RC = 50000 + 5000 + 3300               = 58300
    # 1 - R = (1 - 0.1) * (1 - 0) * (1 - 0.2) = 0.72, so R = 0.28
    # V  = 58300 * 0.72 * 0.95 = 41976 * 0.95 = 39877.20 CNY = 3987720 fen
    result = compute(WORKED)
    assert result.value_minor == 3987720
    assert result.currency == "CNY"
    assert result.value == D("39877.20")
    assert result.unrounded == D("39877.2")
    steps = {step.label: step.value for step in result.record.steps}
    assert steps == {
        "cost_total": "50000",
        "profit": "5000",
        "taxes": "3300",
        "replacement_cost": "58300",
        "obsolescence": "0.28",
        "adjusted_value": "39877.2",
        "value": "39877.20",
    }
    assert result.record.method == "cost"
    assert result.record.value_minor == 3987720


def test_reproduction_basis_with_defaults() -> None:
    # no profit, taxes, obsolescence; quality 1: V = 1000 = 100000 fen
    result = compute(CostInputs("CNY", "reproduction", lines("1000")))
    assert result.value_minor == 100000
    assert [s.label for s in result.record.steps][3] == "reproduction_cost"
    assert result.record.inputs["basis"] == "reproduction"


def test_three_obsolescence_rates_combine_multiplicatively() -> None:
    # 1 - R = (1 - 0.2)(1 - 0.1)(1 - 0.5) = 0.8 * 0.9 * 0.5 = 0.36, R = 0.64 (not 0.2+0.1+0.5)
    # V = 1000 * 0.36 = 360 USD = 36000 cents
    inputs = CostInputs(
        "USD",
        "replacement",
        lines("1000"),
        functional_obsolescence=D("0.2"),
        economic_obsolescence=D("0.1"),
        timeliness_obsolescence=D("0.5"),
    )
    result = compute(inputs)
    assert result.value_minor == 36000
    assert {s.label: s.value for s in result.record.steps}["obsolescence"] == "0.64"


def test_quality_factor_above_one_raises_the_value() -> None:
    # V = 1000 * 1.2 = 1200 = 120000 fen; 1.5 is outside the usual range but allowed: 150000
    base = CostInputs("CNY", "replacement", lines("1000"), quality_factor=D("1.2"))
    assert compute(base).value_minor == 120000
    assert compute(replace(base, quality_factor=D("1.5"))).value_minor == 150000


@pytest.mark.parametrize(
    ("amount", "quality", "expected"),
    [
        # 100.005 CNY = 10000.5 fen: half -> even 10000
        ("100.005", "1", 10000),
        # 100.015 CNY = 10001.5 fen: half -> even 10002
        ("100.015", "1", 10002),
        # 200.01 * 0.5 = 100.005 CNY -> 10000
        ("200.01", "0.5", 10000),
        # 200.03 * 0.5 = 100.015 CNY -> 10002
        ("200.03", "0.5", 10002),
    ],
)
def test_rounding_at_half_a_fen(amount: str, quality: str, expected: int) -> None:
    inputs = CostInputs("CNY", "replacement", lines(amount), quality_factor=D(quality))
    assert compute(inputs).value_minor == expected


def test_yen_has_no_minor_unit() -> None:
    # C = 10000, P = 10000 * 0.15 = 1500, T = 11500 * 0.1 = 1150, RC = 12650
    # V = 12650 * (1 - 0.3) * 1.1 = 8855 * 1.1 = 9740.5 JPY: half -> even 9740
    inputs = CostInputs(
        "JPY",
        "replacement",
        lines("10000"),
        profit_rate=D("0.15"),
        tax_rate=D("0.1"),
        timeliness_obsolescence=D("0.3"),
        quality_factor=D("1.1"),
    )
    result = compute(inputs)
    assert result.value_minor == 9740
    assert result.record.to_document()["value"] == "9740"
    # 1001.5 JPY -> 1002 (even)
    assert compute(CostInputs("JPY", "replacement", lines("1001.5"))).value_minor == 1002


def test_kuwaiti_dinar_has_three_decimals() -> None:
    # 1.2345 KWD = 1234.5 fils: half -> even 1234
    assert compute(CostInputs("KWD", "replacement", lines("1.2345"))).value_minor == 1234


def test_zero_lines_are_allowed_beside_a_positive_one() -> None:
    # 0 + 250.5 = 250.5 = 25050 fen
    assert compute(CostInputs("CNY", "replacement", lines("0", "250.5"))).value_minor == 25050


def test_value_that_rounds_to_zero_is_refused() -> None:
    # 0.004 CNY = 0.4 fen -> 0 fen: not a valuation
    with pytest.raises(NonPositiveValuationError, match="rounds to zero") as caught:
        compute(CostInputs("CNY", "replacement", lines("0.004")))
    assert caught.value.code == "non_positive_valuation"


def test_unknown_currency() -> None:
    with pytest.raises(UnknownCurrencyError):
        CostInputs("ABC", "replacement", lines("1"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cost_lines": ()}, "cost_lines"),
        ({"cost_lines": lines("0", "0")}, "cost_lines"),
        ({"cost_lines": lines("10", "-1")}, "cost_lines[1].amount"),
        ({"cost_lines": (CostLine("marketing", D(1)),)}, "cost_lines[0].category"),  # type: ignore[arg-type]
        ({"cost_lines": (CostLine("other", 1.5),)}, "cost_lines[0].amount"),  # type: ignore[arg-type]
        ({"basis": "historical"}, "basis"),
        ({"profit_rate": D("1")}, "profit_rate"),
        ({"profit_rate": D("-0.01")}, "profit_rate"),
        ({"tax_rate": D("1.2")}, "tax_rate"),
        ({"functional_obsolescence": D("1")}, "functional_obsolescence"),
        ({"economic_obsolescence": D("-0.5")}, "economic_obsolescence"),
        ({"timeliness_obsolescence": D("1.0")}, "timeliness_obsolescence"),
        ({"quality_factor": D("0")}, "quality_factor"),
        ({"quality_factor": D("-1")}, "quality_factor"),
        ({"quality_factor": D("NaN")}, "quality_factor"),
    ],
)
def test_invalid_inputs_are_refused(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as caught:
        replace(WORKED, **changes)  # type: ignore[arg-type]
    assert caught.value.details["field"] == field


def test_rates_just_below_one_are_accepted() -> None:
    # 1000 * (1 - 0.99) = 10 CNY = 1000 fen
    inputs = CostInputs("CNY", "replacement", lines("1000"), economic_obsolescence=D("0.99"))
    assert compute(inputs).value_minor == 1000
