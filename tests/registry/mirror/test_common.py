"""Rows built from SQL by :func:`registry.mirror.common.row_of`: each field from the column of
its name, converted to the field's type, computed fields as given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from registry.domain.registration import Status
from registry.domain.rights import ConsentAction
from registry.mirror.common import row_of


@dataclass(frozen=True)
class Sample:
    id: int
    status: Status
    action: ConsentAction | None
    amount: int
    flag: bool
    note: str | None
    at: datetime
    computed: tuple[int, ...]


def test_fields_come_from_their_columns_converted_to_their_types() -> None:
    at = datetime(2026, 1, 2, tzinfo=UTC)
    row = {
        "id": 7,
        "status": "issued",
        "action": "transfer",
        "amount": "120000000000000000000000",
        "flag": 1,
        "note": None,
        "at": at,
        "unused": "ignored",
    }
    sample = row_of(Sample, row, computed=(1, 2))
    assert sample == Sample(
        7, Status.ISSUED, ConsentAction("transfer"), 12 * 10**22, True, None, at, (1, 2)
    )
    assert type(sample.amount) is int
    assert type(sample.flag) is bool


def test_none_stays_none_and_computed_fields_win() -> None:
    row = {"id": 1, "status": "issued", "action": None, "amount": 0, "flag": False}
    sample = row_of(Sample, row, note="given", at=datetime(2026, 1, 1, tzinfo=UTC), computed=())
    assert sample.action is None
    assert sample.note == "given"


def test_a_missing_column_is_an_error_not_a_default() -> None:
    with pytest.raises(KeyError, match="amount"):
        row_of(Sample, {"id": 1, "status": "issued", "action": None}, computed=())


@dataclass(frozen=True)
class Freeze:
    token_id: int
    frozen: bool
    case_ref: str | None


def test_a_sql_row_is_read_by_column_name() -> None:
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT 'x' AS case_ref, 0 AS frozen, 3 AS token_id, 9 AS chain_id")
            ).one()
    finally:
        engine.dispose()
    assert row_of(Freeze, row) == Freeze(3, False, "x")
