"""Market approach: adjusted comparables, (weighted) means, the minimum count and refusals."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from registry.errors import InputError, MissingComparablesError, UnknownCurrencyError
from registry.valuation.market import Comparable, MarketInputs, compute

D = Decimal

THREE = (
    Comparable(D("100000"), quality=D("1.1"), reference="SZDEX-2025-0012"),
    Comparable(D("120000"), volume=D("0.9")),
    Comparable(D("90000"), timeliness=D("1.2")),
)


def test_worked_example_mean() -> None:
    # P'_1 = 100000 * 1.1 = 110000
    # P'_2 = 120000 * 0.9 = 108000
    # P'_3 =  90000 * 1.2 = 108000
    # V = (110000 + 108000 + 108000) / 3 = 326000 / 3 = 108666.666... CNY -> 108666.67
    result = compute(MarketInputs("CNY", THREE))
    assert result.value_minor == 10866667
    steps = {s.label: s.value for s in result.record.steps}
    assert steps["comparable_1"] == "110000"
    assert steps["comparable_2"] == "108000"
    assert steps["comparable_3"] == "108000"
    assert steps["mean"] == "108666.6666666666666666666666666667"
    assert steps["value"] == "108666.67"


def test_weighted_mean() -> None:
    # weights 1, 1, 2: V = (1 * 110000 + 1 * 108000 + 2 * 108000) / 4 = 434000 / 4 = 108500
    weighted = tuple(replace(c, weight=D(w)) for c, w in zip(THREE, ("1", "1", "2"), strict=True))
    result = compute(MarketInputs("CNY", weighted))
    assert result.value_minor == 10850000
    assert result.record.steps[-2].label == "weighted_mean"
    assert result.record.steps[-2].formula == "V = (1 * P'_1 + 1 * P'_2 + 2 * P'_3) / 4"


def test_weights_are_relative() -> None:
    # weights 0.25, 0.25, 0.5 give the same mean as 1, 1, 2: 108500 CNY
    weighted = tuple(
        replace(c, weight=D(w)) for c, w in zip(THREE, ("0.25", "0.25", "0.5"), strict=True)
    )
    assert compute(MarketInputs("CNY", weighted)).value_minor == 10850000


def test_all_five_factors_multiply() -> None:
    # P'_1 = 1000 * 1.2 * 0.5 * 1.1 * 1.5 * 0.8 = 1200 * 0.5 = 600; * 1.1 = 660; * 1.5 = 990;
    #        * 0.8 = 792
    # P'_2 = 800, P'_3 = 784; V = (792 + 800 + 784) / 3 = 2376 / 3 = 792 USD = 79200 cents
    comparables = (
        Comparable(
            D("1000"),
            quality=D("1.2"),
            volume=D("0.5"),
            timeliness=D("1.1"),
            scarcity=D("1.5"),
            rights_scope=D("0.8"),
        ),
        Comparable(D("800")),
        Comparable(D("784")),
    )
    result = compute(MarketInputs("USD", comparables))
    assert result.value_minor == 79200
    assert result.record.steps[0].value == "792"
    assert result.record.steps[0].formula.endswith("= 1000 * 1.2 * 0.5 * 1.1 * 1.5 * 0.8")


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        # (1000 + 1001 + 1000 + 1001) / 4 = 4002 / 4 = 1000.5 JPY -> 1000 (even)
        (("1000", "1001", "1000", "1001"), 1000),
        # (1001 + 1002 + 1001 + 1002) / 4 = 4006 / 4 = 1001.5 JPY -> 1002 (even)
        (("1001", "1002", "1001", "1002"), 1002),
    ],
)
def test_yen_rounds_half_to_even(prices: tuple[str, ...], expected: int) -> None:
    comparables = tuple(Comparable(D(p)) for p in prices)
    assert compute(MarketInputs("JPY", comparables)).value_minor == expected


def test_rounding_at_half_a_fen() -> None:
    # (10.005 + 10.005 + 10.005) / 3 = 10.005 CNY = 1000.5 fen -> 1000 (even)
    comparables = (Comparable(D("10.005")),) * 3
    assert compute(MarketInputs("CNY", comparables)).value_minor == 1000


def test_zero_comparables_is_a_clear_error_not_a_number() -> None:
    with pytest.raises(MissingComparablesError, match="none were given") as caught:
        MarketInputs("CNY", ())
    assert caught.value.code == "missing_comparables"
    assert caught.value.http_status == 422
    assert isinstance(caught.value, InputError)


def test_fewer_than_three_comparables_are_refused_by_default() -> None:
    with pytest.raises(MissingComparablesError, match="at least 3") as caught:
        MarketInputs("CNY", THREE[:2])
    assert caught.value.details == {"field": "comparables", "count": 2, "minimum": 3}


def test_minimum_is_a_parameter() -> None:
    # two comparables allowed when the minimum is 2: (110000 + 108000) / 2 = 109000 CNY
    assert compute(MarketInputs("CNY", THREE[:2], min_comparables=2)).value_minor == 10900000
    with pytest.raises(MissingComparablesError, match="at least 5"):
        MarketInputs("CNY", (*THREE, Comparable(D(1))), min_comparables=5)
    with pytest.raises(InputError, match="min_comparables"):
        MarketInputs("CNY", THREE, min_comparables=0)


@pytest.mark.parametrize("name", ["price", "quality", "volume", "timeliness", "scarcity"])
@pytest.mark.parametrize("bad", ["0", "-1"])
def test_non_positive_price_or_factor_names_index_and_field(name: str, bad: str) -> None:
    changed = replace(THREE[1], **{name: D(bad)})  # type: ignore[arg-type]
    comparables = (THREE[0], changed, THREE[2])
    with pytest.raises(InputError, match=f"comparable 1: {name} must be greater than 0") as caught:
        MarketInputs("CNY", comparables)
    assert caught.value.details["field"] == f"comparables[1].{name}"
    assert caught.value.details["index"] == 1


def test_rights_scope_factor_is_checked() -> None:
    comparables = (*THREE[:2], replace(THREE[2], rights_scope=D("0")))
    with pytest.raises(InputError, match="comparable 2: rights_scope") as caught:
        MarketInputs("CNY", comparables)
    assert caught.value.details["field"] == "comparables[2].rights_scope"


def test_weights_are_all_or_none_and_positive() -> None:
    partial = (replace(THREE[0], weight=D(1)), THREE[1], THREE[2])
    with pytest.raises(InputError, match="comparable 1: weight is missing"):
        MarketInputs("CNY", partial)
    zero = tuple(replace(c, weight=D(w)) for c, w in zip(THREE, ("1", "0", "1"), strict=True))
    with pytest.raises(InputError, match="comparable 1: weight must be greater than 0"):
        MarketInputs("CNY", zero)


def test_float_price_is_refused() -> None:
    with pytest.raises(InputError, match="Decimal"):
        MarketInputs("CNY", (Comparable(100.0), *THREE[1:]))  # type: ignore[arg-type]


def test_unknown_currency() -> None:
    with pytest.raises(UnknownCurrencyError):
        MarketInputs("EURO", THREE)
