"""What every resource's bodies share: the error body, pages, health, and how a response body
is read from a domain object or a mirror row.

A response body (:class:`Public`) takes its fields from the attributes of the objects it is
built from (``from_attributes``); only the fields it computes are given by hand. A compact
variant of a public shape (the pledges inside a verification answer, say) is declared with
:func:`compact_of`: it names the fields it keeps, each defined by the public shape.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from typing import Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model


class Public(BaseModel):
    """Base of the response bodies: validated from the attributes of domain objects and rows."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def build(cls, *sources: object, **computed: Any) -> Self:
        """The body from the attributes of ``sources`` (the first that has a field's name wins)
        and the ``computed`` fields, which take precedence; a field none of them has takes its
        default."""
        return cls.model_validate(_Attributes(sources, computed))


class _Attributes:
    """The attributes ``model_validate`` reads: ``computed`` first, then each source in turn."""

    __slots__ = ("_computed", "_sources")

    def __init__(self, sources: tuple[object, ...], computed: dict[str, Any]) -> None:
        self._sources = sources
        self._computed = computed

    def __getattr__(self, name: str) -> Any:
        if name in self._computed:
            return self._computed[name]
        for source in self._sources:
            if hasattr(source, name):
                return getattr(source, name)
        raise AttributeError(name)


M = TypeVar("M", bound=BaseModel)


def compact_of(shape: type[BaseModel]) -> Callable[[type[M]], type[M]]:
    """Class decorator: the decorated model is a compact variant of the public ``shape``.

    The decorated class names the fields it keeps, in its order, with their types (what type
    checkers see); each field is then taken from ``shape`` exactly as declared there (default,
    description, constraints). A name ``shape`` lacks, or a type that differs from ``shape``'s,
    is an error at import, so the variant cannot drift from its shape.
    """

    def derive(declared: type[M]) -> type[M]:
        fields: dict[str, Any] = {}
        for name, field in declared.model_fields.items():
            source = shape.model_fields.get(name)
            if source is None or source.annotation != field.annotation:
                raise TypeError(f"{declared.__name__}.{name} is not {shape.__name__}.{name}")
            fields[name] = (source.annotation, copy(source))
        return create_model(
            declared.__name__,
            __base__=declared,
            __module__=declared.__module__,
            __doc__=declared.__doc__,
            **fields,
        )

    return derive


# --- errors -------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable error code")
    message: str
    details: dict[str, Any] | None = None


class ErrorPublic(BaseModel):
    error: ErrorDetail


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an operation that answers ``codes`` with an :class:`ErrorPublic`."""
    return {code: {"model": ErrorPublic} for code in codes}


# --- pages --------------------------------------------------------------------------------------

T = TypeVar("T")


class Page(Public, Generic[T]):
    """``limit`` items from ``offset`` of ``total``; a list names itself by subclassing."""

    items: list[T]
    total: int
    limit: int
    offset: int


# --- health -------------------------------------------------------------------------------------


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"]
    chain_id: int
    rpc_url: str
    chain_reachable: bool
    contracts: dict[str, str]
    deploy_block: int
    chain_head: int | None
    indexer_head: int | None
    indexer_lag: int | None = Field(description="chain head minus indexer head, in blocks")
