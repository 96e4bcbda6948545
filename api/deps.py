"""Request dependencies: the live registry context, typed for route signatures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from registry.context import RegistryContext
from registry.mirror import AsOf, resolve_as_of


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


AsOfBlock = Annotated[
    int | None, Query(ge=0, description="answer as of this block (not with as_of_time)")
]
AsOfTime = Annotated[
    datetime | None,
    Query(description="answer as of this time, ISO 8601 with offset (not with as_of_block)"),
]


def answer_as_of(
    registry: Registry, as_of_block: AsOfBlock = None, as_of_time: AsOfTime = None
) -> AsOf:
    """The block a regulator's answer is as of (the mirror's head without either parameter)."""
    return resolve_as_of(registry.engine, registry.manifest.chain_id, as_of_block, as_of_time)


AnswerAsOf = Annotated[AsOf, Depends(answer_as_of)]
"""``as_of_block`` / ``as_of_time`` query parameters, resolved (400 for both, or beyond head)."""


def download(body: bytes, media_type: str, filename: str) -> Response:
    """``body`` as a file the browser saves as ``filename``."""
    return Response(
        content=body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
