"""Signing in to the console with an API key, and out again (api.auth = "api_key")."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from tourmaline.api.auth import key_matches
from tourmaline.ui.deps import ConsoleDeps
from tourmaline.ui.forms import read_form
from tourmaline.ui.render import finish, page, set_session_cookie
from tourmaline.ui.session import CONSOLE_PREFIX, LOGIN_PATH, SESSION_COOKIE, SessionSigner

__all__ = ["router", "safe_next"]

log = structlog.get_logger(__name__)

router = APIRouter()

HOME = "/ui/stations"


def safe_next(target: str | None) -> str:
    """Only a console path is followed after signing in: never another site."""
    if not target or not target.startswith(CONSOLE_PREFIX + "/") or "//" in target:
        return HOME
    if "\\" in target or target.startswith(LOGIN_PATH):
        return HOME
    return target


def _login_page(request: Request, target: str, message: str | None, status: int) -> Response:
    context = {"title": "Sign in", "next": target, "message": message}
    return page(request, "login.html", context, status=status)


@router.get("/login")
async def login_form(
    request: Request, deps: ConsoleDeps, next_: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    if deps.settings.api.auth != "api_key":
        return finish(request, RedirectResponse(safe_next(next_), status_code=303))
    return _login_page(request, safe_next(next_), None, 200)


@router.post("/login")
async def login(request: Request, deps: ConsoleDeps) -> Response:
    # No session exists before signing in: SameSite and the same-origin check guard this form.
    form = await read_form(request, check_csrf=False)
    target = safe_next(form.values.get("next"))
    keys = [key.get_secret_value() for key in deps.settings.api.api_keys]
    presented = form.values.get("key", "")
    if deps.settings.api.auth != "api_key":
        return finish(request, RedirectResponse(target, status_code=303))
    if not presented or not key_matches(presented, keys):
        log.warning("console sign-in refused")
        return _login_page(request, target, "That API key is not valid.", 401)
    _, cookie = SessionSigner.issue(presented)
    response = RedirectResponse(target, status_code=303)
    request.state.new_session_cookie = None
    set_session_cookie(request, response, cookie)
    log.info("console sign-in")
    return finish(request, response)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await read_form(request)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    request.state.new_session_cookie = None
    response.delete_cookie(SESSION_COOKIE, path=CONSOLE_PREFIX, httponly=True, samesite="strict")
    return finish(request, response)
