"""The guides outsiders need to check documents without trusting the registry, served as the
repository has them (Markdown): ``GET /docs/{name}``. A credential links
``/docs/verify-offline``; that guide links the specifications it relies on."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from registry.errors import NotFoundError
from registry.settings import PROJECT_ROOT

#: The served guides: name in the URL -> file under docs/.
GUIDES: dict[str, str] = {
    "verify-offline": "verify-offline.md",
    "credential": "credential.md",
    "status-lists": "status-lists.md",
    "fingerprint": "fingerprint.md",
    "privacy": "privacy.md",
}
DOCS_DIR: Path = PROJECT_ROOT / "docs"

router = APIRouter(include_in_schema=False)


@router.get("/docs/{name}")
def guide(name: str) -> Response:
    """One guide as Markdown (404 for any other name: no path is ever built from the URL)."""
    file = GUIDES.get(name.removesuffix(".md"))
    if file is None:
        raise NotFoundError(f"no guide named {name!r}; guides: {', '.join(sorted(GUIDES))}")
    return Response(
        (DOCS_DIR / file).read_bytes(),
        media_type="text/markdown; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
