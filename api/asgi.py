"""Reading a request body once in an ASGI middleware, and handing it on to the app.

The body limit (:mod:`api.limits`) and the idempotency keys (:mod:`api.idempotency`) both read a
request's whole body before the app does; the app then reads it again from :func:`replaying`.
"""

from __future__ import annotations

from starlette.types import Message, Receive


async def read_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The request's whole body, or ``None`` when the client disconnected first; reading stops
    as soon as more than ``limit`` bytes have arrived (the caller sees a body over its limit)."""
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        more = bool(message.get("more_body", False))
        if limit is not None and len(body) > limit:
            break
    return body


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that delivers ``body`` first, then whatever ``receive`` delivers (the
    disconnect)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
