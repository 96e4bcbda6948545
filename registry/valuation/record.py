"""The computation record of a valuation and its report hash.

A :class:`ComputationRecord` states what was computed and how: the method, the currency, every
input (decimals as plain strings, see :func:`~registry.domain.money.render_decimal`), each
intermediate step (a label, the formula with the numbers substituted, the resulting value) and
the final value in minor units. :meth:`ComputationRecord.to_json` serialises it as RFC 8785 (JCS)
canonical JSON, so the same inputs always give the same bytes, and :meth:`~ComputationRecord.digest`
is the SHA-256 of those bytes: the 32-byte valuation report hash that can be anchored on chain.

Numbers in the JSON are strings (``"value_minor": "3987720"``) except small counts and flags in
the inputs, so no value is ever a binary float and none is limited by I-JSON's 2**53.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, TypeAlias

import rfc8785

from registry.domain.money import (
    check_currency,
    format_minor,
    from_minor_units,
    minor_unit_exponent,
    render_decimal,
    to_minor_units,
)
from registry.errors import InputError, NonPositiveValuationError

RECORD_VERSION: Final = "dareg-valuation/1"
"""Version tag written into every record; changes whenever the record layout or a formula does."""

JSONValue: TypeAlias = "str | int | bool | list[JSONValue] | dict[str, JSONValue] | None"
"""A JSON value without floats (numbers that matter are decimal strings)."""

_SAFE_INT: Final = 2**53 - 1
_INTEGER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)")


def _frozen_json(value: object, where: str) -> JSONValue:
    """A deep copy of ``value`` as plain JSON (tuples become lists); refuses floats and others."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        if not -_SAFE_INT <= value <= _SAFE_INT:
            raise ValueError(f"{where}: integer {value} is outside I-JSON's range; use a string")
        return value
    if isinstance(value, list | tuple):
        return [_frozen_json(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        copied: dict[str, JSONValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: object keys must be strings, got {key!r}")
            copied[key] = _frozen_json(item, f"{where}.{key}")
        return copied
    raise ValueError(
        f"{where}: {type(value).__name__} is not allowed in a computation record "
        "(render decimals with render_decimal)"
    )


@dataclass(frozen=True)
class Step:
    """One intermediate result: ``label`` names it, ``formula`` shows it, ``value`` is the result.

    ``value`` is a plain decimal string in major units or a pure number (a rate or factor).
    """

    label: str
    formula: str
    value: str

    def to_dict(self) -> dict[str, JSONValue]:
        return {"label": self.label, "formula": self.formula, "value": self.value}


@dataclass(frozen=True)
class ComputationRecord:
    """Everything needed to re-check one valuation, with a canonical JSON form and its hash."""

    method: str
    currency: str
    inputs: dict[str, JSONValue] = field(hash=False)
    steps: tuple[Step, ...]
    value_minor: int
    version: str = RECORD_VERSION

    def __post_init__(self) -> None:
        if not self.method:
            raise ValueError("a computation record needs a method")
        check_currency(self.currency)
        if isinstance(self.value_minor, bool) or not isinstance(self.value_minor, int):
            raise ValueError("value_minor must be an int")
        frozen = _frozen_json(self.inputs, "inputs")
        if not isinstance(frozen, dict):
            raise ValueError("inputs must be a JSON object")
        object.__setattr__(self, "inputs", frozen)
        object.__setattr__(self, "steps", tuple(self.steps))

    @property
    def value(self) -> Decimal:
        """The final value in major units (exact)."""
        return from_minor_units(self.value_minor, self.currency)

    def to_document(self) -> dict[str, JSONValue]:
        """The record as a JSON object (before canonicalisation)."""
        return {
            "version": self.version,
            "method": self.method,
            "currency": self.currency,
            "inputs": _frozen_json(self.inputs, "inputs"),
            "steps": [step.to_dict() for step in self.steps],
            "value_minor": str(self.value_minor),
            "value": format_minor(self.value_minor, self.currency),
        }

    def to_json(self) -> bytes:
        """RFC 8785 canonical JSON (UTF-8): sorted keys, no whitespace, byte-identical each time."""
        return rfc8785.dumps(self.to_document())

    def digest(self) -> bytes:
        """SHA-256 of :meth:`to_json`: the 32-byte valuation report hash."""
        return hashlib.sha256(self.to_json()).digest()

    def digest_hex(self) -> str:
        """:meth:`digest` as ``0x``-prefixed lower-case hex."""
        return "0x" + self.digest().hex()

    @classmethod
    def from_json(cls, data: bytes | str) -> ComputationRecord:
        """Parses a record written by :meth:`to_json` (or any JSON of the same shape).

        Raises :class:`InputError` when the document is not such a record. The ``value`` field is
        checked against ``value_minor`` and ``currency``.
        """
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"a computation record must be JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise InputError("a computation record must be a JSON object")
        expected = {"version", "method", "currency", "inputs", "steps", "value_minor", "value"}
        if set(document) != expected:
            raise InputError(
                "a computation record has exactly the fields " + ", ".join(sorted(expected))
            )
        steps = document["steps"]
        if not isinstance(steps, list) or not all(_is_step(item) for item in steps):
            raise InputError("steps must be a list of {label, formula, value} string objects")
        value_minor = document["value_minor"]
        if not isinstance(value_minor, str) or not _INTEGER.fullmatch(value_minor):
            raise InputError('value_minor must be an integer written as a string, such as "100"')
        try:
            record = cls(
                method=_string(document, "method"),
                currency=_string(document, "currency"),
                inputs=document["inputs"],
                steps=tuple(Step(s["label"], s["formula"], s["value"]) for s in steps),
                value_minor=int(value_minor),
                version=_string(document, "version"),
            )
        except ValueError as exc:
            raise InputError(f"not a computation record: {exc}") from exc
        if document["value"] != format_minor(record.value_minor, record.currency):
            raise InputError("value does not match value_minor and currency")
        return record


def _is_step(item: object) -> bool:
    return (
        isinstance(item, dict)
        and set(item) == {"label", "formula", "value"}
        and all(isinstance(v, str) for v in item.values())
    )


def _string(document: Mapping[str, Any], key: str) -> str:
    value = document[key]
    if not isinstance(value, str):
        raise InputError(f"{key} must be a string")
    return value


@dataclass(frozen=True)
class ValuationResult:
    """The outcome of one calculator: the value in minor units, its currency and the record.

    ``unrounded`` is the exact value in major units before the final rounding; the combined method
    weighs these so that it rounds only once.
    """

    value_minor: int
    currency: str
    record: ComputationRecord
    unrounded: Decimal

    @property
    def value(self) -> Decimal:
        """The final value in major units (exact)."""
        return from_minor_units(self.value_minor, self.currency)

    def digest(self) -> bytes:
        """The report hash: SHA-256 of the record's canonical JSON."""
        return self.record.digest()


def finalise(
    method: str,
    currency: str,
    inputs: dict[str, JSONValue],
    steps: Sequence[Step],
    value: Decimal,
) -> ValuationResult:
    """Rounds ``value`` to the minor unit (half to even) and builds the result and its record.

    Raises :class:`NonPositiveValuationError` when ``value`` is zero or negative or rounds to
    zero minor units: a valuation is never reported as a non-positive number.
    """
    if value <= 0:
        raise NonPositiveValuationError(
            f"the {method} approach gives {render_decimal(value)} {currency}, which is not a "
            "positive value; check the inputs",
            method=method,
            value=render_decimal(value),
        )
    minor = to_minor_units(value, currency)
    exponent = minor_unit_exponent(currency)
    if minor <= 0:
        raise NonPositiveValuationError(
            f"the {method} approach gives {render_decimal(value)} {currency}, which rounds to "
            f"zero at {exponent} decimal places",
            method=method,
            value=render_decimal(value),
        )
    rounded = Step(
        "value",
        f"V = round_half_even({render_decimal(value)}, {exponent})",
        format_minor(minor, currency),
    )
    record = ComputationRecord(
        method=method,
        currency=currency,
        inputs=inputs,
        steps=(*steps, rounded),
        value_minor=minor,
    )
    return ValuationResult(value_minor=minor, currency=currency, record=record, unrounded=value)
