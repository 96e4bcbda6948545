"""Market approach (市场法): prices of comparable data transactions, adjusted to the subject.

    P'_i = P_i × k_quality × k_volume × k_timeliness × k_scarcity × k_rights     (each k > 0)
    V    = (1/m) Σ P'_i            or, with weights w_i > 0,   V = Σ w_i P'_i / Σ w_i

Each adjustment factor is a ratio *subject / comparable*: a factor of ``1.1`` for quality means
the subject's data is 10 % better than the comparable's, so its price is scaled up. Weights are
relative (they need not add up to 1). At least ``min_comparables`` (default 3) transactions are
required. See ``docs/valuation.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from registry.domain.money import check_currency, check_decimal, decimal_context, render_decimal
from registry.errors import InputError, MissingComparablesError
from registry.valuation.record import JSONValue, Step, ValuationResult, finalise

METHOD: Final = "market"

DEFAULT_MIN_COMPARABLES: Final = 3
"""The guidance expects at least three comparable transactions."""

MAX_COMPARABLES: Final = 1000
"""Upper bound on comparables, so a request cannot ask for unbounded work."""

FACTORS: Final = ("quality", "volume", "timeliness", "scarcity", "rights_scope")
"""The adjustment factors of a comparable, in the order they are multiplied."""

ONE: Final = Decimal(1)


@dataclass(frozen=True)
class Comparable:
    """One comparable transaction: its price (major units, same currency as the valuation).

    The factors are positive ratios subject / comparable for data quality, volume (scale),
    timeliness (transaction date and data freshness), scarcity and rights scope (what the buyer
    obtained). ``weight`` is optional, but either every comparable has one or none has.
    ``reference`` identifies the transaction (an exchange listing, a contract number).
    """

    price: Decimal
    quality: Decimal = ONE
    volume: Decimal = ONE
    timeliness: Decimal = ONE
    scarcity: Decimal = ONE
    rights_scope: Decimal = ONE
    weight: Decimal | None = None
    reference: str = ""

    def factors(self) -> tuple[Decimal, ...]:
        """The adjustment factors in :data:`FACTORS` order."""
        return tuple(getattr(self, name) for name in FACTORS)

    def to_record(self) -> dict[str, JSONValue]:
        document: dict[str, JSONValue] = {"price": render_decimal(self.price)}
        for name in FACTORS:
            document[name] = render_decimal(getattr(self, name))
        document["weight"] = None if self.weight is None else render_decimal(self.weight)
        document["reference"] = self.reference
        return document


def _check_comparable(index: int, comparable: object) -> None:
    where = f"comparables[{index}]"
    if not isinstance(comparable, Comparable):
        raise InputError(f"{where} must be a Comparable", field=where, index=index)
    for name in ("price", *FACTORS):
        field = f"{where}.{name}"
        value = check_decimal(getattr(comparable, name), field)
        if value <= 0:
            raise InputError(
                f"comparable {index}: {name} must be greater than 0, got {render_decimal(value)}",
                field=field,
                index=index,
            )
    if comparable.weight is not None:
        field = f"{where}.weight"
        weight = check_decimal(comparable.weight, field)
        if weight <= 0:
            raise InputError(
                f"comparable {index}: weight must be greater than 0, got {render_decimal(weight)}",
                field=field,
                index=index,
            )
    if not isinstance(comparable.reference, str):
        raise InputError(f"{where}.reference must be a string", field=f"{where}.reference")


@dataclass(frozen=True)
class MarketInputs:
    """Inputs of the market approach: comparable transactions priced in ``currency``.

    ``min_comparables`` (at least 1, default 3) is the fewest comparables accepted; fewer raise
    :class:`MissingComparablesError`.
    """

    currency: str
    comparables: tuple[Comparable, ...]
    min_comparables: int = DEFAULT_MIN_COMPARABLES

    def __post_init__(self) -> None:
        check_currency(self.currency)
        comparables = tuple(self.comparables)
        object.__setattr__(self, "comparables", comparables)
        minimum = self.min_comparables
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
            raise InputError(
                f"min_comparables must be a whole number of at least 1, got {minimum!r}",
                field="min_comparables",
            )
        if not comparables:
            raise MissingComparablesError(
                "the market approach needs comparable transactions and none were given",
                field="comparables",
                count=0,
                minimum=minimum,
            )
        if len(comparables) < minimum:
            raise MissingComparablesError(
                f"the market approach needs at least {minimum} comparable transactions, "
                f"got {len(comparables)}",
                field="comparables",
                count=len(comparables),
                minimum=minimum,
            )
        if len(comparables) > MAX_COMPARABLES:
            raise InputError(
                f"at most {MAX_COMPARABLES} comparables are accepted, got {len(comparables)}",
                field="comparables",
            )
        for index, comparable in enumerate(comparables):
            _check_comparable(index, comparable)
        weighted = [c.weight is not None for c in comparables]
        if any(weighted) and not all(weighted):
            missing = weighted.index(False)
            raise InputError(
                f"comparable {missing}: weight is missing; give a weight to every comparable "
                "or to none",
                field=f"comparables[{missing}].weight",
                index=missing,
            )

    @property
    def weighted(self) -> bool:
        """Whether the value is a weighted mean."""
        return self.comparables[0].weight is not None

    def to_record(self) -> dict[str, JSONValue]:
        """The inputs as they appear in the computation record (currency is recorded apart)."""
        return {
            "comparables": [c.to_record() for c in self.comparables],
            "min_comparables": self.min_comparables,
        }


def compute(inputs: MarketInputs) -> ValuationResult:
    """The market-approach value of ``inputs``, rounded half to even to the minor unit."""
    r = render_decimal
    steps: list[Step] = []
    with decimal_context():
        adjusted: list[Decimal] = []
        for index, comparable in enumerate(inputs.comparables, start=1):
            price = comparable.price
            for factor in comparable.factors():
                price *= factor
            adjusted.append(price)
            steps.append(
                Step(
                    f"comparable_{index}",
                    f"P'_{index} = P_{index} * k_quality * k_volume * k_timeliness * k_scarcity "
                    f"* k_rights = {r(comparable.price)} * "
                    + " * ".join(r(k) for k in comparable.factors()),
                    r(price),
                )
            )
        count = len(adjusted)
        labels = [f"P'_{i}" for i in range(1, count + 1)]
        if inputs.weighted:
            weights = [c.weight for c in inputs.comparables if c.weight is not None]
            total_weight = sum(weights, Decimal(0))
            weighted_sum = sum((w * p for w, p in zip(weights, adjusted, strict=True)), Decimal(0))
            value = weighted_sum / total_weight
            formula = (
                "V = ("
                + " + ".join(f"{r(w)} * {label}" for w, label in zip(weights, labels, strict=True))
                + f") / {r(total_weight)}"
            )
        else:
            value = sum(adjusted, Decimal(0)) / count
            formula = "V = (" + " + ".join(labels) + f") / {count}"
    steps.append(Step("weighted_mean" if inputs.weighted else "mean", formula, r(value)))
    return finalise(METHOD, inputs.currency, inputs.to_record(), steps, value)
