"""Property-based calls generated from an OpenAPI document, and the checks of their answers.

:func:`value_of` turns a JSON Schema of the document (the subset FastAPI writes: ``type``,
``properties``, ``required``, ``items``, ``anyOf``, ``enum``, ``const``, ``$ref``, bounds,
``format`` date and date-time) into a hypothesis strategy of values; now and then it strays
outside the schema (a number out of range, a wrong type, a missing field), as a client would.
:func:`problems_of` checks one answer against its operation: no server error, a status the
operation declares, a content type it declares for that status and a JSON body that conforms to
the declared schema.
"""

from __future__ import annotations

import json
import string
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import strategies as st

Schema = dict[str, Any]
_NOTHING = object()


class Document:
    """An OpenAPI document: resolves ``$ref`` and builds strategies and checks from it."""

    def __init__(self, spec: dict[str, Any], *, stray: bool = True) -> None:
        self.spec = spec
        self.stray = stray

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            name = schema["$ref"].removeprefix("#/components/schemas/")
            schema = self.spec["components"]["schemas"][name]
        return schema

    # --- values ---------------------------------------------------------------------------

    def value_of(self, schema: Schema, depth: int = 0) -> st.SearchStrategy[Any]:
        """Values of ``schema``; with ``stray``, sometimes one that it refuses."""
        valid = self._valid(self.resolve(schema), depth)
        if not self.stray or depth > 6:
            return valid
        wrong: st.SearchStrategy[Any] = st.one_of(
            st.none(), st.integers(min_value=-(2**80), max_value=2**300), st.text(max_size=8)
        )
        return st.one_of(valid, valid, valid, valid, wrong)

    def _valid(self, schema: Schema, depth: int) -> st.SearchStrategy[Any]:
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            return st.one_of([self._valid(self.resolve(o), depth + 1) for o in options])
        kind = schema.get("type")
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind == "integer":
            low = schema.get("minimum")
            if "exclusiveMinimum" in schema:
                low = int(schema["exclusiveMinimum"]) + 1
            high = schema.get("maximum")
            return st.integers(
                min_value=None if low is None else int(low),
                max_value=None if high is None else int(high),
            )
        if kind == "number":
            return st.floats(
                min_value=schema.get("minimum"),
                max_value=schema.get("maximum"),
                allow_nan=False,
                allow_infinity=False,
            )
        if kind == "string":
            return self._string(schema)
        if kind == "array":
            low = int(schema.get("minItems", 0))
            high = min(int(schema.get("maxItems", low + 3)), low + 3)
            items = self.value_of(schema.get("items", {}), depth + 1)
            return st.lists(items, min_size=low, max_size=high)
        if kind == "object" or "properties" in schema:
            return self._object(schema, depth)
        return st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))

    @staticmethod
    def _string(schema: Schema) -> st.SearchStrategy[Any]:
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        if schema.get("format") == "date-time":
            moments = st.datetimes(
                min_value=datetime(1971, 1, 1),
                max_value=datetime(2200, 1, 1),
                timezones=st.just(UTC),
            )
            return moments.map(datetime.isoformat)
        if schema.get("format") == "date":
            return st.dates(min_value=date(1971, 1, 1)).map(date.isoformat)
        low = int(schema.get("minLength", 0))
        high = min(int(schema.get("maxLength", low + 40)), low + 40)
        alphabet = st.one_of(st.sampled_from(string.hexdigits + "x0"), st.characters(codec="utf-8"))
        text = st.text(alphabet=alphabet, min_size=low, max_size=high)
        hexes = st.integers(min_value=0, max_value=2**256).map(lambda n: f"0x{n:064x}")
        addresses = st.integers(min_value=0, max_value=2**160 - 1).map(lambda n: f"0x{n:040x}")
        numbers = st.from_regex(r"[0-9]{16,17}", fullmatch=True)
        return st.one_of(text, hexes, addresses, numbers) if not low else text

    def _object(self, schema: Schema, depth: int) -> st.SearchStrategy[Any]:
        properties: dict[str, Schema] = schema.get("properties", {})
        required = set(schema.get("required", []))

        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Any]:
            body: dict[str, Any] = {}
            for name, sub in properties.items():
                wanted = name in required or draw(st.booleans())
                if self.stray and name in required and draw(st.integers(0, 19)) == 0:
                    wanted = False  # a missing field
                if wanted:
                    body[name] = draw(self.value_of(sub, depth + 1))
            return body

        return build()

    # --- checks ---------------------------------------------------------------------------

    def problems_of(
        self, operation: dict[str, Any], status: int, content_type: str, body: bytes
    ) -> list[str]:
        """What is wrong with an answer ``status``, ``content_type``, ``body`` of ``operation``."""
        if status >= 500:
            return [f"server error {status}: {body[:300]!r}"]
        declared = operation["responses"].get(str(status))
        if declared is None:
            return [f"undeclared status {status}: {body[:300]!r}"]
        media = content_type.split(";")[0].strip()
        contents: dict[str, Any] = declared.get("content", {})
        if not contents:
            return [] if not body else [f"{status} has a body, none declared"]
        if media not in contents:
            return [f"{status} answered {media!r}, declared {sorted(contents)}"]
        schema = contents[media].get("schema")
        if media != "application/json" or schema is None:
            return []
        try:
            value = json.loads(body)
        except ValueError:
            return [f"{status} answered JSON that does not parse: {body[:200]!r}"]
        return [f"{status} body {where}: {what}" for where, what in self.mismatches(schema, value)]

    def mismatches(self, schema: Schema, value: Any, at: str = "$") -> list[tuple[str, str]]:
        """Where ``value`` does not conform to ``schema`` (empty if it does)."""
        schema = self.resolve(schema)
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            if any(not self.mismatches(o, value, at) for o in options):
                return []
            return [(at, f"{_short(value)} matches none of {len(options)} options")]
        if "const" in schema and value != schema["const"]:
            return [(at, f"{_short(value)} is not {schema['const']!r}")]
        if "enum" in schema and value not in schema["enum"]:
            return [(at, f"{_short(value)} is not one of {schema['enum']}")]
        kind = schema.get("type")
        if kind is not None and not _is(kind, value):
            return [(at, f"{_short(value)} is not of type {kind}")]
        found: list[tuple[str, str]] = []
        if isinstance(value, int | float) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                found.append((at, f"{value} < minimum {schema['minimum']}"))
            if "maximum" in schema and value > schema["maximum"]:
                found.append((at, f"{value} > maximum {schema['maximum']}"))
            if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
                found.append((at, f"{value} <= exclusive minimum {schema['exclusiveMinimum']}"))
        if isinstance(value, str):
            if len(value) > schema.get("maxLength", len(value)):
                found.append((at, f"longer than {schema['maxLength']}"))
            if len(value) < schema.get("minLength", 0):
                found.append((at, f"shorter than {schema['minLength']}"))
            if schema.get("format") == "date-time" and not _parses(datetime.fromisoformat, value):
                found.append((at, f"{value!r} is no date-time"))
            if schema.get("format") == "date" and not _parses(date.fromisoformat, value):
                found.append((at, f"{value!r} is no date"))
        if isinstance(value, list):
            if len(value) < schema.get("minItems", 0):
                found.append((at, f"fewer than {schema['minItems']} items"))
            for index, item in enumerate(value):
                found += self.mismatches(schema.get("items", {}), item, f"{at}[{index}]")
        if isinstance(value, dict):
            properties: dict[str, Schema] = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    found.append((at, f"required {name!r} missing"))
            extra = schema.get("additionalProperties", _NOTHING)
            for name, item in value.items():
                if name in properties:
                    found += self.mismatches(properties[name], item, f"{at}.{name}")
                elif extra is False:
                    found.append((at, f"{name!r} is not declared"))
                elif isinstance(extra, dict):
                    found += self.mismatches(extra, item, f"{at}.{name}")
        return found


def _is(kind: str, value: Any) -> bool:
    return {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }[kind]


def _parses(parse: Any, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
