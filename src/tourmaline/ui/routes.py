"""The operator web console at /ui (issue 6): server-rendered pages with htmx, live over
server-sent events, served by the REST app's process (design.md §2 `ui/`).

`install_console(app)` adds the page routers, the vendored static assets and the console's
error page to the FastAPI app built by `api/app.py`. Every page calls the services in `ApiDeps`
directly; protection is the REST API's (api/auth.py, ui/session.py).
"""

from __future__ import annotations

import inspect
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from tourmaline.ui.deps import console_session
from tourmaline.ui.pages import (
    boot,
    commands,
    device_model,
    events,
    login,
    messages,
    sessions,
    stations,
    tokens,
)
from tourmaline.ui.render import ConsoleError, error_response
from tourmaline.ui.session import is_console_path

__all__ = ["STATIC_DIR", "build_router", "install_console"]

STATIC_DIR = Path(__file__).parent / "static"


def build_router() -> APIRouter:
    router = APIRouter(
        prefix="/ui", include_in_schema=False, dependencies=[Depends(console_session)]
    )
    router.add_api_route("", _home, methods=["GET"])
    router.add_api_route("/", _home, methods=["GET"])
    pages = (login, stations, boot, device_model, commands, messages, events, sessions, tokens)
    for module in pages:
        router.include_router(module.router)
    return router


async def _home() -> Response:
    return RedirectResponse("/ui/stations", status_code=303)


async def _on_console_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ConsoleError)
    return error_response(request, error)


@cache
def _console_routes() -> tuple[BaseRoute, ...]:
    return tuple(build_router().routes)


def install_console(app: FastAPI) -> None:
    """Call after the REST app's exception handlers are installed: a bad query string on a
    console page gets the console's error page, elsewhere the REST API's JSON body."""
    # The route objects themselves, built once per process: FastAPI prepares an included
    # router again for every app on its first request, and every runtime and test builds one.
    app.router.routes.extend(_console_routes())
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    app.add_exception_handler(ConsoleError, _on_console_error)
    rest_handler = app.exception_handlers.get(RequestValidationError)

    async def on_invalid_query(request: Request, error: Exception) -> Response:
        if rest_handler is None or is_console_path(request.url.path):
            invalid = ConsoleError(400, "Bad request", "This address has invalid parameters.")
            return error_response(request, invalid)
        answer = rest_handler(request, error)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(RequestValidationError, on_invalid_query)
