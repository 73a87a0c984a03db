"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from warnline.errors import (
    AuthError,
    ForbiddenError,
    InputError,
    NotFoundError,
    SignInDelayError,
)

PROBLEM_BASE = "https://warnline.invalid/problems/"
MEDIA_TYPE = "application/problem+json"


def problem(
    status: int, slug: str, title: str, detail: str, instance: str, **extra: Any
) -> JSONResponse:
    body = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


RATE_RETRY_S = 1  # a partner told to wait (rate, journal share) may retry this soon


async def input_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    resp = problem(
        exc.status,
        exc.type_slug,
        exc.title,
        str(exc),
        request.url.path,
        field=exc.field,
        reason=exc.reason,
    )
    if exc.status == 429:  # back-pressure: say when, so a partner's client need not guess
        resp.headers["Retry-After"] = str(RATE_RETRY_S)
    return resp


async def auth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    if isinstance(exc, ForbiddenError):
        return problem(403, "forbidden", "Forbidden", str(exc), request.url.path)
    if isinstance(exc, SignInDelayError):
        wait = max(1, math.ceil(exc.retry_after_s))
        resp = problem(
            429, "sign-in-delay", "Too many failed sign-ins", str(exc), request.url.path,
            retry_after_s=wait,
        )  # fmt: skip
        resp.headers["Retry-After"] = str(wait)
        return resp
    return problem(401, "unauthorized", "Not signed in", str(exc), request.url.path)


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    return problem(404, "not-found", "Not found", str(exc), request.url.path)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    err = exc.errors()[0] if exc.errors() else {"loc": ("body",), "msg": "invalid"}
    field = ".".join(str(p) for p in err["loc"])
    return problem(
        422,
        "schema",
        "Malformed request",
        f"{field}: {err['msg']}",
        request.url.path,
        field=field,
        reason=err["msg"],
    )


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, "http", str(exc.detail), str(exc.detail), request.url.path)


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client closed the connection while sending its body (a partner's system
    stopping mid-request): nothing was journaled and nobody reads the answer, so no
    traceback in the node's log either."""
    return Response(status_code=400)


HANDLERS: dict[Any, Any] = {
    ClientDisconnect: client_gone,
    InputError: input_error,
    AuthError: auth_error,
    NotFoundError: not_found,
    RequestValidationError: validation_error,
    HTTPException: http_error,
}
