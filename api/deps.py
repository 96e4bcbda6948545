"""Request dependencies: the live registry context, the caller, and one requirement per kind of
standing, typed for route signatures.

Authentication (:func:`current_caller`) reads a bearer token or the session cookie. Each
requirement (:func:`require_regulator`, :func:`require_holder` ...) asks the chain, through
:class:`registry.auth.standing.Standing`, whether the caller has the role or standing it names,
and answers 401 without credentials and 403 without standing. A route declares exactly one
(``dependencies=[...]`` or a parameter); :func:`describe_requirements` writes it into the
OpenAPI document as the operation's ``x-dareg-role``, and routes that declare none are public
(and rate-limited per client address by :mod:`api.limits`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.responses import Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from registry.auth.service import Caller
from registry.auth.standing import Role
from registry.context import RegistryContext
from registry.domain.numbers import SqlInteger, Uint256
from registry.errors import (
    AuthenticationError,
    RoleRequiredError,
    ScopeMissingError,
    SignerNotCallerError,
)
from registry.mirror import AsOf, resolve_as_of


def get_context(request: Request) -> RegistryContext:
    context: RegistryContext = request.app.state.registry
    return context


Registry = Annotated[RegistryContext, Depends(get_context)]


# --- who is calling -----------------------------------------------------------------------------

SESSION_COOKIE = "dareg_session"
"""The cookie a web sign-in sets (HttpOnly, SameSite=Strict): the session token."""

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="a session token (``POST /api/v1/auth/sign-in``) or an API key "
    "(``POST /api/v1/api-keys``)",
)
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="the session cookie a web sign-in sets",
)


AUTHENTICATED = "dareg_authenticated"
"""Request-state key of ``(token, caller)`` once the rate limit (:mod:`api.limits`) has
authenticated the request's credential, so it is checked once per request."""


def credential_of(request: Request) -> str | None:
    """The request's session token or API key: a bearer token, else the session cookie."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(SESSION_COOKIE) or None


def current_caller(
    request: Request,
    registry: Registry,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Caller | None:
    """The caller the request's credentials stand for (``None`` without any); 401 for
    credentials that stand for nobody (unknown, expired, revoked)."""
    token = bearer.credentials if bearer is not None else cookie
    if token is None:
        return None
    known: tuple[str, Caller] | None = getattr(request.state, AUTHENTICATED, None)
    caller = known[1] if known and known[0] == token else registry.auth.authenticate(token)
    request.state.caller = caller
    return caller


def signed_in(
    request: Request, caller: Annotated[Caller | None, Depends(current_caller)]
) -> Caller:
    """The signed-in caller, whose credential allows the request's method (401, 403)."""
    if caller is None:
        raise AuthenticationError(
            "sign in first (POST /api/v1/auth/challenge, then /api/v1/auth/sign-in) or send "
            "an API key as a bearer token"
        )
    scope = "read" if request.method in ("GET", "HEAD") else "write"
    if not caller.may(scope):
        raise ScopeMissingError(
            f"API key {caller.credential} lacks the {scope!r} scope", scope=scope
        )
    return caller


# --- what the chain lets it do -------------------------------------------------------------------

#: Every requirement a route may declare, by its dependency: the ``x-dareg-role`` of the
#: operation (see :func:`describe_requirements`).
REQUIREMENTS: dict[Callable[..., Caller], str] = {}

R = TypeVar("R", bound=Callable[..., Caller])


def requirement(role: str) -> Callable[[R], R]:
    """Register a dependency as the requirement ``role`` (its ``x-dareg-role``)."""

    def register(dependency: R) -> R:
        REQUIREMENTS[dependency] = role
        return dependency

    return register


SignedIn = Annotated[Caller, Depends(signed_in)]


def _grant(request: Request, caller: Caller, role: str, allowed: bool, refusal: str) -> Caller:
    """``caller`` if ``allowed``, recorded as acting in ``role``; 403 with ``refusal`` if not."""
    if not allowed:
        raise RoleRequiredError(f"{caller.address} {refusal}", required=role)
    request.state.role = role
    return caller


#: Methods that only read: while the chain cannot be reached, they may be authorised by the
#: roles the chain gave the caller a moment ago (:meth:`Standing.roles`), so reads served from
#: the mirror go on.
_READS = frozenset({"GET", "HEAD"})


def _has(request: Request, registry: RegistryContext, caller: Caller, role: Role) -> bool:
    roles = registry.standing.roles(caller.address, unreachable_ok=request.method in _READS)
    return roles.has(role)


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


