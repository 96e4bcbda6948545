"""Cost approach (成本法): what it would cost to rebuild the data, less obsolescence.

    C  = Σ cost lines                          (collection, storage, processing, labelling, ...)
    P  = C × p                                 reasonable profit, p = profit margin rate on cost
    T  = (C + P) × t                           related taxes, t = tax rate
    RC = C + P + T                             reproduction or replacement cost
    R  = 1 − (1 − r_f)(1 − r_e)(1 − r_t)       obsolescence: functional, economic, timeliness
    V  = RC × (1 − R) × q                      q = data-quality adjustment factor

``basis`` says whether the cost lines price an exact copy of the data (``reproduction``) or data
of equal utility built with today's methods (``replacement``); the arithmetic is the same, the
basis is recorded. See ``docs/valuation.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal, get_args

from registry.domain.money import check_currency, check_decimal, decimal_context, render_decimal
from registry.errors import InputError
from registry.valuation.record import JSONValue, Step, ValuationResult, finalise

METHOD: Final = "cost"

CostBasis = Literal["reproduction", "replacement"]
COST_BASES: Final[tuple[str, ...]] = get_args(CostBasis)

CostCategory = Literal[
    "planning",
    "collection",
    "storage",
    "processing",
    "labelling",
    "development",
    "operation",
    "indirect",
    "opportunity",
    "other",
]
"""Kinds of cost line: planning and preparation; collection or acquisition; storage; processing
and cleaning; labelling (annotation); development (of models, interfaces, products); operation and
maintenance; indirect costs (shared overheads allocated to the data); opportunity cost; other."""
COST_CATEGORIES: Final[tuple[str, ...]] = get_args(CostCategory)

MAX_COST_LINES: Final = 1000
"""Upper bound on cost lines, so a request cannot ask for unbounded work."""

TYPICAL_QUALITY_RANGE: Final = (Decimal("0"), Decimal("1.2"))
"""Usual range of the quality factor: below 1 for data with quality defects, up to about 1.2 for
data of demonstrably better quality than the reference the costs describe. Not enforced beyond
``q > 0``."""

ONE: Final = Decimal(1)


@dataclass(frozen=True)
class CostLine:
    """One itemised cost in major units: its category, amount (≥ 0) and an optional note."""

    category: CostCategory
    amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class CostInputs:
    """Inputs of the cost approach. Amounts are in major units of ``currency``.

    Rates are fractions: ``Decimal("0.1")`` is 10 %. ``profit_rate``, ``tax_rate`` and the three
    obsolescence rates lie in ``[0, 1)``; ``quality_factor`` is positive (typically 0–1.2).
    """

    currency: str
    basis: CostBasis
    cost_lines: tuple[CostLine, ...]
    profit_rate: Decimal = Decimal(0)
    tax_rate: Decimal = Decimal(0)
    functional_obsolescence: Decimal = Decimal(0)
    economic_obsolescence: Decimal = Decimal(0)
    timeliness_obsolescence: Decimal = Decimal(0)
    quality_factor: Decimal = ONE

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if self.basis not in COST_BASES:
            raise InputError(
                f"basis must be one of {', '.join(COST_BASES)}, got {self.basis!r}", field="basis"
            )
        lines = tuple(self.cost_lines)
        object.__setattr__(self, "cost_lines", lines)
        if not lines:
            raise InputError("the cost approach needs at least one cost line", field="cost_lines")
        if len(lines) > MAX_COST_LINES:
            raise InputError(
                f"at most {MAX_COST_LINES} cost lines are accepted, got {len(lines)}",
                field="cost_lines",
            )
        for index, line in enumerate(lines):
            where = f"cost_lines[{index}]"
            if not isinstance(line, CostLine):
                raise InputError(f"{where} must be a CostLine", field=where)
            if line.category not in COST_CATEGORIES:
                raise InputError(
                    f"{where}.category must be one of {', '.join(COST_CATEGORIES)}, "
                    f"got {line.category!r}",
                    field=f"{where}.category",
                )
            if not isinstance(line.note, str):
                raise InputError(f"{where}.note must be a string", field=f"{where}.note")
            amount = check_decimal(line.amount, f"{where}.amount")
            if amount < 0:
                raise InputError(
                    f"{where}.amount must not be negative, got {render_decimal(amount)}",
                    field=f"{where}.amount",
                )
        if all(line.amount == 0 for line in lines):
            raise InputError("at least one cost line must be greater than zero", field="cost_lines")
        for name in (
            "profit_rate",
            "tax_rate",
            "functional_obsolescence",
            "economic_obsolescence",
            "timeliness_obsolescence",
        ):
            rate = check_decimal(getattr(self, name), name)
            if not 0 <= rate < 1:
                raise InputError(
                    f"{name} must be at least 0 and less than 1, got {render_decimal(rate)}",
                    field=name,
                )
        quality = check_decimal(self.quality_factor, "quality_factor")
        if quality <= 0:
            raise InputError(
                f"quality_factor must be greater than 0, got {render_decimal(quality)}",
                field="quality_factor",
            )

    def to_record(self) -> dict[str, JSONValue]:
        """The inputs as they appear in the computation record (currency is recorded apart)."""
        return {
            "basis": self.basis,
            "cost_lines": [
                {
                    "category": line.category,
                    "amount": render_decimal(line.amount),
                    "note": line.note,
                }
                for line in self.cost_lines
            ],
            "profit_rate": render_decimal(self.profit_rate),
            "tax_rate": render_decimal(self.tax_rate),
            "functional_obsolescence": render_decimal(self.functional_obsolescence),
            "economic_obsolescence": render_decimal(self.economic_obsolescence),
            "timeliness_obsolescence": render_decimal(self.timeliness_obsolescence),
            "quality_factor": render_decimal(self.quality_factor),
        }


def compute(inputs: CostInputs) -> ValuationResult:
    """The cost-approach value of ``inputs``, rounded half to even to the minor unit."""
    r = render_decimal
    with decimal_context():
        amounts = [line.amount for line in inputs.cost_lines]
        cost = sum(amounts, Decimal(0))
        profit = cost * inputs.profit_rate
        cost_and_profit = cost + profit
        taxes = cost_and_profit * inputs.tax_rate
        full_cost = cost + profit + taxes
        rates = (
            inputs.functional_obsolescence,
            inputs.economic_obsolescence,
            inputs.timeliness_obsolescence,
        )
        retained = ONE
        for rate in rates:
            retained *= ONE - rate
        obsolescence = ONE - retained
        value = full_cost * retained * inputs.quality_factor
    steps = [
        Step("cost_total", "C = " + " + ".join(r(a) for a in amounts), r(cost)),
        Step("profit", f"P = C * p = {r(cost)} * {r(inputs.profit_rate)}", r(profit)),
        Step("taxes", f"T = (C + P) * t = {r(cost_and_profit)} * {r(inputs.tax_rate)}", r(taxes)),
        Step(
            f"{inputs.basis}_cost",
            f"RC = C + P + T = {r(cost)} + {r(profit)} + {r(taxes)}",
            r(full_cost),
        ),
        Step(
            "obsolescence",
            "R = 1 - " + " * ".join(f"(1 - {r(rate)})" for rate in rates),
            r(obsolescence),
        ),
        Step(
            "adjusted_value",
            f"V = RC * (1 - R) * q = {r(full_cost)} * {r(retained)} * {r(inputs.quality_factor)}",
            r(value),
        ),
    ]
    return finalise(METHOD, inputs.currency, inputs.to_record(), steps, value)
