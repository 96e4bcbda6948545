"""One chance at the chain per request: the first call that cannot reach the node ends the
request's every later call at once (:func:`registry.chain.client.one_chance_at_the_chain`).

A request asks the node several things (the caller's roles, then the answer, or the checks and
then the transaction): behind a node that stopped answering each would wait out the RPC
timeout. With this middleware the request fails within one timeout (503 ``chain_unreachable``),
and nothing is sent to the node after the request has failed. A pure ASGI middleware, so the
scope's context variable reaches the threadpool that runs sync endpoints (a copy of the
context shares its list).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from registry.chain.client import one_chance_at_the_chain


class OneChanceAtTheChain:
    """Runs each HTTP request inside :func:`one_chance_at_the_chain`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with one_chance_at_the_chain():
            await self.app(scope, receive, send)