@requirement("signed-in")
def require_signed_in(request: Request, caller: SignedIn) -> Caller:
    """Any signed-in account."""
    return _grant(request, caller, "signed-in", True, "")


def _holding(role: Role, refusal: str) -> Callable[..., Caller]:
    """The requirement that the caller holds the on-chain ``role`` (its name the role's)."""

    def require(request: Request, registry: Registry, caller: SignedIn) -> Caller:
        return _grant(request, caller, role.value, _has(request, registry, caller, role), refusal)

    require.__doc__ = f"An account holding the {role.value} role on chain."
    require.__name__ = require.__qualname__ = f"require_{role.name.lower()}"
    return requirement(role.value)(require)


require_regulator = _holding(Role.REGULATOR, "does not hold the regulator role")
require_admin = _holding(Role.ADMIN, "is not the registry's admin")
require_appraiser = _holding(Role.APPRAISER, "is not an accredited appraiser")
require_staff = _holding(Role.REGISTRAR_STAFF, "is no active registrar's staff")


def _staff_of(registry: RegistryContext, caller: Caller, code: int) -> bool:
    return registry.standing.roles(caller.address).registrar_code == code


@requirement("staff-of-application")
def require_staff_of_application(
    request: Request, registry: Registry, caller: SignedIn, reg_id: Uint256
) -> Caller:
    """Staff of the registration agency handling application ``reg_id``."""
    code = registry.standing.registrar_of_application(reg_id)
    allowed = _staff_of(registry, caller, code)
    return _grant(
        request, caller, "staff-of-application", allowed, f"is not staff of registrar {code}"
    )


@requirement("staff-of-objection")
def require_staff_of_objection(
    request: Request, registry: Registry, caller: SignedIn, objection_id: Uint256
) -> Caller:
    """Staff of the registration agency handling the application objected to."""
    code = registry.standing.registrar_of_objection(objection_id)
    allowed = _staff_of(registry, caller, code)
    return _grant(
        request, caller, "staff-of-objection", allowed, f"is not staff of registrar {code}"
    )


@requirement("holder-of-certificate")
def require_holder(request: Request, registry: Registry, caller: SignedIn, number: str) -> Caller:
    """The current holder of certificate ``number``."""
    allowed = _same(registry.standing.holder_of_certificate(number), caller.address)
    return _grant(request, caller, "holder-of-certificate", allowed, f"does not hold {number}")


@requirement("holder-staff-or-regulator-of-application")
def require_privy_to_application(
    request: Request, registry: Registry, caller: SignedIn, reg_id: Uint256
) -> Caller:
    """The applicant or holder of ``reg_id``, staff of its registrar, or a regulator: those who
    see a natural person's identifier in full."""
    standing = registry.standing
    roles = standing.roles(caller.address)
    holder, code = standing.application_parties(reg_id)
    allowed = (
        _same(holder, caller.address) or roles.registrar_code == code or roles.has(Role.REGULATOR)
    )
    return _grant(
        request,
        caller,
        "holder-staff-or-regulator-of-application",
        allowed,
        f"is neither the holder of {reg_id}, staff of its registrar nor a regulator",
    )


@requirement("pledgee-of-pledge")
def require_pledgee(
    request: Request, registry: Registry, caller: SignedIn, pledge_id: Uint256
) -> Caller:
    """The pledgee of pledge ``pledge_id``."""
    allowed = _same(registry.standing.pledgee_of(pledge_id), caller.address)
    return _grant(
        request, caller, "pledgee-of-pledge", allowed, f"is not the pledgee of pledge {pledge_id}"
    )


@requirement("licensee-of-licence")
def require_licensee(
    request: Request, registry: Registry, caller: SignedIn, licence_id: Uint256
) -> Caller:
    """The licensee of licence ``licence_id``."""
    _, licensee = registry.standing.licence_parties(licence_id)
    allowed = _same(licensee, caller.address)
    return _grant(
        request,
        caller,
        "licensee-of-licence",
        allowed,
        f"is not the licensee of licence {licence_id}",
    )


@requirement("party-of-licence")
def require_licence_party(
    request: Request, registry: Registry, caller: SignedIn, licence_id: Uint256
) -> Caller:
    """The licensor or the licensee of licence ``licence_id``."""
    parties = registry.standing.licence_parties(licence_id)
    allowed = any(_same(party, caller.address) for party in parties)
    return _grant(
        request, caller, "party-of-licence", allowed, f"is no party to licence {licence_id}"
    )


