"""ID tokens (issue 6, item 5): the list with substring search and status and type filters,
creating, editing and deleting a token with its restrictions, through services/tokens.py (the
store behind `/data/evdriver/authorization*`) and the REST API's write models."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from tourmaline.api.deps import ApiDeps
from tourmaline.services.token_models import AuthorizationView
from tourmaline.services.tokens import TokenFilters, TokenStore
from tourmaline.ui.deps import ConsoleDeps
from tourmaline.ui.forms import Form, read_form
from tourmaline.ui.paging import page_links
from tourmaline.ui.render import ConsoleError, finish, page
from tourmaline.ui.token_forms import (
    MESSAGE_FORMATS,
    STATUSES,
    TOKEN_TYPES,
    form_of,
    read_token,
    token_url,
)

__all__ = ["router"]

log = structlog.get_logger(__name__)

router = APIRouter()

PAGE_SIZE = 50
# Confirmations named in the redirect (?done=…), so a link cannot put its own text on the page.
NOTICES = {"added": "ID token added.", "saved": "ID token saved.", "deleted": "ID token deleted."}

TypeQuery = Annotated[str, Query(alias="type", pattern=f"^({'|'.join(TOKEN_TYPES)})$")]
OptionalType = Annotated[str | None, Query(alias="type", pattern=f"^(|{'|'.join(TOKEN_TYPES)})$")]
StatusFilter = Annotated[str | None, Query(pattern=f"^(|{'|'.join(STATUSES)})$")]
IdTokenQuery = Annotated[str, Query(max_length=36)]


def _store(deps: ApiDeps) -> TokenStore:
    if deps.tokens is None:
        raise ConsoleError(503, "Unavailable", "ID tokens are not available on this instance.")
    return deps.tokens


def _choices() -> dict[str, Any]:
    return {
        "types": [(kind, kind) for kind in TOKEN_TYPES],
        "statuses": [(status, status) for status in STATUSES],
        "formats": [(kind, kind) for kind in MESSAGE_FORMATS],
        "token_url": token_url,
        "notice": None,
    }


@router.get("/tokens")
async def token_list(
    request: Request,
    deps: ConsoleDeps,
    q: Annotated[str | None, Query(max_length=36)] = None,
    status: StatusFilter = None,
    token_type: OptionalType = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    where = TokenFilters(
        type=token_type or None, status=status or None, search=q or None, limit=PAGE_SIZE + 1,
        offset=offset,
    )  # fmt: skip
    found = await _store(deps).find(where)
    filters = {"q": q or "", "status": status or "", "type": token_type or ""}
    context = _choices() | {
        "title": "ID tokens",
        "section": "tokens",
        "tokens": found[:PAGE_SIZE],
        "filters": filters,
        "filtered": any(filters.values()),
        **page_links("/ui/tokens", filters, offset, PAGE_SIZE, more=len(found) > PAGE_SIZE),
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "fragment": "tokens/_table.html",
    }
    return page(request, "tokens/list.html", context)


def _form_page(
    request: Request, form: Form, view: AuthorizationView | None, status: int = 200
) -> Response:
    context = _choices() | {
        "title": "Edit ID token" if view else "Add an ID token",
        "section": "tokens",
        "form": form,
        "token": view,
        "notice": NOTICES.get(request.query_params.get("done", "")) if view else None,
    }
    return page(request, "tokens/form.html", context, status)


@router.get("/tokens/new")
async def new_token_form(request: Request, deps: ConsoleDeps) -> Response:
    _store(deps)
    initial = {"type": "ISO14443", "status": "Accepted", "group_type": "Central"}
    return _form_page(request, Form(initial.items()), None)


@router.post("/tokens")
async def create_token(request: Request, deps: ConsoleDeps) -> Response:
    form = await read_form(request)
    store = _store(deps)
    token_type = form.choice("type", TOKEN_TYPES, required=True)
    id_token = form.values.get("id_token", "").strip()
    if token_type is not None and await store.get(id_token, token_type) is not None:
        form.fail("id_token", "An ID token with this value and type exists already.")
    wanted = None if token_type is None else read_token(form, id_token, token_type, None)
    if wanted is None or not form.ok:
        return _form_page(request, form, None, status=400)
    view = await store.put(wanted.token)
    await store.put_restrictions(id_token, view.id_token["type"], wanted.restrictions)
    log.info("console.token_created", type=token_type)
    return _saved(request, id_token, view.id_token["type"], "added")


def _saved(request: Request, id_token: str, token_type: str, done: str) -> Response:
    target = token_url(id_token, token_type) + "&" + urlencode({"done": done})
    return finish(request, RedirectResponse(target, status_code=303))


async def _existing(deps: ApiDeps, id_token: str, token_type: str) -> AuthorizationView:
    view = await _store(deps).get(id_token, token_type)
    if view is None:
        message = f"There is no {token_type} ID token {id_token!r}."
        raise ConsoleError(404, "Unknown ID token", message)
    return view


@router.get("/tokens/edit")
async def edit_token_form(
    request: Request, deps: ConsoleDeps, id_token: IdTokenQuery, token_type: TypeQuery
) -> Response:
    view = await _existing(deps, id_token, token_type)
    return _form_page(request, form_of(view), view)


@router.post("/tokens/edit")
async def update_token(
    request: Request, deps: ConsoleDeps, id_token: IdTokenQuery, token_type: TypeQuery
) -> Response:
    form = await read_form(request)
    view = await _existing(deps, id_token, token_type)
    form.values.update(id_token=view.id_token["idToken"], type=token_type)
    wanted = read_token(form, view.id_token["idToken"], token_type, view)
    if wanted is None:
        return _form_page(request, form, view, status=400)
    store = _store(deps)
    await store.put(wanted.token)
    await store.put_restrictions(view.id_token["idToken"], token_type, wanted.restrictions)
    log.info("console.token_updated", type=token_type)
    return _saved(request, view.id_token["idToken"], token_type, "saved")


@router.get("/tokens/delete")
async def delete_token_form(
    request: Request, deps: ConsoleDeps, id_token: IdTokenQuery, token_type: TypeQuery
) -> Response:
    view = await _existing(deps, id_token, token_type)
    context = {"title": "Delete ID token", "section": "tokens", "token": view}
    return page(request, "tokens/delete.html", context | {"token_url": token_url})


@router.post("/tokens/delete")
async def delete_token(
    request: Request, deps: ConsoleDeps, id_token: IdTokenQuery, token_type: TypeQuery
) -> Response:
    await read_form(request)
    if await _store(deps).delete(id_token, token_type) is None:
        message = f"There is no {token_type} ID token {id_token!r}."
        raise ConsoleError(404, "Unknown ID token", message)
    log.info("console.token_deleted", type=token_type)
    target = "/ui/tokens?" + urlencode({"done": "deleted"})
    return finish(request, RedirectResponse(target, status_code=303))
