"""What the route modules share: the usual error responses, paging parameters, certificate
numbers, the mirror's head, and the answer of every ``…/prepare`` endpoint."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, status

from api.deps import need
from api.schemas.common import error_responses
from api.schemas.relay import ForwardRequestPublic, PreparedRequestPublic, RelayPrepare
from registry.auth.service import Caller
from registry.context import RegistryContext
from registry.domain.chain import ContractCall
from registry.domain.numbers import SqlInteger, parse_certificate_number
from registry.errors import SignerNotCallerError
from registry.mirror import indexer_head

ERRORS = error_responses(403, 404, 409, 422, 503)
"""The error responses of the operations that read the chain or send a transaction."""
PAID_ERRORS = error_responses(403, 404, 409, 422, 429, 503)
"""The error responses of the operations whose transaction the operator pays for: also 429
(``relay_quota_exceeded``) when the party's or the global hourly quota is used up."""

Limit = Annotated[int, Query(ge=1, le=500)]
"""The ``limit`` query parameter of a page: at most 500 items."""
Offset = Annotated[SqlInteger, Query()]
"""The ``offset`` query parameter of a page: the items skipped."""

F = TypeVar("F", bound=Callable[..., Any])
"""An endpoint, as a route decorator returns it."""


def created(router: APIRouter, path: str, model: type[Any]) -> Callable[[F], F]:
    """``POST path`` answering 201 with ``model``: a transaction the operator pays for (the
    usual errors, and 429 over a relay quota)."""
    return router.post(
        path, response_model=model, status_code=status.HTTP_201_CREATED, responses=PAID_ERRORS
    )


def certificate_of(registry: RegistryContext, number: str) -> tuple[int, str]:
    """The token id and canonical text of certificate ``number`` (422 if mistyped, 404 if not
    on this registry)."""
    text = parse_certificate_number(number).text
    return registry.rights.token_id_of(text), text


def mirror_head(registry: RegistryContext) -> int | None:
    """The block the SQL mirror has indexed up to (``None`` before its first block)."""
    return indexer_head(registry.engine, registry.manifest.chain_id)


def prepare(
    router: APIRouter, path: str, requires: Callable[..., Caller]
) -> Callable[[Callable[..., ContractCall]], Callable[..., PreparedRequestPublic]]:
    """Decorator: ``POST path``, an action a party signs itself, open to callers who meet the
    requirement ``requires`` (one of :data:`api.deps.REQUIREMENTS`) and only for themselves: the
    signer named in the body must be the signed-in caller (403 ``signer_not_caller``).

    The endpoint only builds the contract call, from its ``body`` (a :class:`RelayPrepare`)
    where it takes one; an endpoint without a ``body`` parameter gets a plain
    :class:`RelayPrepare` body (the signer and the request's lifetime). The answer is the forward
    request that makes the call as ``body.signer``, with what to sign. The endpoint keeps its
    name, signature and docstring (the OpenAPI operation)."""

    def register(endpoint: Callable[..., ContractCall]) -> Callable[..., PreparedRequestPublic]:
        signature = inspect.signature(endpoint)
        takes_body = "body" in signature.parameters

        @wraps(endpoint)
        def answer(
            *, registry: RegistryContext, body: RelayPrepare, caller: Caller, **params: Any
        ) -> PreparedRequestPublic:
            if body.signer.lower() != caller.address.lower():
                raise SignerNotCallerError(
                    f"signed in as {caller.address}: prepare actions for that account, not "
                    f"for {body.signer}"
                )
            if takes_body:
                params["body"] = body
            call = endpoint(registry=registry, **params)
            request = registry.relay.prepare(call, body.signer, body.ttl_seconds)
            return PreparedRequestPublic.build(
                call,
                request=ForwardRequestPublic.of(request),
                typed_data=registry.relay.typed_data(request),
                expires_at=datetime.fromtimestamp(request.deadline, tz=UTC),
            )

        added = [
            inspect.Parameter(
                "caller",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[Caller, need(requires)],
            )
        ]
        if not takes_body:
            # an action whose only input is who signs it: its body is the signer and the
            # request's lifetime (a RelayPrepare), read here rather than by the endpoint
            added.append(
                inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=RelayPrepare)
            )
        answer.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), *added]
        )
        router.post(path, response_model=PreparedRequestPublic, responses=ERRORS)(answer)
        return answer

    return register