@requirement("appraiser-of-valuation")
def require_appraiser_of(
    request: Request, registry: Registry, caller: SignedIn, valuation_id: Uint256
) -> Caller:
    """The appraiser who submitted valuation ``valuation_id``."""
    allowed = _same(registry.standing.appraiser_of(valuation_id), caller.address)
    return _grant(
        request,
        caller,
        "appraiser-of-valuation",
        allowed,
        f"did not submit valuation {valuation_id}",
    )


def acting_for(caller: Caller, account: str, what: str) -> None:
    """403 unless ``account`` (the signer of ``what``) is the signed-in caller itself."""
    if not _same(account, caller.address):
        raise SignerNotCallerError(
            f"signed in as {caller.address}: {what} must be yours, not {account}"
        )


def need(dependency: Callable[..., Caller]) -> Any:
    """The requirement ``dependency`` as a route dependency; its role (``REQUIREMENTS``) goes
    into the operation's OpenAPI ``security`` as the role name the bearer or session needs."""
    return Security(dependency, scopes=[REQUIREMENTS[dependency]])


RegulatorOnly = need(require_regulator)
"""``dependencies=[RegulatorOnly]`` on a router or route that only regulators may use."""
SignedInOnly = need(require_signed_in)
"""``dependencies=[SignedInOnly]`` on a router or route any signed-in account may use."""
AnyCaller = Annotated[Caller, need(require_signed_in)]
"""A route parameter: the signed-in caller (for routes that act on the caller's own behalf)."""


_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorPublic"}


def _error_response(code: int) -> dict[str, Any]:
    return {
        "description": {
            400: "a JSON body nested too deep",
            401: "not signed in",
            403: "no standing",
            413: "a body too large",
            429: "rate limited",
            503: "the chain, which judges the caller's standing, cannot be reached "
            "(chain_unreachable)",
        }[code],
        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
    }


#: Requirements judged without the chain (every other one reads roles or standing from it).
_OFF_CHAIN_REQUIREMENTS = frozenset({"public", "signed-in"})


def describe_requirements(app: FastAPI) -> None:
    """Give every operation of ``app``'s OpenAPI document its ``x-dareg-role``: the role its
    requirement names in the operation's ``security`` (OpenAPI's role names of a
    non-OAuth scheme), or ``public`` for none; and the answers it may give for it: 401 and 403
    where a requirement applies, 429 (the anonymous rate limit) on public operations, 503 where
    the requirement reads the chain."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                roles = {
                    role
                    for entry in operation.get("security", [])
                    for scopes in entry.values()
                    for role in scopes
                }
                if len(roles) > 1:
                    raise TypeError(f"{method} {path} declares several requirements: {roles}")
                role = roles.pop() if roles else "public"
                operation["x-dareg-role"] = role
                for code in (429,) if role == "public" else (401, 403):
                    operation["responses"].setdefault(str(code), _error_response(code))
                if role not in _OFF_CHAIN_REQUIREMENTS:  # the requirement asks the chain
                    operation["responses"].setdefault("503", _error_response(503))
                if "requestBody" in operation:  # the body limits of api.limits
                    for code in (400, 413):
                        operation["responses"].setdefault(str(code), _error_response(code))
                invalid = operation["responses"].get("422", {})
                if "application/json" in invalid.get("content", {}):  # as api.errors answers
                    operation["responses"]["422"] = {
                        "description": "invalid input (`invalid_request` for what validation "
                        "refuses: a number out of range, a missing field ...; or the check's "
                        "own code, e.g. `address_checksum_mismatch`, `malformed_number`)",
                        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
                    }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


AsOfBlock = Annotated[
    SqlInteger | None, Query(description="answer as of this block (not with as_of_time)")
]
AsOfTime = Annotated[
    datetime | None,
    Query(description="answer as of this time, ISO 8601 with offset (not with as_of_block)"),
]


def answer_as_of(
    registry: Registry, as_of_block: AsOfBlock = None, as_of_time: AsOfTime = None
) -> AsOf:
    """The block a regulator's answer is as of (the mirror's head without either parameter)."""
    return resolve_as_of(registry.engine, registry.manifest.chain_id, as_of_block, as_of_time)


AnswerAsOf = Annotated[AsOf, Depends(answer_as_of)]
"""``as_of_block`` / ``as_of_time`` query parameters, resolved (400 for both, or beyond head)."""


def download(body: bytes, media_type: str, filename: str) -> Response:
    """``body`` as a file the browser saves as ``filename``."""
    return Response(
        content=body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
