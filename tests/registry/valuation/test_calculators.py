"""The JSON dispatcher: parsing payloads, refusing bad ones, and the combined method."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from registry.errors import (
    InputError,
    MissingComparablesError,
    NonPositiveValuationError,
    UnknownCurrencyError,
)
from registry.valuation import (
    CombinedInputs,
    Component,
    CostInputs,
    IncomeInputs,
    MarketInputs,
    compute,
    compute_from_json,
    parse_inputs,
)
from registry.valuation.calculators import METHODS

COST: dict[str, Any] = {
    "currency": "CNY",
    "basis": "replacement",
    "cost_lines": [
        {"category": "collection", "amount": "20000"},
        {"category": "storage", "amount": 5000},
        {"category": "processing", "amount": "15000.00", "note": "cleaning"},
        {"category": "labelling", "amount": "10000"},
    ],
    "profit_rate": "0.1",
    "tax_rate": "0.06",
    "functional_obsolescence": "0.1",
    "timeliness_obsolescence": "0.2",
    "quality_factor": "0.95",
}
# C = 50000, P = 5000, T = 3300, RC = 58300, 1 - R = 0.9 * 1 * 0.8 = 0.72
# V = 58300 * 0.72 * 0.95 = 39877.2 CNY
COST_VALUE = 3987720

INCOME: dict[str, Any] = {
    "currency": "CNY",
    "cash_flows": ["1100", "1210", "1331"],
    "horizon": 3,
    "discount_rate": "0.1",
    "contribution_share": "0.5",
    "decay_rate": "0.1",
}
# 1100*0.5/1.1 + 1210*0.5*0.9/1.21 + 1331*0.5*0.81/1.331 = 500 + 450 + 405 = 1355 CNY
INCOME_VALUE = 135500

MARKET: dict[str, Any] = {
    "currency": "CNY",
    "comparables": [
        {"price": "100000", "quality": "1.1", "reference": "SZDEX-2025-0012"},
        {"price": "120000", "volume": "0.9"},
        {"price": 90000, "timeliness": "1.2"},
    ],
}
# (110000 + 108000 + 108000) / 3 = 108666.666... CNY -> 108666.67
MARKET_VALUE = 10866667


@pytest.mark.parametrize(
    ("method", "payload", "kind", "expected"),
    [
        ("cost", COST, CostInputs, COST_VALUE),
        ("income", INCOME, IncomeInputs, INCOME_VALUE),
        ("market", MARKET, MarketInputs, MARKET_VALUE),
    ],
)
def test_each_method_from_json(
    method: str, payload: dict[str, Any], kind: type, expected: int
) -> None:
    inputs = parse_inputs(method, payload)
    assert isinstance(inputs, kind)
    result = compute_from_json(method, payload)
    assert result.value_minor == expected
    assert result.currency == "CNY"
    assert result.record.method == method
    assert compute(inputs).digest() == result.digest()


def test_methods() -> None:
    assert METHODS == ("cost", "income", "market", "combined")


def test_json_spelling_of_numbers_does_not_change_the_digest() -> None:
    respelled = copy.deepcopy(COST)
    respelled["cost_lines"][0]["amount"] = 20000
    respelled["cost_lines"][1]["amount"] = "5000.000"
    respelled["profit_rate"] = "0.10"
    respelled["economic_obsolescence"] = "0"
    assert compute_from_json("cost", respelled).digest() == compute_from_json("cost", COST).digest()


def test_income_options_from_json() -> None:
    # decay factors 1, 0.5; mid-year discounting at r = 0.21 ((1.21)^0.5 = 1.1, ^1.5 = 1.331):
    # PV_1 = 110 * 1 * 1 / 1.1 = 100; PV_2 = 2662 * 1 * 0.5 / 1.331 = 1000; V = 1100 JPY
    payload = {
        "currency": "JPY",
        "cash_flows": [110, "2662"],
        "horizon": 2,
        "discount_rate": "0.21",
        "contribution_share": 1,
        "decay_factors": ["1", "0.5"],
        "mid_year": True,
    }
    assert compute_from_json("income", payload).value_minor == 1100


def test_market_options_from_json() -> None:
    # two comparables allowed; weights 3 and 1: (3 * 110000 + 1 * 108000) / 4 = 109500 CNY
    payload = {
        "currency": "CNY",
        "min_comparables": 2,
        "comparables": [
            {"price": "100000", "quality": "1.1", "weight": "3"},
            {"price": "120000", "volume": "0.9", "weight": 1},
        ],
    }
    assert compute_from_json("market", payload).value_minor == 10950000


# --- the combined method -------------------------------------------------------------------------


def combined(*parts: tuple[str, Any, dict[str, Any]]) -> dict[str, Any]:
    return {
        "components": [
            {"method": method, "weight": weight, "inputs": inputs}
            for method, weight, inputs in parts
        ]
    }


def test_combined_worked_example() -> None:
    # market with weights 1, 1, 2: (110000 + 108000 + 2 * 108000) / 4 = 108500 CNY
    market = copy.deepcopy(MARKET)
    for comparable, weight in zip(market["comparables"], ("1", "1", "2"), strict=True):
        comparable["weight"] = weight
    # V = 0.6 * 39877.2 + 0.4 * 108500 = 23926.32 + 43400 = 67326.32 CNY
    result = compute_from_json(
        "combined", combined(("cost", "0.6", COST), ("market", "0.4", market))
    )
    assert result.value_minor == 6732632
    assert result.record.method == "combined"
    last = result.record.steps[-2]
    assert last.label == "weighted_value"
    assert last.formula == "V = w_0 * V_0 + w_1 * V_1 = 0.6 * 39877.2 + 0.4 * 108500"
    assert last.value == "67326.32"
    labels = [s.label for s in result.record.steps]
    assert "components[0].cost_total" in labels
    assert "components[1].weighted_mean" in labels
    components = result.record.inputs["components"]
    assert isinstance(components, list)
    assert [c["method"] for c in components if isinstance(c, dict)] == ["cost", "market"]


def test_combined_rounds_only_once() -> None:
    # market V_0 = 326000/3 = 108666.666...; income V_1 = 1355
    # 0.5 * 108666.666... + 0.5 * 1355 = 54333.333... + 677.5 = 55010.8333... -> 55010.83 CNY
    # (rounding the market value first would give 0.5 * 108666.67 + 677.5 = 55010.835 -> .84)
    payload = combined(("market", "0.5", MARKET), ("income", "0.5", INCOME))
    assert compute_from_json("combined", payload).value_minor == 5501083


def test_combined_of_three_methods() -> None:
    # 0.2 * 39877.2 + 0.3 * 1355 + 0.5 * 108666.666...
    #   = 7975.44 + 406.5 + 54333.333... = 62715.2733... CNY -> 62715.27
    payload = combined(("cost", "0.2", COST), ("income", "0.3", INCOME), ("market", "0.5", MARKET))
    inputs = parse_inputs("combined", payload)
    assert isinstance(inputs, CombinedInputs)
    assert inputs.currency == "CNY"
    assert compute(inputs).value_minor == 6271527


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (combined(("cost", "1", COST)), "at least two components"),
        (combined(("cost", "0.5", COST), ("market", "0.4", MARKET)), "add up to 0.9, not 1"),
        (combined(("cost", "0.6", COST), ("market", "0.6", MARKET)), "add up to 1.2, not 1"),
        (combined(("cost", "0", COST), ("market", "1", MARKET)), "components\\[0\\].weight"),
        (combined(("cost", "0.5", COST), ("cost", "0.5", COST)), "repeats the cost method"),
        (combined(("cost", "0.5", COST), ("combined", "0.5", {})), "method must be one of"),
        (combined(("cost", "0.5", COST), ("market", 0.5, MARKET)), "binary"),
        (
            combined(("cost", "0.5", COST), ("market", "0.5", {**MARKET, "currency": "USD"})),
            "components\\[1\\] is in USD but components\\[0\\] is in CNY",
        ),
        ({"components": []}, "at least two components"),
        ({"components": "cost"}, "components must be a list"),
        ({}, "missing field: components"),
        ({"components": [], "currency": "CNY"}, "unknown field: currency"),
        ({"components": [{"method": "cost", "weight": "1"}]}, "missing field: components\\[0\\]"),
    ],
)
def test_combined_refusals(payload: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        compute_from_json("combined", payload)


def test_errors_inside_a_component_keep_their_class_and_name_the_component() -> None:
    two = {**MARKET, "comparables": MARKET["comparables"][:2]}
    with pytest.raises(MissingComparablesError, match=r"components\[1\]\.inputs") as caught:
        compute_from_json("combined", combined(("cost", "0.5", COST), ("market", "0.5", two)))
    assert caught.value.details["field"] == "components[1].inputs.comparables"

    bad_line = copy.deepcopy(COST)
    bad_line["cost_lines"][2]["amount"] = "-1"
    with pytest.raises(InputError) as caught_line:
        compute_from_json(
            "combined", combined(("cost", "0.5", bad_line), ("market", "0.5", MARKET))
        )
    assert caught_line.value.details["field"] == "components[0].inputs.cost_lines[2].amount"

    losing = {**INCOME, "cash_flows": ["-2200", "1210", "0"]}
    with pytest.raises(NonPositiveValuationError, match="components\\[1\\]"):
        compute_from_json("combined", combined(("cost", "0.5", COST), ("income", "0.5", losing)))


def test_component_currency_error_names_the_field() -> None:
    with pytest.raises(UnknownCurrencyError) as caught:
        compute_from_json(
            "combined",
            combined(("cost", "0.5", {**COST, "currency": "XYZ"}), ("market", "0.5", MARKET)),
        )
    assert caught.value.details["field"] == "components[0].inputs.currency"


def test_typed_combined_inputs() -> None:
    cost = parse_inputs("cost", COST)
    market = parse_inputs("market", MARKET)
    assert isinstance(cost, CostInputs)
    assert isinstance(market, MarketInputs)
    inputs = CombinedInputs((Component(Decimal("0.6"), cost), Component(Decimal("0.4"), market)))
    # 0.6 * 39877.2 + 0.4 * 108666.666... = 23926.32 + 43466.666... = 67392.9866... -> 67392.99
    assert compute(inputs).value_minor == 6739299
    assert inputs.components[1].method == "market"


# --- refusing bad payloads ---------------------------------------------------------------------


def with_change(payload: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != key}


@pytest.mark.parametrize(
    ("method", "payload", "field", "message"),
    [
        ("cost", without(COST, "basis"), "basis", "missing field: basis"),
        ("cost", {**COST, "colour": "red"}, "colour", "unknown field: colour"),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), 5000.0),
            "cost_lines[1].amount",
            "binary",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), True),
            "cost_lines[1].amount",
            "a boolean",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), None),
            "cost_lines[1].amount",
            "null",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), "1e3"),
            "cost_lines[1].amount",
            "plain decimal",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), "1,000"),
            "cost_lines[1].amount",
            "plain decimal",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), " 12"),
            "cost_lines[1].amount",
            "plain decimal",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), "+12"),
            "cost_lines[1].amount",
            "plain decimal",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), "١٢"),
            "cost_lines[1].amount",
            "plain decimal",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), "NaN"),
            "cost_lines[1].amount",
            "plain decimal",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), 10**30),
            "cost_lines[1].amount",
            "too large",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "amount"), "-1"),
            "cost_lines[1].amount",
            "negative",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1), {"amount": "1"}),
            "cost_lines[1].category",
            "missing field",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "category"), "tea"),
            "cost_lines[1].category",
            "must be one of",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 1, "cost"), "1"),
            "cost_lines[1].cost",
            "unknown field",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines",), {"collection": "1"}),
            "cost_lines",
            "must be a list",
        ),
        (
            "cost",
            with_change(COST, ("cost_lines", 0), "20000"),
            "cost_lines[0]",
            "must be a JSON object",
        ),
        ("cost", {**COST, "profit_rate": "1"}, "profit_rate", "less than 1"),
        ("cost", {**COST, "quality_factor": "0"}, "quality_factor", "greater than 0"),
        ("cost", {**COST, "basis": 1}, "basis", "must be a string"),
        ("cost", {**COST, "currency": "cny"}, "currency", "did you mean 'CNY'"),
        ("income", {**INCOME, "horizon": "3"}, "horizon", "must be an integer"),
        ("income", {**INCOME, "horizon": 4}, "cash_flows", "4 years but 3 cash flows"),
        ("income", {**INCOME, "mid_year": "yes"}, "mid_year", "true or false"),
        ("income", {**INCOME, "discount_rate": "0"}, "discount_rate", "greater than 0"),
        ("income", {**INCOME, "contribution_share": "1.5"}, "contribution_share", "at most 1"),
        ("income", {**INCOME, "decay_factors": ["1", "1", "1"]}, "decay_factors", "not both"),
        ("income", {**INCOME, "cash_flows": "1100"}, "cash_flows", "must be a list"),
        ("income", without(INCOME, "horizon"), "horizon", "missing field: horizon"),
        ("market", {**MARKET, "comparables": []}, "comparables", "none were given"),
        (
            "market",
            with_change(MARKET, ("comparables", 2, "price"), "0"),
            "comparables[2].price",
            "comparable 2: price",
        ),
        (
            "market",
            with_change(MARKET, ("comparables", 0, "scarcity"), "-1"),
            "comparables[0].scarcity",
            "comparable 0",
        ),
        (
            "market",
            with_change(MARKET, ("comparables", 0, "colour"), "1"),
            "comparables[0].colour",
            "unknown field",
        ),
        ("market", {**MARKET, "min_comparables": "3"}, "min_comparables", "must be an integer"),
    ],
)
def test_bad_payloads_name_the_field(
    method: str, payload: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InputError, match=message) as caught:
        compute_from_json(method, payload)
    assert caught.value.details.get("field") == field


def test_unknown_method_and_non_object_payload() -> None:
    with pytest.raises(InputError, match="unknown valuation method 'dcf'"):
        compute_from_json("dcf", COST)
    with pytest.raises(InputError, match="the payload must be a JSON object, got a list"):
        compute_from_json("cost", [COST])  # type: ignore[arg-type]


def test_missing_comparables_from_json_is_its_own_error() -> None:
    with pytest.raises(MissingComparablesError) as caught:
        compute_from_json("market", {**MARKET, "comparables": MARKET["comparables"][:1]})
    assert caught.value.code == "missing_comparables"
