"""Request dependencies: the live registry context, typed for route signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from registry.context import RegistryContext


def get_context(request: Request) -> RegistryContext:
    context: RegistryContext = request.app.state.registry
    return context


Registry = Annotated[RegistryContext, Depends(get_context)]
