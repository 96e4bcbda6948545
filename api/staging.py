"""Nothing a refused request carried is kept: each state-changing request runs in a staging
scope (:func:`registry.db.writes.staging`).

What the request's services write through :func:`~registry.db.writes.write_new` (documents whose
hashes go on chain, a natural person's private identifier) is held back; it is written before a
successful answer (below 400) starts, or as soon as a transaction carrying it is mined (the chain
client's listener), and dropped when the answer is an error. If the write itself fails the answer
is not sent (the server answers 500), so a 2xx never names a document that was not stored.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.db.writes import staging

#: Methods that change nothing (and so stage nothing).
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class StagedWritesMiddleware:
    """Runs each state-changing request in a staging scope, flushed before a successful
    answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _READ_METHODS:
            await self.app(scope, receive, send)
            return
        with staging() as staged:

            async def flushing(message: Message) -> None:
                if message["type"] == "http.response.start":
                    if int(message["status"]) < 400:
                        if len(staged):
                            await anyio.to_thread.run_sync(staged.flush)
                    else:
                        staged.discard()
                await send(message)

            await self.app(scope, receive, flushing)
