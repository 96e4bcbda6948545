"""Records every state-changing request in the access log (:mod:`registry.audit.access_log`).

A pure ASGI middleware, so the request runs in the middleware's own context: the list that
:func:`~registry.audit.access_log.collecting_transactions` puts in a context variable is the one
the chain client's listener appends each sent transaction's hash to, also from the threadpool
that runs sync endpoints (each call there runs in a copy of the context, sharing the list).

Every request gets an id: its ``X-Request-ID`` header where that is sane (1 to 128 letters,
digits and ``._:-``), else a new UUID; the response echoes it in ``X-Request-ID``. After the
answer of each request other than GET, HEAD and OPTIONS one row is appended: the time, the
authenticated caller and the role the route required (``request.state.caller`` /
``request.state.role``, set by :mod:`api.deps`), the client's IP address, the request id, the
``Idempotency-Key`` header, the action (``METHOD /route/template``), the outcome (the status,
and the error's ``code`` for an error) and the transactions the request caused.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.audit.access_log import AccessLog, AccessWrite, collecting_transactions
from registry.domain.access import Channel

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: Methods that change nothing, so are not recorded.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Bytes of an error body read for its code (error bodies are small JSON objects).
_ERROR_BODY_LIMIT = 64 * 1024


def request_id_of(headers: Headers) -> str:
    """The client's ``X-Request-ID`` if it is sane, else a new one."""
    given = headers.get(REQUEST_ID_HEADER)
    return given if given is not None and _SANE_REQUEST_ID.match(given) else uuid.uuid4().hex


def _error_code(body: bytes) -> str | None:
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, TypeError, KeyError):
        return None
    return code if isinstance(code, str) else None


def route_template(scope: Scope) -> str:
    """The matched route's template with the prefixes of the routers it is included in
    (``/api/v1/certificates/{number}/transfers/prepare``); the raw path where no route matched.

    The route knows its own router's prefix but not the outer ones (FastAPI keeps included
    routers nested): those are the raw path's segments before the template's."""
    path = str(scope.get("path", ""))
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str) or not template:
        return path
    segments = path.split("/")
    outer = len(segments) - template.count("/")
    return ("/".join(segments[:outer]) if outer > 0 else "") + template


def _action(scope: Scope) -> str:
    return f"{scope['method']} {route_template(scope)}"


class AccessLogMiddleware:
    """Appends one row to ``log`` per state-changing request (and sets ``X-Request-ID``)."""

    def __init__(self, app: ASGIApp, log: AccessLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = request_id_of(headers)
        recorded = scope["method"] not in READ_METHODS
        answer: dict[str, Any] = {"status": 500, "body": b""}

        async def echoing(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            elif (
                message["type"] == "http.response.body"
                and answer["status"] >= 400
                and len(answer["body"]) < _ERROR_BODY_LIMIT
            ):
                answer["body"] += message.get("body", b"")
            await send(message)

        if not recorded:
            await self.app(scope, receive, echoing)
            return
        scope.setdefault("state", {})  # where the dependencies leave caller and role
        with collecting_transactions() as hashes:
            try:
                await self.app(scope, receive, echoing)
            except Exception:
                await self._record(scope, headers, request_id, 500, "internal_error", hashes)
                raise
        status = answer["status"]
        code = _error_code(answer["body"]) if status >= 400 else None
        await self._record(scope, headers, request_id, status, code, hashes)

    async def _record(
        self,
        scope: Scope,
        headers: Headers,
        request_id: str,
        status: int,
        code: str | None,
        hashes: list[str],
    ) -> None:
        state = scope.get("state") or {}
        caller = state.get("caller")
        role = state.get("role")
        client = scope.get("client")
        entry = AccessWrite(
            channel=Channel.API.value,
            client=str(client[0]) if client else "unknown",
            request_id=request_id,
            action=_action(scope),
            outcome=f"{status} {code}" if code else str(status),
            caller=getattr(caller, "address", None),
            role=str(role) if role is not None else None,
            via=getattr(caller, "via", None),
            idempotency_key=headers.get(IDEMPOTENCY_HEADER),
            tx_hashes=tuple(hashes),
        )
        try:
            await anyio.to_thread.run_sync(self.log.append, entry)
        except Exception:  # the answer is out; a lost row is logged, never hidden
            logger.exception("the access log could not record %s %s", entry.action, request_id)
