"""Map every error to a JSON body with a stable code: ``{"error": {"code", "message", ...}}``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from registry.errors import AuthenticationError, DaregError


def _body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, **({"details": details} if details else {})}
    }


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DaregError)
    async def _dareg(request: Request, exc: DaregError) -> Response:
        if isinstance(exc, AuthenticationError) and not request.url.path.startswith("/api/"):
            # a page asks for sign-in, and comes back to itself after it
            return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)
        retry_after = exc.details.get("retry_after")
        return JSONResponse(
            _body(exc.public_code, exc.message, **_jsonable(exc.details)),
            status_code=exc.http_status,
            # a quota's refusal says when to come back (RFC 9110 Retry-After, in seconds)
            headers={"Retry-After": str(retry_after)} if isinstance(retry_after, int) else None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(p) for p in err["loc"][1:]) or str(err["loc"][0]),
                "problem": err["msg"],
            }
            for err in exc.errors()
        ]
        message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        # a problem one of the project's own checks found keeps its code (a mistyped address:
        # address_checksum_mismatch), when it is the only kind of problem of the request
        codes = {
            getattr(err.get("ctx", {}).get("error"), "code", "invalid_request")
            for err in exc.errors()
        }
        code = codes.pop() if len(codes) == 1 else "invalid_request"
        return JSONResponse(
            _body(code, message or "invalid request", problems=problems),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(_body(code, str(exc.detail)), status_code=exc.status_code)


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | None | list | dict) else str(v)
        for k, v in details.items()
    }
