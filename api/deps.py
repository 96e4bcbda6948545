"""Request dependencies: the live registry context, typed for route signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from registry.context import RegistryContext


def get_context(request: Request) -> RegistryContext:
    context: RegistryContext = request.app.state.registry
    return context


Registry = Annotated[RegistryContext, Depends(get_context)]


def require_regulator(request: Request) -> None:
    """The one place the regulator role is checked, on every ``/regulator/...`` route that
    reads the provenance tools (``api/routes/provenance.py``).

    Authentication comes in a later issue: until then every caller is let through. When it
    lands, this function decides (from ``request``) whether the caller acts for a regulator and
    raises a 403 otherwise; the routes need no change.
    """
    del request  # not inspected yet: no authentication so far


RegulatorOnly = Depends(require_regulator)
"""``dependencies=[RegulatorOnly]`` on a router or route that only regulators may use."""
