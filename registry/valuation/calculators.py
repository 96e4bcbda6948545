"""One entry point for every valuation method, from typed inputs or from a JSON payload.

:func:`compute_from_json` is what an API route or a CLI command calls with the body it received:
amounts are decimal strings (``"12500.50"``) or integers in major units, rates and factors are
decimal strings (``"0.08"``) or integers; binary floats are refused so that nothing is rounded
before the calculators see it. Missing, unknown and ill-typed fields are refused with an
:class:`~registry.errors.InputError` naming the field (``cost_lines[2].amount``).

Methods: ``cost``, ``income``, ``market`` and ``combined``. The combined method weighs the values
of two or more different methods (weights in (0, 1] adding up to exactly 1, all components in one
currency): ``V = Σ w_k V_k``, using each component's value before rounding, rounded once at the
end. Its record carries every component's inputs and steps, so its hash commits to all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, TypeAlias, TypeVar, cast

from registry.domain.money import (
    MAX_INTEGER_DIGITS,
    check_currency,
    check_decimal,
    decimal_context,
    render_decimal,
)
from registry.errors import InputError, UnknownCurrencyError
from registry.valuation import cost, income, market
from registry.valuation.cost import CostBasis, CostCategory, CostInputs, CostLine
from registry.valuation.income import IncomeInputs
from registry.valuation.market import Comparable, MarketInputs
from registry.valuation.record import JSONValue, Step, ValuationResult, finalise

COMBINED: Final = "combined"
METHODS: Final = (cost.METHOD, income.METHOD, market.METHOD, COMBINED)
"""Method names accepted by :func:`compute_from_json`."""

MethodInputs: TypeAlias = CostInputs | IncomeInputs | MarketInputs
"""Inputs of one of the three basic methods."""

_E = TypeVar("_E", bound=InputError)

_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_MAX_STRING = 200


def _method_of(inputs: MethodInputs) -> str:
    if isinstance(inputs, CostInputs):
        return cost.METHOD
    if isinstance(inputs, IncomeInputs):
        return income.METHOD
    return market.METHOD


@dataclass(frozen=True)
class Component:
    """One method's inputs and its weight in a combined valuation."""

    weight: Decimal
    inputs: MethodInputs

    @property
    def method(self) -> str:
        return _method_of(self.inputs)


@dataclass(frozen=True)
class CombinedInputs:
    """Two or more components of different methods, in one currency, weights adding up to 1."""

    components: tuple[Component, ...]

    def __post_init__(self) -> None:
        components = tuple(self.components)
        object.__setattr__(self, "components", components)
        if len(components) < 2:
            raise InputError(
                "the combined method needs at least two components", field="components"
            )
        seen: dict[str, int] = {}
        for index, component in enumerate(components):
            where = f"components[{index}]"
            if not isinstance(component, Component) or not isinstance(
                component.inputs, CostInputs | IncomeInputs | MarketInputs
            ):
                raise InputError(
                    f"{where} must be a Component of the cost, income or market method",
                    field=where,
                )
            weight = check_decimal(component.weight, f"{where}.weight")
            if not 0 < weight <= 1:
                raise InputError(
                    f"{where}.weight must be greater than 0 and at most 1, "
                    f"got {render_decimal(weight)}",
                    field=f"{where}.weight",
                )
            if component.method in seen:
                raise InputError(
                    f"{where} repeats the {component.method} method of "
                    f"components[{seen[component.method]}]; combine different methods",
                    field=f"{where}.method",
                )
            seen[component.method] = index
            if component.inputs.currency != components[0].inputs.currency:
                raise InputError(
                    f"{where} is in {component.inputs.currency} but components[0] is in "
                    f"{components[0].inputs.currency}; all components use one currency",
                    field=f"{where}.inputs.currency",
                )
        with decimal_context():
            total = sum((c.weight for c in components), Decimal(0))
        if total != 1:
            raise InputError(
                f"the weights of the components add up to {render_decimal(total)}, not 1",
                field="components",
            )

    @property
    def currency(self) -> str:
        return self.components[0].inputs.currency

    def to_record(self) -> dict[str, JSONValue]:
        """The inputs as they appear in the computation record (currency is recorded apart)."""
        return {
            "components": [
                {
                    "method": c.method,
                    "weight": render_decimal(c.weight),
                    "inputs": c.inputs.to_record(),
                }
                for c in self.components
            ]
        }


ValuationInputs: TypeAlias = CostInputs | IncomeInputs | MarketInputs | CombinedInputs
"""Inputs of any method."""


def _prefixed(prefix: str, error: _E) -> _E:
    """``error`` again, with its message and field placed under ``prefix``."""
    details = dict(error.details)
    if isinstance(details.get("field"), str):
        details["field"] = f"{prefix}.{details['field']}"
    else:
        details["field"] = prefix
    return type(error)(f"{prefix}: {error.message}", **details)


