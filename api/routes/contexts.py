"""The JSON-LD contexts credentials name, served as ``application/ld+json`` (public, cacheable),
and their index (context URL -> served path) to build an offline document loader from."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from api.deps import Registry
from registry.certificates.contexts import JSONLD_MEDIA_TYPE, context_bytes, context_index
from registry.certificates.urls import CONTEXT_PATHS, CONTEXTS_INDEX_PATH

router = APIRouter(tags=["contexts"])

#: Contexts change only with a release (a new version gets a new URL): caches may keep them.
CACHE_CONTROL = "public, max-age=86400"


@router.get(
    CONTEXTS_INDEX_PATH,
    responses={
        200: {
            "description": "context URL -> the path this app serves it at",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            },
        }
    },
)
def get_context_index() -> JSONResponse:
    """The JSON-LD contexts the registry's credentials name and where this app serves each:
    a JSON-LD document loader maps each URL to that path and never fetches a context from the
    network."""
    return JSONResponse(context_index(), headers={"Cache-Control": CACHE_CONTROL})


def _serve(url: str) -> None:
    def get_context(registry: Registry) -> Response:
        body = context_bytes(url, registry.settings.node_modules_dir)
        headers = {"Cache-Control": CACHE_CONTROL}
        return Response(body, media_type=JSONLD_MEDIA_TYPE, headers=headers)

    get_context.__doc__ = f"The JSON-LD context {url}."
    router.add_api_route(
        CONTEXT_PATHS[url],
        get_context,
        methods=["GET"],
        name=f"context {url}",
        operation_id=f"get_context_{CONTEXT_PATHS[url].strip('/').replace('/', '_')}",
        response_class=Response,
        responses={200: {"content": {JSONLD_MEDIA_TYPE: {"schema": {"type": "object"}}}}},
    )


for _url in CONTEXT_PATHS:
    _serve(_url)
