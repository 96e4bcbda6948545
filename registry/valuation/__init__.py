"""Valuation of data assets by the cost, income and market approaches (and their combination).

Pure Python calculators after China's 2023 guidance on appraising data assets
(数据资产评估指导意见). Inputs are frozen dataclasses of :class:`~decimal.Decimal` values in major
units; every calculator returns a :class:`ValuationResult` whose value is an integer of ISO 4217
minor units, rounded half to even once at the end, with a :class:`ComputationRecord` whose RFC 8785
canonical JSON hashes to the 32-byte valuation report hash. Formulas: ``docs/valuation.md``.
"""

from __future__ import annotations

from registry.domain.money import (
    CURRENCY_EXPONENTS,
    format_minor,
    from_minor_units,
    minor_unit_exponent,
    to_minor_units,
)
from registry.valuation.calculators import (
    METHODS,
    CombinedInputs,
    Component,
    ValuationInputs,
    compute,
    compute_combined,
    compute_from_json,
    parse_inputs,
)
from registry.valuation.cost import CostInputs, CostLine
from registry.valuation.cost import compute as compute_cost
from registry.valuation.income import IncomeInputs
from registry.valuation.income import compute as compute_income
from registry.valuation.market import Comparable, MarketInputs
from registry.valuation.market import compute as compute_market
from registry.valuation.record import ComputationRecord, Step, ValuationResult

__all__ = [
    "CURRENCY_EXPONENTS",
    "METHODS",
    "CombinedInputs",
    "Comparable",
    "Component",
    "ComputationRecord",
    "CostInputs",
    "CostLine",
    "IncomeInputs",
    "MarketInputs",
    "Step",
    "ValuationInputs",
    "ValuationResult",
    "compute",
    "compute_combined",
    "compute_cost",
    "compute_from_json",
    "compute_income",
    "compute_market",
    "format_minor",
    "from_minor_units",
    "minor_unit_exponent",
    "parse_inputs",
    "to_minor_units",
]