def compute_combined(inputs: CombinedInputs) -> ValuationResult:
    """The weighted combination of the components' values, rounded once at the end."""
    results: list[ValuationResult] = []
    steps: list[Step] = []
    for index, component in enumerate(inputs.components):
        where = f"components[{index}]"
        try:
            result = compute(component.inputs)
        except InputError as exc:
            raise _prefixed(where, exc) from exc
        results.append(result)
        steps.extend(
            Step(f"{where}.{step.label}", step.formula, step.value) for step in result.record.steps
        )
    r = render_decimal
    with decimal_context():
        value = sum(
            (c.weight * res.unrounded for c, res in zip(inputs.components, results, strict=True)),
            Decimal(0),
        )
    symbols = " + ".join(f"w_{i} * V_{i}" for i in range(len(results)))
    numbers = " + ".join(
        f"{r(c.weight)} * {r(res.unrounded)}"
        for c, res in zip(inputs.components, results, strict=True)
    )
    steps.append(Step("weighted_value", f"V = {symbols} = {numbers}", r(value)))
    return finalise(COMBINED, inputs.currency, inputs.to_record(), steps, value)


def compute(inputs: ValuationInputs) -> ValuationResult:
    """Runs the calculator that matches the type of ``inputs``."""
    if isinstance(inputs, CostInputs):
        return cost.compute(inputs)
    if isinstance(inputs, IncomeInputs):
        return income.compute(inputs)
    if isinstance(inputs, MarketInputs):
        return market.compute(inputs)
    if isinstance(inputs, CombinedInputs):
        return compute_combined(inputs)
    raise InputError(f"no valuation method takes {type(inputs).__name__}")


def compute_from_json(method: str, payload: Mapping[str, Any]) -> ValuationResult:
    """Parses ``payload`` for ``method`` (see :func:`parse_inputs`) and computes the value."""
    return compute(parse_inputs(method, payload))


# --- parsing JSON payloads -----------------------------------------------------------------------


