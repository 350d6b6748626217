"""Turn every failure into the interface.md §0 error body.

FastAPI's own answers (422 validation errors, Starlette's plain-text 404/405, the bare 500) never
reach a client: strict validation is a 400 `validation_failed` with one entry per failing path,
and an unexpected exception is a generic 500 whose traceback goes only to the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tourmaline.api.errors import (
    ApiError,
    InternalError,
    MalformedJson,
    UnsupportedMediaType,
    ValidationFailed,
    error_body,
)

__all__ = [
    "CatchAllMiddleware",
    "failures_from_errors",
    "install_exception_handlers",
    "validation_error",
]

log = structlog.get_logger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "route_not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _path(location: Iterable[Any]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def failures_from_errors(
    errors: Iterable[Mapping[str, Any]], prefix: tuple[str, ...] = ()
) -> list[dict[str, str]]:
    """One `{path, message, type}` per failing location; input values are left out (secrets)."""
    return [
        {
            "path": _path((*prefix, *error.get("loc", ()))),
            "message": str(error.get("msg", "invalid value")),
            "type": str(error.get("type", "value_error")),
        }
        for error in errors
    ]


def validation_error(errors: Iterable[Mapping[str, Any]]) -> ApiError:
    """A malformed JSON body is its own 400; anything else is `validation_failed`."""
    listed = list(errors)
    if any(error.get("type") == "json_invalid" for error in listed):
        return MalformedJson()
    return ValidationFailed(failures_from_errors(listed))


def _render(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers)


async def _on_api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _render(exc)


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if _body_failed(errors) and _has_non_json_body(request):
        return _render(UnsupportedMediaType())
    return _render(validation_error(errors))


def _body_failed(errors: Iterable[Mapping[str, Any]]) -> bool:
    return any(tuple(error.get("loc", ()))[:1] == ("body",) for error in errors)


def _has_non_json_body(request: Request) -> bool:
    # FastAPI reads a body with another content type as absent; say why instead.
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    is_json = content_type == "application/json" or content_type.endswith("+json")
    return has_body and not is_json


async def _on_pydantic_validation(_: Request, exc: Exception) -> Response:
    # A DTO built inside a route from client input (strict body re-validation).
    assert isinstance(exc, ValidationError)
    return _render(ValidationFailed(failures_from_errors(exc.errors(), ("body",))))


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 404 and exc.detail == "Not Found":
        message = f"Route {request.method}:{request.url.path} not found"
    elif status == 405:
        message = f"Method {request.method} not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    code = _HTTP_CODES.get(status, "http_error")
    headers = dict(exc.headers or {})
    if status == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return JSONResponse(error_body(status, code, message), status_code=status, headers=headers)


def _allowed_methods(request: Request) -> str:
    # Starlette names only the first route that matched the path; a path served by several
    # routes (GET, PUT and DELETE of one entity) must list all of them (RFC 9110 §15.5.6).
    # The OpenAPI document is the one flat list of documented paths and their methods.
    app = request.app
    if not isinstance(app, FastAPI):
        return ""
    operations = app.openapi().get("paths", {}).get(request.url.path, {})
    return ", ".join(sorted(method.upper() for method in operations))


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(ValidationError, _on_pydantic_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)


class CatchAllMiddleware:
    """Unexpected exceptions become a generic 500 body; the traceback is logged, never sent.

    Starlette's own handler for `Exception` re-raises after answering, which would make the
    server log the error twice and break in-process test clients, hence a middleware.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("api.unhandled_error", method=scope.get("method"), path=scope.get("path"))
            if started:
                raise
            await _render(InternalError())(scope, receive, send)
