"""Response bodies read from attributes (``Public.build``), compact variants (``compact_of``),
pages and error responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pydantic import Field

from api.schemas.common import ErrorPublic, Page, Public, compact_of, error_responses


class _Shape(Public):
    id: int
    name: str = Field(description="what it is called")
    note: str | None = None
    when: datetime


@dataclass(frozen=True)
class _Thing:
    id: int
    name: str
    when: datetime


@dataclass(frozen=True)
class _Other:
    id: int
    note: str


_WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_build_reads_attributes_and_computed_fields_win() -> None:
    body = _Shape.build(_Thing(1, "a", _WHEN), name="computed")
    assert body.model_dump() == {"id": 1, "name": "computed", "note": None, "when": _WHEN}


def test_build_takes_each_field_from_the_first_source_that_has_it() -> None:
    body = _Shape.build(_Thing(1, "a", _WHEN), _Other(2, "from the second"))
    assert (body.id, body.note) == (1, "from the second")


def test_build_leaves_a_field_no_source_has_to_its_default() -> None:
    assert _Shape.build(_Thing(1, "a", _WHEN)).note is None


@compact_of(_Shape)
class _Compact(Public):
    """Only the name and id."""

    name: str
    id: int


def test_a_compact_variant_keeps_its_order_and_the_shapes_definitions() -> None:
    assert list(_Compact.model_fields) == ["name", "id"]
    assert _Compact.model_fields["name"].description == "what it is called"
    assert _Compact.__name__ == "_Compact"
    assert _Compact.__doc__ == "Only the name and id."
    assert _Compact.model_validate(_Thing(1, "a", _WHEN)).model_dump() == {"name": "a", "id": 1}


def test_a_compact_variant_cannot_drift_from_its_shape() -> None:
    with pytest.raises(TypeError, match=r"_Wrong\.name is not _Shape\.name"):

        @compact_of(_Shape)
        class _Wrong(Public):
            name: int

    with pytest.raises(TypeError, match=r"_Unknown\.colour is not _Shape\.colour"):

        @compact_of(_Shape)
        class _Unknown(Public):
            colour: str


class _Things(Page[_Shape]):
    pass


def test_a_page_lists_items_then_total_limit_offset() -> None:
    page = _Things(items=[_Shape.build(_Thing(1, "a", _WHEN))], total=3, limit=1, offset=2)
    assert list(page.model_dump()) == ["items", "total", "limit", "offset"]
    assert _Things.model_json_schema()["title"] == "_Things"


def test_error_responses_name_the_error_body_per_code() -> None:
    assert error_responses(404, 422) == {404: {"model": ErrorPublic}, 422: {"model": ErrorPublic}}
