"""``Idempotency-Key`` on every POST (docs/idempotency.md): a pure ASGI middleware in front of
the routes, behind authentication (so the key is the caller's).

A POST with the header is answered once: its first answer (status and body) is kept in the
database (:class:`~registry.idempotency.IdempotencyStore`) and given again, with
``Idempotency-Replayed: true``, to the same request with the same key, also by a new process on
the same database. The same key with a different request (method, path, query or body) answers
422 ``idempotency_key_reused``; while the first request runs, 409 ``idempotency_key_in_use``.
Not kept, so a retry runs again: server errors (5xx), 429 (come back later) and 409
``request_in_progress`` (a twin request was running).
"""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.asgi import read_body, replaying
from api.deps import AUTHENTICATED
from registry.errors import DaregError, RequestInFlightError
from registry.idempotency import IdempotencyStore, KeptAnswer, checked_key, request_hash

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
#: Error codes whose answer is not kept: the same request may succeed when sent again.
_TRANSIENT_CODES = frozenset({RequestInFlightError.code})


def caller_scope(scope: Scope) -> str:
    """Whose key it is: the signed-in account, else the anonymous client's address."""
    known = (scope.get("state") or {}).get(AUTHENTICATED)
    if known is not None:
        return "account:" + str(known[1].address).lower()
    client = scope.get("client")
    return "anonymous:" + (str(client[0]) if client else "unknown")


def _kept(status: int, body: bytes) -> bool:
    if status >= 500 or status == 429:
        return False
    if status >= 400:
        try:
            code = json.loads(body)["error"]["code"]
        except (ValueError, TypeError, KeyError):
            return True
        return code not in _TRANSIENT_CODES
    return True


def _refusal(error: DaregError) -> Response:
    return JSONResponse(
        {"error": {"code": error.public_code, "message": error.message}},
        status_code=error.http_status,
    )


class IdempotencyMiddleware:
    """Answers a POST carrying ``Idempotency-Key`` once per key (see the module)."""

    def __init__(self, app: ASGIApp, store: IdempotencyStore) -> None:
        self._app = app
        self._store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self._app(scope, receive, send)
            return
        given = Headers(scope=scope).get(IDEMPOTENCY_HEADER)
        if given is None:
            await self._app(scope, receive, send)
            return
        try:
            key = checked_key(given)
        except DaregError as exc:
            await _refusal(exc)(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            return  # the client left
        owner = caller_scope(scope)
        fingerprint = request_hash(
            "POST", str(scope.get("path", "")), bytes(scope.get("query_string", b"")), body
        )
        try:
            kept = await anyio.to_thread.run_sync(self._store.begin, owner, key, fingerprint)
        except DaregError as exc:
            await _refusal(exc)(scope, receive, send)
            return
        if kept is not None:
            replay = Response(kept.body, status_code=kept.status, media_type=kept.content_type)
            replay.headers[REPLAYED_HEADER] = "true"
            await replay(scope, receive, send)
            return
        await self._first(scope, receive, send, body, owner, key)

    async def _first(
        self, scope: Scope, receive: Receive, send: Send, body: bytes, owner: str, key: str
    ) -> None:
        """Run the request the key was claimed for; keep its answer, or release the key."""
        answer: dict[str, Any] = {"status": 500, "content_type": None, "body": b""}

        async def keeping(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = int(message["status"])
                answer["content_type"] = Headers(raw=message.get("headers", [])).get("content-type")
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
            await send(message)

        try:
            await self._app(scope, replaying(body, receive), keeping)
        except BaseException:
            await anyio.to_thread.run_sync(self._store.release, owner, key)
            raise
        status, content = answer["status"], answer["body"]
        if _kept(status, content):
            kept = KeptAnswer(status, answer["content_type"], content)
            await anyio.to_thread.run_sync(self._store.finish, owner, key, kept)
        else:
            await anyio.to_thread.run_sync(self._store.release, owner, key)


_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "makes the request safe to retry: the same key with the same request gets "
    "the first answer again (status and body, with Idempotency-Replayed: true) until the key "
    "expires (24 hours by default); with a different request 422 idempotency_key_reused; "
    "while the first request runs 409 idempotency_key_in_use; an unusable key 422 "
    "invalid_idempotency_key (docs/idempotency.md)",
}
_ANSWERS = {
    "409": "a conflict (idempotency_key_in_use: the first request with this Idempotency-Key "
    "still runs)",
    "422": "unusable input (idempotency_key_reused: this Idempotency-Key came with another "
    "request; invalid_idempotency_key)",
}


def describe_idempotency(app: FastAPI) -> None:
    """Declare the ``Idempotency-Key`` header, and the 409 and 422 answers it may give, on
    every POST operation of ``app``'s OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        for operations in schema["paths"].values():
            operation = operations.get("post")
            if operation is None:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == IDEMPOTENCY_HEADER for p in parameters):
                parameters.append(dict(_PARAMETER))
            for code, description in _ANSWERS.items():
                operation["responses"].setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ErrorPublic"}
                            }
                        },
                    },
                )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
