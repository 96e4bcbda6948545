"""The computation record: canonical JSON, the report hash and parsing a record back."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from registry.errors import InputError, NonPositiveValuationError
from registry.valuation.cost import CostInputs, CostLine
from registry.valuation.cost import compute as compute_cost
from registry.valuation.record import RECORD_VERSION, ComputationRecord, Step, finalise

D = Decimal

SMALL = ComputationRecord(
    method="cost",
    currency="CNY",
    inputs={"b": "1", "a": [True, None, 3]},
    steps=(Step("x", "x = 1", "1"),),
    value_minor=100,
)

COST = CostInputs(
    currency="CNY",
    basis="replacement",
    cost_lines=(
        CostLine("collection", D("20000")),
        CostLine("processing", D("15000.50"), note="数据清洗"),
    ),
    profit_rate=D("0.1"),
)


def test_canonical_json_of_a_small_record() -> None:
    # RFC 8785: keys sorted by UTF-16 code units, no whitespace, strings as-is
    expected = (
        b'{"currency":"CNY","inputs":{"a":[true,null,3],"b":"1"},"method":"cost",'
        b'"steps":[{"formula":"x = 1","label":"x","value":"1"}],"value":"1.00",'
        b'"value_minor":"100","version":"dareg-valuation/1"}'
    )
    assert SMALL.to_json() == expected
    assert SMALL.digest() == hashlib.sha256(expected).digest()
    assert SMALL.digest_hex() == "0x" + hashlib.sha256(expected).hexdigest()
    assert len(SMALL.digest()) == 32


def test_to_json_parses_back() -> None:
    record = compute_cost(COST).record
    document = json.loads(record.to_json())
    assert document == record.to_document()
    assert document["version"] == RECORD_VERSION
    assert document["method"] == "cost"
    assert document["currency"] == "CNY"
    # C = 20000 + 15000.5 = 35000.5; P = 3500.05; V = 38500.55 CNY = 3850055 fen
    assert document["value_minor"] == "3850055"
    assert document["value"] == "38500.55"
    assert document["inputs"]["cost_lines"][1] == {
        "category": "processing",
        "amount": "15000.5",
        "note": "数据清洗",
    }
    assert [s["label"] for s in document["steps"]][-1] == "value"
    # non-ASCII text is written as UTF-8, not escaped
    assert "数据清洗".encode() in record.to_json()


def test_from_json_round_trip() -> None:
    record = compute_cost(COST).record
    again = ComputationRecord.from_json(record.to_json())
    assert again == record
    assert again.to_json() == record.to_json()
    assert again.digest() == record.digest()
    assert ComputationRecord.from_json(record.to_json().decode()) == record


def test_same_inputs_give_the_same_bytes_and_digest() -> None:
    first = compute_cost(COST)
    second = compute_cost(replace(COST))
    assert first.record.to_json() == second.record.to_json()
    assert first.digest() == second.digest() == first.record.digest()
    # the same numbers written differently are the same inputs
    respelled = replace(
        COST,
        cost_lines=(
            CostLine("collection", D("2.0000E+4")),
            CostLine("processing", D("15000.5000"), note="数据清洗"),
        ),
        profit_rate=D("0.10"),
    )
    assert compute_cost(respelled).digest() == first.digest()


@pytest.mark.parametrize(
    "changes",
    [
        {"profit_rate": D("0.11")},
        {"basis": "reproduction"},
        {"currency": "HKD"},
        {"cost_lines": (CostLine("collection", D("20000")), CostLine("processing", D("15000.5")))},
        {"cost_lines": (CostLine("storage", D("20000")), CostLine("processing", D("15000.5")))},
    ],
)
def test_any_changed_input_changes_the_digest(changes: dict[str, object]) -> None:
    assert compute_cost(replace(COST, **changes)).digest() != compute_cost(COST).digest()  # type: ignore[arg-type]


def test_large_values_are_strings_not_json_numbers() -> None:
    record = replace(SMALL, value_minor=2**60)
    document = json.loads(record.to_json())
    assert document["value_minor"] == str(2**60)
    assert document["value"] == "11529215046068469.76"


def test_records_refuse_floats_and_unknown_types() -> None:
    with pytest.raises(ValueError, match="float"):
        replace(SMALL, inputs={"rate": 0.1})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="Decimal"):
        replace(SMALL, inputs={"rate": D("0.1")})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="I-JSON"):
        replace(SMALL, inputs={"n": 2**60})


def test_inputs_are_copied() -> None:
    inputs: dict[str, Any] = {"a": ["1"]}
    record = replace(SMALL, inputs=inputs)
    inputs["a"] = ["2"]
    assert record.inputs == {"a": ["1"]}


@pytest.mark.parametrize(
    "text",
    [
        b"not json",
        b"[]",
        b'{"method":"cost"}',
        # value does not match value_minor
        b'{"currency":"CNY","inputs":{},"method":"cost","steps":[],"value":"2.00",'
        b'"value_minor":"100","version":"dareg-valuation/1"}',
        # value_minor is not a digit string
        b'{"currency":"CNY","inputs":{},"method":"cost","steps":[],"value":"1.00",'
        b'"value_minor":100,"version":"dareg-valuation/1"}',
        # value_minor with a leading zero or non-ASCII digits is not canonical
        b'{"currency":"CNY","inputs":{},"method":"cost","steps":[],"value":"1.00",'
        b'"value_minor":"0100","version":"dareg-valuation/1"}',
        '{"currency":"CNY","inputs":{},"method":"cost","steps":[],"value":"1.00",'
        '"value_minor":"١٠٠","version":"dareg-valuation/1"}'.encode(),
        # a step lacks its formula
        b'{"currency":"CNY","inputs":{},"method":"cost","steps":[{"label":"x","value":"1"}],'
        b'"value":"1.00","value_minor":"100","version":"dareg-valuation/1"}',
        # a float in the inputs
        b'{"currency":"CNY","inputs":{"r":0.5},"method":"cost","steps":[],"value":"1.00",'
        b'"value_minor":"100","version":"dareg-valuation/1"}',
        # unknown currency
        b'{"currency":"QQQ","inputs":{},"method":"cost","steps":[],"value":"1.00",'
        b'"value_minor":"100","version":"dareg-valuation/1"}',
    ],
)
def test_from_json_refuses_what_is_not_a_record(text: bytes) -> None:
    with pytest.raises(InputError):
        ComputationRecord.from_json(text)


def test_finalise_refuses_non_positive_values() -> None:
    steps = [Step("x", "x", "0")]
    with pytest.raises(NonPositiveValuationError):
        finalise("cost", "CNY", {}, steps, D("0"))
    with pytest.raises(NonPositiveValuationError):
        finalise("cost", "CNY", {}, steps, D("-0.01"))
    # 0.4 JPY rounds to 0 yen
    with pytest.raises(NonPositiveValuationError, match="rounds to zero"):
        finalise("cost", "JPY", {}, steps, D("0.4"))
    # 0.5 JPY -> 0 (even); 1.5 JPY -> 2
    with pytest.raises(NonPositiveValuationError):
        finalise("cost", "JPY", {}, steps, D("0.5"))
    result = finalise("cost", "JPY", {}, steps, D("1.5"))
    assert result.value_minor == 2
    assert result.record.steps[-1] == Step("value", "V = round_half_even(1.5, 0)", "2")
