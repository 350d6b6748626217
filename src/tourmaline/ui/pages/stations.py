"""Stations: the live list with search and filters, creating, editing and deleting a station,
and a station's overview with its EVSEs and connectors (issue 6, item 1). Editing can also set
the password on the connected charger (OCPP A01, services/password_push.py), as
`POST /data/configuration/password` does by default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import structlog
from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tourmaline.api.deps import ApiDeps
from tourmaline.services.credentials import CredentialService, generate_password, validate_password
from tourmaline.services.password_push import PasswordPush, push_password
from tourmaline.services.station_setup import delete_station, provision_station
from tourmaline.services.stations import NEVER_BOOTED, StationFilter, StationWrite
from tourmaline.ui.deps import (
    ConsoleDeps,
    load_station,
    publish_change,
    station_context,
    station_rows,
    valid_station_id,
)
from tourmaline.ui.forms import Form, read_form
from tourmaline.ui.paging import page_links
from tourmaline.ui.render import ConsoleError, finish, page

__all__ = ["router"]

log = structlog.get_logger(__name__)

router = APIRouter()

PAGE_SIZE = 50
PROFILES = {
    0: "0 - no authentication (ws://)",
    1: "1 - HTTP Basic auth (ws://)",
    2: "2 - TLS with Basic auth (wss://)",
    3: "3 - TLS with a client certificate (wss://)",
}
PASSWORD_MODES = ("keep", "set", "generate")
# Confirmations named in the redirect (?done=…), so a link cannot put its own text on the page.
NOTICES = {
    "added": "Station {} added.",
    "saved": "Station {} saved.",
    "pushed": "Station {} saved. The charger accepted the new password; it is stored.",
    "pushed_reboot": "Station {} saved. The charger accepted the new password and applies it "
    "after a reboot; the previous password stays valid until the charger connects with the new "
    "one.",
}
# The station's answer when it did not take the password: the page's status, as the REST
# password endpoint answers (interface.md §6).
PUSH_STATUS = {
    "NotConnected": 409,
    "NotSent": 409,
    "Rejected": 502,
    "CallError": 502,
    "Timeout": 504,
}
NOT_SAVED = "Nothing was saved."
REGISTRATION_STATUSES = ("Accepted", "Pending", "Rejected")

OnlineQuery = Annotated[str | None, Query(pattern="^(|online|offline)$")]
StatusQuery = Annotated[str | None, Query(pattern=f"^(|{'|'.join(REGISTRATION_STATUSES)}|none)$")]


@router.get("/stations")
async def station_list(
    request: Request,
    deps: ConsoleDeps,
    q: Annotated[str | None, Query(max_length=100)] = None,
    online: OnlineQuery = None,
    status: StatusQuery = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    where = StationFilter(
        text=q or None,
        is_online={"online": True, "offline": False}.get(online or ""),
        registration_status=status or None,
        limit=PAGE_SIZE + 1,
        offset=offset,
    )
    found = await deps.stations.search(where)
    filters = {"q": q or "", "online": online or "", "status": status or ""}
    context = {
        "title": "Stations",
        "section": "stations",
        "events_url": "/ui/events",
        "rows": await station_rows(deps, found[:PAGE_SIZE]),
        "filters": filters,
        "filtered": any(filters.values()),
        "list_url": "/ui/stations?" + urlencode({**filters, "offset": offset}),
        **page_links("/ui/stations", filters, offset, PAGE_SIZE, more=len(found) > PAGE_SIZE),
        "statuses": REGISTRATION_STATUSES,
        "never_booted": NEVER_BOOTED,
        "notice": _deleted_notice(request.query_params.get("deleted")),
        "fragment": "stations/_table.html",
    }
    return page(request, "stations/list.html", context)


def _deleted_notice(station_id: str | None) -> str | None:
    if station_id is None or not valid_station_id(station_id):
        return None
    return f"Station {station_id} deleted."


@router.get("/stations/new")
async def new_station_form(request: Request, deps: ConsoleDeps) -> Response:
    return _station_form(request, deps, Form([]), status=200)


def _station_form(request: Request, deps: ApiDeps, form: Form, status: int) -> Response:
    context = {
        "title": "Add a station",
        "section": "stations",
        "form": form,
        "profiles": PROFILES,
        "listeners": deps.settings.listeners,
    }
    return page(request, "stations/new.html", context, status=status)


@dataclass(frozen=True, slots=True)
class _StationInput:
    min_security_profile: int
    password: str | None
    generate: bool


def _read_station(form: Form, *, creating: bool) -> _StationInput | None:
    profile = form.integer("min_security_profile", required=True, minimum=0, maximum=3)
    mode = form.choice("password_mode", PASSWORD_MODES) or "keep"
    password = form.text("password", max_length=100) if mode == "set" else None
    if mode == "set" and password is None:
        form.fail("password", "Enter the password, or choose another option.")
    if not form.ok or profile is None:
        return None
    # Profiles 1 and 2 authenticate with HTTP Basic; profile 3 with a client certificate.
    if creating and profile in (1, 2) and mode == "keep":
        form.fail("password_mode", "A station on profile 1 or 2 needs a password.")
        return None
    return _StationInput(profile, password, mode == "generate")


@router.post("/stations")
async def create_station(request: Request, deps: ConsoleDeps) -> Response:
    form = await read_form(request)
    station_id = form.text("station_id", required=True, max_length=48)
    if station_id is not None and not valid_station_id(station_id):
        form.fail("station_id", "1-48 characters, without ':', '/' or control characters.")
    elif station_id is not None and await deps.stations.exists(station_id):
        form.fail("station_id", "A station with this id exists already.")
    wanted = _read_station(form, creating=True)
    if wanted is None or station_id is None:
        return _station_form(request, deps, form, status=400)
    shown = await _save_station(deps, form, station_id, wanted)
    if not form.ok:
        return _station_form(request, deps, form, status=400)
    log.info("console.station_created", station_id=station_id)
    publish_change(deps, station_id, "created")
    return await _saved(request, deps, station_id, shown, "added")


async def _save_station(
    deps: ApiDeps, form: Form, station_id: str, wanted: _StationInput
) -> str | None:
    credentials = _credentials(deps)
    write = StationWrite(min_security_profile=wanted.min_security_profile)
    try:
        return await provision_station(
            deps.stations,
            credentials,
            station_id,
            write,
            password=wanted.password,
            generate=wanted.generate,
        )
    except ValueError as refusal:
        form.fail("password", str(refusal).capitalize() + ".")
        return None


def _credentials(deps: ApiDeps) -> CredentialService:
    if deps.credentials is None:
        raise ConsoleError(503, "Unavailable", "Station passwords cannot be set on this instance.")
    return deps.credentials


async def _saved(
    request: Request, deps: ApiDeps, station_id: str, shown: str | None, done: str
) -> Response:
    if shown is None:
        target = f"/ui/stations/{quote(station_id, safe='')}?" + urlencode({"done": done})
        return finish(request, RedirectResponse(target, status_code=303))
    # A generated password is shown on this one answer only, never stored in clear.
    context = {"title": "Password", "section": "stations", "station_id": station_id}
    return page(request, "stations/password.html", {**context, "password": shown})


@router.get("/stations/{station_id}")
async def station_page(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    context = await _overview(request, deps, station_id, Form([]))
    return page(request, "stations/detail.html", context)


async def _overview(request: Request, deps: ApiDeps, station_id: str, form: Form) -> dict[str, Any]:
    context = await station_context(deps, station_id)
    station = context["station"]
    if not form.values:
        form.values["min_security_profile"] = str(station.min_security_profile)
        # Setting the password on the charger too is the REST endpoint's default
        # (setOnCharger false, interface.md §6).
        form.values["set_on_charger"] = "on"
    return {
        **context,
        "tab": "overview",
        "form": form,
        "profiles": PROFILES,
        "notice": NOTICES.get(request.query_params.get("done", ""), "").format(station_id),
        "has_password": await _has_password(deps, station_id),
    }


async def _has_password(deps: ApiDeps, station_id: str) -> bool | None:
    return None if deps.credentials is None else await deps.credentials.has_password(station_id)


@router.get("/stations/{station_id}/row")
async def station_row(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    station = await deps.stations.get(station_id) if valid_station_id(station_id) else None
    if station is None:
        # Deleted meanwhile: the empty answer removes the row.
        return finish(request, HTMLResponse(""))
    (row,) = await station_rows(deps, [station])
    return page(request, "stations/_row.html", {"row": row})


@router.get("/stations/{station_id}/live")
async def station_live(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    context = await station_context(deps, station_id)
    return page(request, "stations/_live.html", context)


@router.get("/stations/{station_id}/badge")
async def station_badge(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    context = await station_context(deps, station_id)
    return page(request, "stations/_badge.html", context)


@router.post("/stations/{station_id}")
async def update_station(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    form = await read_form(request)
    await load_station(deps, station_id)
    wanted = _read_station(form, creating=False)
    if wanted is not None and form.flag("set_on_charger") and (wanted.password or wanted.generate):
        return await _push_and_save(request, deps, station_id, form, wanted)
    shown = None if wanted is None else await _save_station(deps, form, station_id, wanted)
    if wanted is None or not form.ok:
        context = await _overview(request, deps, station_id, form)
        return page(request, "stations/detail.html", context, status=400)
    log.info("console.station_updated", station_id=station_id)
    publish_change(deps, station_id, "updated")
    return await _saved(request, deps, station_id, shown, "saved")


async def _push_and_save(
    request: Request, deps: ApiDeps, station_id: str, form: Form, wanted: _StationInput
) -> Response:
    """OCPP A01 first; the rest of the form is saved only once the charger took the password,
    which its SetVariables result route has then stored. A generated password is not shown:
    the charger has it."""
    password = wanted.password or generate_password()
    try:
        validate_password(password)
    except ValueError as refusal:
        form.fail("password", str(refusal).capitalize() + ".")
        return await _edit_again(request, deps, station_id, form, 400)
    timeout = deps.settings.ocpp.call_timeout
    push = await push_password(
        deps.commands, deps.connections, station_id, password, timeout=timeout
    )
    if not push.stored:
        form.fail("set_on_charger", _refusal_text(push, timeout))
        return await _edit_again(request, deps, station_id, form, PUSH_STATUS[push.outcome])
    await _save_station(
        deps, form, station_id, _StationInput(wanted.min_security_profile, None, False)
    )
    log.info("console.station_updated", station_id=station_id, password_pushed=push.outcome)
    publish_change(deps, station_id, "updated")
    done = "pushed" if push.outcome == "Accepted" else "pushed_reboot"
    target = f"/ui/stations/{quote(station_id, safe='')}?" + urlencode({"done": done})
    return finish(request, RedirectResponse(target, status_code=303))


def _refusal_text(push: PasswordPush, timeout: float) -> str:
    detail = push.detail if isinstance(push.detail, dict) else {}
    if push.outcome == "NotConnected":
        text = (
            "The charger is not connected, so the password was not sent. "
            'Untick "Also set it on the charger" to only store it.'
        )
    elif push.outcome == "Timeout":
        text = f"The charger did not answer within {timeout:g} s."
    elif push.outcome == "Rejected":
        text = f"The charger rejected the password ({detail.get('attributeStatus')})."
    elif push.outcome == "CallError":
        error = f"{detail.get('errorCode')} {detail.get('errorDescription') or ''}".strip()
        text = f"The charger answered CALLERROR {error}."
    else:
        text = f"The password was not sent: {push.detail}."
    return f"{text} {NOT_SAVED}"


async def _edit_again(
    request: Request, deps: ApiDeps, station_id: str, form: Form, status: int
) -> Response:
    context = await _overview(request, deps, station_id, form)
    return page(request, "stations/detail.html", context, status=status)


@router.get("/stations/{station_id}/delete")
async def delete_form(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    context = {**await station_context(deps, station_id), "tab": "overview"}
    return page(request, "stations/delete.html", context)


@router.post("/stations/{station_id}/delete")
async def delete(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    await read_form(request)
    deleted = await delete_station(deps.stations, deps.connections, station_id)
    if deleted is None:
        raise ConsoleError(404, "Unknown station", f"There is no station {station_id!r}.")
    log.info("console.station_deleted", station_id=station_id)
    publish_change(deps, station_id, "deleted")
    target = "/ui/stations?" + urlencode({"deleted": station_id})
    return finish(request, RedirectResponse(target, status_code=303))
