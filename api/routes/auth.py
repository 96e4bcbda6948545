"""Sign-In with Ethereum and API keys.

``POST /auth/challenge`` gives an account the EIP-4361 message to sign (single-use nonce, this
registry's domain and chain id); ``POST /auth/sign-in`` takes it back with the signature and
opens a session: a bearer token, also set as an HttpOnly, SameSite=Strict cookie for the web.
The key signs where its owner is (wallet, browser, CLI); only the signature reaches the
service. API keys for machine clients are created, listed and revoked by their owner while
signed in with a session.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from api.deps import SESSION_COOKIE, AnyCaller, Registry
from api.schemas.auth import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    CallerPublic,
    ChallengeCreate,
    ChallengePublic,
    SessionPublic,
    SignInCreate,
)
from api.schemas.common import error_responses
from registry.auth.service import Caller
from registry.errors import ForbiddenError

router = APIRouter(tags=["sign-in"])

_ERRORS = error_responses(401, 422, 429)


@router.post("/auth/challenge", response_model=ChallengePublic, responses=_ERRORS)
def challenge(body: ChallengeCreate, registry: Registry) -> ChallengePublic:
    """The Sign-In with Ethereum message ``address`` signs to sign in (valid for a few
    minutes, once)."""
    issued = registry.auth.challenge(body.address)
    return ChallengePublic.build(
        issued, domain=registry.auth.domain, chain_id=registry.manifest.chain_id
    )


@router.post("/auth/sign-in", response_model=SessionPublic, responses=_ERRORS)
def sign_in(
    body: SignInCreate, registry: Registry, request: Request, response: Response
) -> SessionPublic:
    """Open a session for the account that signed the challenge. Refused: another domain or
    chain, an expired message, a signature by someone else, a nonce used already."""
    session = registry.auth.sign_in(body.message, body.signature)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=registry.settings.session_ttl,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return SessionPublic(
        token=session.token, address=session.caller.address, expires_at=session.caller.expires_at
    )


@router.post(
    "/auth/sign-out", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401)
)
def sign_out(caller: AnyCaller, registry: Registry, response: Response) -> Response:
    """End this session (or revoke the API key the request carries)."""
    registry.auth.sign_out(caller)
    response.status_code = status.HTTP_204_NO_CONTENT
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/auth/session", response_model=CallerPublic, responses=error_responses(401, 503))
def session(caller: AnyCaller, registry: Registry) -> CallerPublic:
    """Who this request is signed in as, with its on-chain roles now."""
    roles = registry.standing.roles(caller.address)
    return CallerPublic(
        address=caller.address,
        via=caller.via,
        scopes=sorted(caller.scopes),
        expires_at=caller.expires_at,
        roles=sorted(roles.roles),
        registrar_code=roles.registrar_code,
    )


def _with_session(caller: Caller) -> Caller:
    if caller.via != "session":
        raise ForbiddenError("API keys are managed while signed in with a session, not a key")
    return caller


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 422),
)
def create_api_key(body: ApiKeyCreate, caller: AnyCaller, registry: Registry) -> ApiKeyCreated:
    """A new API key of the signed-in account, bound to it and to ``scopes``; the key is in
    this answer only."""
    owner = _with_session(caller).address
    created = registry.auth.create_key(owner, body.name, frozenset(body.scopes), body.lifetime_days)
    return ApiKeyCreated.build(created.record, key=created.key)


@router.get("/api-keys", response_model=list[ApiKeyPublic], responses=error_responses(401, 403))
def list_api_keys(caller: AnyCaller, registry: Registry) -> list[ApiKeyPublic]:
    """The signed-in account's API keys, newest first (revoked and expired ones included)."""
    owner = _with_session(caller).address
    return [ApiKeyPublic.build(record) for record in registry.auth.keys(owner)]


@router.delete(
    "/api-keys/{key_id}", response_model=ApiKeyPublic, responses=error_responses(401, 403, 404)
)
def revoke_api_key(key_id: str, caller: AnyCaller, registry: Registry) -> ApiKeyPublic:
    """Revoke one of the signed-in account's API keys, at once and for good."""
    owner = _with_session(caller).address
    return ApiKeyPublic.build(registry.auth.revoke_key(owner, key_id))