def _at(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _fields(
    value: object, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, object]:
    """``value`` as a JSON object holding every ``required`` key and no key outside both lists."""
    if not isinstance(value, dict):
        raise InputError(
            f"{where or 'the payload'} must be a JSON object, got {_kind(value)}",
            field=where or None,
        )
    names = [key for key in value if not isinstance(key, str)]
    if names:
        raise InputError(f"{where or 'the payload'} has non-string keys", field=where or None)
    missing = [name for name in required if name not in value]
    if missing:
        raise InputError(
            f"missing field{'s' if len(missing) > 1 else ''}: "
            + ", ".join(_at(where, name) for name in missing),
            field=_at(where, missing[0]),
        )
    allowed = set(required) | set(optional)
    extra = sorted(key for key in value if key not in allowed)
    if extra:
        raise InputError(
            f"unknown field{'s' if len(extra) > 1 else ''}: "
            + ", ".join(_at(where, name) for name in extra)
            + f" (allowed: {', '.join(sorted(allowed))})",
            field=_at(where, extra[0]),
        )
    return cast(dict[str, object], value)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _decimal(value: object, field: str) -> Decimal:
    """A decimal string (``"-12.50"``) or an integer, as a Decimal; floats are refused."""
    if isinstance(value, str):
        if len(value) > _MAX_STRING or not _DECIMAL.fullmatch(value):
            raise InputError(
                f'{field} must be a plain decimal string such as "1250.50" or "0.08" '
                f"(digits, optional '-' and '.'), got {value[:40]!r}",
                field=field,
            )
        return check_decimal(Decimal(value), field)
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10**MAX_INTEGER_DIGITS:
            raise InputError(f"{field} is too large", field=field)
        return Decimal(value)
    if isinstance(value, float):
        raise InputError(
            f'{field} must be a decimal string such as "0.08" or an integer, not a binary '
            "float (floats cannot hold most decimal amounts exactly)",
            field=field,
        )
    raise InputError(
        f"{field} must be a decimal string or an integer, got {_kind(value)}", field=field
    )


def _integer(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{field} must be an integer, got {_kind(value)}", field=field)
    return value


def _boolean(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{field} must be true or false, got {_kind(value)}", field=field)
    return value


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{field} must be a string, got {_kind(value)}", field=field)
    if len(value) > _MAX_STRING:
        raise InputError(f"{field} is longer than {_MAX_STRING} characters", field=field)
    return value


def _list(value: object, field: str) -> list[object]:
    if not isinstance(value, list):
        raise InputError(f"{field} must be a list, got {_kind(value)}", field=field)
    return cast(list[object], value)


def _decimals(value: object, field: str) -> tuple[Decimal, ...]:
    return tuple(_decimal(item, f"{field}[{i}]") for i, item in enumerate(_list(value, field)))


def _currency(value: object, field: str) -> str:
    code = _string(value, field)
    try:
        return check_currency(code)
    except UnknownCurrencyError as exc:
        raise UnknownCurrencyError(exc.message, field=field, currency=code) from exc


_COST_RATES: Final = (
    "profit_rate",
    "tax_rate",
    "functional_obsolescence",
    "economic_obsolescence",
    "timeliness_obsolescence",
    "quality_factor",
)


def _parse_cost(payload: object, where: str) -> CostInputs:
    data = _fields(payload, where, ("currency", "basis", "cost_lines"), _COST_RATES)
    lines: list[CostLine] = []
    field = _at(where, "cost_lines")
    for index, item in enumerate(_list(data["cost_lines"], field)):
        line_at = f"{field}[{index}]"
        line = _fields(item, line_at, ("category", "amount"), ("note",))
        lines.append(
            CostLine(
                category=cast(CostCategory, _string(line["category"], f"{line_at}.category")),
                amount=_decimal(line["amount"], f"{line_at}.amount"),
                note=_string(line.get("note", ""), f"{line_at}.note"),
            )
        )
    rates = {name: _decimal(data[name], _at(where, name)) for name in _COST_RATES if name in data}
    return CostInputs(
        currency=_currency(data["currency"], _at(where, "currency")),
        basis=cast(CostBasis, _string(data["basis"], _at(where, "basis"))),
        cost_lines=tuple(lines),
        **rates,
    )


def _parse_income(payload: object, where: str) -> IncomeInputs:
    data = _fields(
        payload,
        where,
        ("currency", "cash_flows", "discount_rate", "contribution_share", "horizon"),
        ("decay_rate", "decay_factors", "mid_year"),
    )
    decay_rate = data.get("decay_rate")
    decay_factors = data.get("decay_factors")
    return IncomeInputs(
        currency=_currency(data["currency"], _at(where, "currency")),
        cash_flows=_decimals(data["cash_flows"], _at(where, "cash_flows")),
        discount_rate=_decimal(data["discount_rate"], _at(where, "discount_rate")),
        contribution_share=_decimal(data["contribution_share"], _at(where, "contribution_share")),
        horizon=_integer(data["horizon"], _at(where, "horizon")),
        decay_rate=None if decay_rate is None else _decimal(decay_rate, _at(where, "decay_rate")),
        decay_factors=None
        if decay_factors is None
        else _decimals(decay_factors, _at(where, "decay_factors")),
        mid_year=_boolean(data.get("mid_year", False), _at(where, "mid_year")),
    )


_COMPARABLE_FACTORS: Final = ("quality", "volume", "timeliness", "scarcity", "rights_scope")


def _parse_market(payload: object, where: str) -> MarketInputs:
    data = _fields(payload, where, ("currency", "comparables"), ("min_comparables",))
    comparables: list[Comparable] = []
    field = _at(where, "comparables")
    for index, item in enumerate(_list(data["comparables"], field)):
        item_at = f"{field}[{index}]"
        entry = _fields(item, item_at, ("price",), (*_COMPARABLE_FACTORS, "weight", "reference"))
        factors = {
            name: _decimal(entry[name], f"{item_at}.{name}")
            for name in _COMPARABLE_FACTORS
            if name in entry
        }
        weight = entry.get("weight")
        comparables.append(
            Comparable(
                price=_decimal(entry["price"], f"{item_at}.price"),
                weight=None if weight is None else _decimal(weight, f"{item_at}.weight"),
                reference=_string(entry.get("reference", ""), f"{item_at}.reference"),
                **factors,
            )
        )
    extra: dict[str, int] = {}
    if "min_comparables" in data:
        extra["min_comparables"] = _integer(data["min_comparables"], _at(where, "min_comparables"))
    return MarketInputs(
        currency=_currency(data["currency"], _at(where, "currency")),
        comparables=tuple(comparables),
        **extra,
    )


_PARSERS: Final[dict[str, Callable[[object, str], MethodInputs]]] = {
    cost.METHOD: _parse_cost,
    income.METHOD: _parse_income,
    market.METHOD: _parse_market,
}


def _parse_combined(payload: object) -> CombinedInputs:
    data = _fields(payload, "", ("components",))
    components: list[Component] = []
    for index, item in enumerate(_list(data["components"], "components")):
        where = f"components[{index}]"
        entry = _fields(item, where, ("method", "weight", "inputs"))
        method = _string(entry["method"], f"{where}.method")
        parser = _PARSERS.get(method)
        if parser is None:
            raise InputError(
                f"{where}.method must be one of {', '.join(_PARSERS)}, got {method!r}",
                field=f"{where}.method",
            )
        weight = _decimal(entry["weight"], f"{where}.weight")
        try:
            inputs = parser(entry["inputs"], f"{where}.inputs")
        except InputError as exc:
            if str(exc.details.get("field", "")).startswith(where):
                raise
            raise _prefixed(f"{where}.inputs", exc) from exc
        components.append(Component(weight=weight, inputs=inputs))
    return CombinedInputs(components=tuple(components))


def parse_inputs(method: str, payload: Mapping[str, Any]) -> ValuationInputs:
    """The typed inputs of ``method`` read from a JSON ``payload``.

    Raises :class:`InputError` (or a subclass with its own code) for an unknown method and for
    any missing, unknown, ill-typed or out-of-range field.
    """
    if method == COMBINED:
        return _parse_combined(payload)
    parser = _PARSERS.get(method) if isinstance(method, str) else None
    if parser is None:
        raise InputError(
            f"unknown valuation method {method!r}; use one of {', '.join(METHODS)}",
            field="method",
        )
    return parser(payload, "")
