"""Rendering console pages: the Jinja2 environment, its filters, and the response headers every
page gets (session cookie, content security policy, no caching of operator data).

Templates are autoescaped; the pages load only same-origin assets (ui/static), so the policy can
forbid inline scripts and any other origin (no CDN, design.md §11).
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from tourmaline.ui.session import SESSION_COOKIE, SESSION_LIFETIME, ConsoleSession

__all__ = [
    "SECURITY_HEADERS",
    "ConsoleError",
    "finish",
    "is_htmx",
    "page",
    "path_part",
    "render_fragment",
    "templates",
]

TEMPLATE_DIR = Path(__file__).parent / "templates"

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


class ConsoleError(Exception):
    """Answered with the error page (or its fragment for htmx) instead of a JSON body."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def path_part(value: object) -> str:
    return quote(str(value), safe="")


def _when(moment: datetime | str | None) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        try:
            return _pretty(json.loads(value)) if value[:1] in "[{" else value
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _fixed(value: float | None, decimals: int = 3) -> str:
    return "—" if value is None else f"{value:.{decimals}f}"


@cache
def templates() -> Jinja2Templates:
    engine = Jinja2Templates(directory=TEMPLATE_DIR)
    engine.env.filters.update(path=path_part, when=_when, iso=_iso, pretty=_pretty)
    engine.env.filters.update(duration=_duration, fixed=_fixed)
    engine.env.trim_blocks = True
    engine.env.lstrip_blocks = True
    return engine


def is_htmx(request: Request) -> bool:
    """A request made by htmx for a fragment (not a boosted full-page navigation)."""
    return request.headers.get("hx-request") == "true" and "hx-boosted" not in request.headers


def session_of(request: Request) -> ConsoleSession:
    session = getattr(request.state, "console_session", None)
    assert isinstance(session, ConsoleSession), "the console_session dependency did not run"
    return session


def finish(request: Request, response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    cookie = getattr(request.state, "new_session_cookie", None)
    if cookie is not None:
        set_session_cookie(request, response, cookie)
    return response


def set_session_cookie(request: Request, response: Response, cookie: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_LIFETIME,
        path="/ui",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A whole page, or with `fragment` in the context and an htmx request, that template."""
    fragment = context.get("fragment")
    template = fragment if fragment and is_htmx(request) else name
    settings = request.app.state.deps.settings
    full = {
        "csrf": session_of(request).csrf_token,
        "signed_in": settings.api.auth == "api_key",
        **context,
    }
    response = templates().TemplateResponse(request, template, full, status_code=status)
    return finish(request, response)


def render_fragment(name: str, context: dict[str, Any]) -> str:
    """A template rendered to text outside a request (event-stream rows)."""
    return templates().get_template(name).render(context)


def error_response(request: Request, error: ConsoleError) -> Response:
    if not hasattr(request.state, "console_session"):
        text = html.escape(f"{error.title}: {error.message}")
        return finish(request, HTMLResponse(text, status_code=error.status))
    context = {"title": error.title, "message": error.message, "fragment": "_error.html"}
    return page(request, "error.html", context, status=error.status)
