"""Limits on what a request may cost: the size and nesting of its body (:class:`BodyLimit`),
and the rate of anonymous requests per client address (:class:`AnonymousRateLimit`).

Public operations (certificate checks, verification, evidence look-up, sign-in ...) need no
credentials, so they are what anyone can flood. Every request that carries no valid
credential (a session token or API key, as a bearer token or the session cookie, that stands
for someone) draws from a token bucket of its client address: ``public_rate_per_minute``
requests a minute, as a burst or spread out. A request beyond it is answered 429
``rate_limited`` with ``Retry-After``, before any work.
Signed-in callers are known and answer for their requests (the relayer has its own quotas)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.asgi import read_body, replaying
from api.deps import AUTHENTICATED, credential_of
from registry.context import RegistryContext
from registry.errors import DaregError

#: Client addresses remembered at most (the oldest idle ones are forgotten first).
_CLIENTS = 65_536


class TokenBuckets:
    """``rate`` tokens a minute per key, up to ``rate`` banked."""

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = Lock()

    def take(self, key: str) -> float:
        """0 if ``key`` may go on now, else the seconds until it may."""
        now = self._clock()
        per_second = self._rate / 60
        with self._lock:
            tokens, since = self._buckets.pop(key, (float(self._rate), now))
            tokens = min(float(self._rate), tokens + (now - since) * per_second)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / per_second
            if wait == 0.0:
                tokens -= 1
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > _CLIENTS:
                self._buckets.popitem(last=False)
        return wait


async def _authenticated(scope: Scope, request: Request) -> bool:
    """Whether the request carries a credential that stands for someone (kept in the request's
    state for :func:`api.deps.current_caller`); a made-up header counts as none."""
    token = credential_of(request)
    if token is None:
        return False
    registry: RegistryContext = request.app.state.registry
    try:
        caller = await run_in_threadpool(registry.auth.authenticate, token)
    except DaregError:
        return False
    scope.setdefault("state", {})[AUTHENTICATED] = (token, caller)
    return True


class AnonymousRateLimit:
    """ASGI middleware: :class:`TokenBuckets` per client address for requests without
    credentials."""

    def __init__(self, app: ASGIApp, rate_per_minute: int) -> None:
        self._app = app
        self._buckets = TokenBuckets(rate_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope)
        if not await _authenticated(scope, request):
            client = request.client.host if request.client else "unknown"
            wait = self._buckets.take(client)
            if wait > 0:
                response: Response = JSONResponse(
                    {
                        "error": {
                            "code": "rate_limited",
                            "message": f"too many requests from {client} without signing in; "
                            f"retry in {math.ceil(wait)} s or sign in",
                        }
                    },
                    status_code=429,
                    headers={"Retry-After": str(math.ceil(wait))},
                )
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether the JSON text ``body`` nests arrays and objects deeper than ``limit``, found by
    one scan of its bytes (brackets inside strings do not count), before any parser recurses."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


class BodyLimit:
    """ASGI middleware: a request body larger than ``max_bytes`` is answered 413
    ``body_too_large`` (by its Content-Length, or once the bytes read pass it), and a JSON body
    nested deeper than ``max_depth`` 400 ``json_too_deep``, before the application parses
    anything. Nothing such a request carried is kept."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int) -> None:
        self._app = app
        self._max_bytes = max_bytes
        self._max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self._app(scope, receive, send)
            return
        request = Request(scope)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            await self._refuse(scope, receive, send, 413, "body_too_large", self._too_large())
            return
        body = await read_body(receive, self._max_bytes)
        if body is None:
            return  # the client left
        if len(body) > self._max_bytes:
            await self._refuse(scope, receive, send, 413, "body_too_large", self._too_large())
            return
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media.endswith("json") and json_depth_exceeds(body, self._max_depth):
            problem = f"the JSON body nests deeper than {self._max_depth} levels"
            await self._refuse(scope, receive, send, 400, "json_too_deep", problem)
            return
        await self._app(scope, replaying(body, receive), send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self._max_bytes} bytes"

    @staticmethod
    async def _refuse(
        scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str
    ) -> None:
        response = JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
        await response(scope, receive, send)
