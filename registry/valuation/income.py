"""Income approach (收益法): the present value of the cash flows the data brings in.

    V = Σ_{t=1..n}  CF_t × s × f_t / (1 + r)^e_t

``CF_t`` is the incremental cash flow in year ``t`` that the data helps to earn (major units; may
be negative in some years), ``s`` the share of it attributable to the data (its contribution
share, in (0, 1]), ``f_t`` the decay (attenuation) factor of year ``t``, ``r`` the discount rate
and ``e_t = t`` (year-end discounting) or ``t − 0.5`` (mid-year discounting). The decay factor is
either ``(1 − d)^(t − 1)`` for a yearly decay rate ``d`` or given year by year. The horizon ``n``
is finite. A value that is not positive is refused. See ``docs/valuation.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from registry.domain.money import check_currency, check_decimal, decimal_context, render_decimal
from registry.errors import InputError, NonPositiveValuationError
from registry.valuation.record import JSONValue, Step, ValuationResult, finalise

METHOD: Final = "income"

MAX_HORIZON: Final = 100
"""Longest horizon accepted, in years (the economic life of data is usually far shorter)."""

ONE: Final = Decimal(1)
HALF: Final = Decimal("0.5")


@dataclass(frozen=True)
class IncomeInputs:
    """Inputs of the income approach. Cash flows are in major units of ``currency``, one a year.

    Give at most one of ``decay_rate`` (``d`` in [0, 1)) and ``decay_factors`` (one factor in
    [0, 1] per year); with neither, there is no decay. ``horizon`` must equal the number of cash
    flows. ``mid_year`` discounts each year's cash flow from the middle of the year.
    """

    currency: str
    cash_flows: tuple[Decimal, ...]
    discount_rate: Decimal
    contribution_share: Decimal
    horizon: int
    decay_rate: Decimal | None = None
    decay_factors: tuple[Decimal, ...] | None = None
    mid_year: bool = False

    def __post_init__(self) -> None:
        check_currency(self.currency)
        flows = tuple(self.cash_flows)
        object.__setattr__(self, "cash_flows", flows)
        horizon = self.horizon
        if isinstance(horizon, bool) or not isinstance(horizon, int):
            raise InputError("horizon must be a whole number of years", field="horizon")
        if not 1 <= horizon <= MAX_HORIZON:
            raise InputError(
                f"horizon must be between 1 and {MAX_HORIZON} years, got {horizon}",
                field="horizon",
            )
        if len(flows) != horizon:
            raise InputError(
                f"horizon is {horizon} years but {len(flows)} cash flows were given; "
                "give one cash flow per year",
                field="cash_flows",
            )
        for index, flow in enumerate(flows):
            check_decimal(flow, f"cash_flows[{index}]")
        rate = check_decimal(self.discount_rate, "discount_rate")
        if rate <= 0:
            raise InputError(
                f"discount_rate must be greater than 0, got {render_decimal(rate)}",
                field="discount_rate",
            )
        share = check_decimal(self.contribution_share, "contribution_share")
        if not 0 < share <= 1:
            raise InputError(
                "contribution_share must be greater than 0 and at most 1, "
                f"got {render_decimal(share)}",
                field="contribution_share",
            )
        if not isinstance(self.mid_year, bool):
            raise InputError("mid_year must be true or false", field="mid_year")
        if self.decay_rate is not None and self.decay_factors is not None:
            raise InputError(
                "give either decay_rate or decay_factors, not both", field="decay_factors"
            )
        if self.decay_rate is not None:
            decay = check_decimal(self.decay_rate, "decay_rate")
            if not 0 <= decay < 1:
                raise InputError(
                    f"decay_rate must be at least 0 and less than 1, got {render_decimal(decay)}",
                    field="decay_rate",
                )
        if self.decay_factors is not None:
            factors = tuple(self.decay_factors)
            object.__setattr__(self, "decay_factors", factors)
            if len(factors) != horizon:
                raise InputError(
                    f"horizon is {horizon} years but {len(factors)} decay factors were given",
                    field="decay_factors",
                )
            for index, factor in enumerate(factors):
                where = f"decay_factors[{index}]"
                check_decimal(factor, where)
                if not 0 <= factor <= 1:
                    raise InputError(
                        f"{where} must be between 0 and 1, got {render_decimal(factor)}",
                        field=where,
                    )

    def factors(self) -> tuple[Decimal, ...]:
        """The decay factor of each year: given, or ``(1 − d)^(t − 1)``, or all 1."""
        if self.decay_factors is not None:
            return self.decay_factors
        decay = self.decay_rate if self.decay_rate is not None else Decimal(0)
        with decimal_context():
            return tuple((ONE - decay) ** (t - 1) for t in range(1, self.horizon + 1))

    def to_record(self) -> dict[str, JSONValue]:
        """The inputs as they appear in the computation record (currency is recorded apart)."""
        return {
            "cash_flows": [render_decimal(flow) for flow in self.cash_flows],
            "discount_rate": render_decimal(self.discount_rate),
            "contribution_share": render_decimal(self.contribution_share),
            "horizon": self.horizon,
            "decay_rate": None if self.decay_rate is None else render_decimal(self.decay_rate),
            "decay_factors": [render_decimal(factor) for factor in self.factors()],
            "mid_year": self.mid_year,
        }


def compute(inputs: IncomeInputs) -> ValuationResult:
    """The income-approach value of ``inputs``, rounded half to even to the minor unit.

    Raises :class:`NonPositiveValuationError` when every cash flow is zero or when the present
    value is zero or negative.
    """
    if all(flow == 0 for flow in inputs.cash_flows):
        raise NonPositiveValuationError(
            "every cash flow is zero, so the income approach gives no value",
            method=METHOD,
        )
    r = render_decimal
    share = inputs.contribution_share
    steps: list[Step] = []
    with decimal_context():
        growth = ONE + inputs.discount_rate
        root = growth.sqrt() if inputs.mid_year else ONE
        total = Decimal(0)
        terms: list[str] = []
        for t, (flow, factor) in enumerate(
            zip(inputs.cash_flows, inputs.factors(), strict=True), start=1
        ):
            if inputs.mid_year:
                exponent = r(Decimal(t) - HALF)
                discount = growth ** (t - 1) * root
            else:
                exponent = str(t)
                discount = growth**t
            present = flow * share * factor / discount
            total += present
            terms.append(f"PV_{t}")
            steps.append(
                Step(
                    f"year_{t}",
                    f"PV_{t} = CF_{t} * s * f_{t} / (1 + r)^{exponent} = "
                    f"{r(flow)} * {r(share)} * {r(factor)} / {r(growth)}^{exponent}",
                    r(present),
                )
            )
    steps.append(Step("present_value", "V = " + " + ".join(terms), r(total)))
    return finalise(METHOD, inputs.currency, inputs.to_record(), steps, total)
