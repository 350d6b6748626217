"""Charging sessions (issue 6, item 5): every station's sessions with filters, a station's
"Sessions" tab with the remote-start form, a session's detail with its events and meter chart,
a Stop button for a running session, and following a remote start to the session it begins.

Sessions are read with services/transaction_query.py (the data API's reader); Stop is
RequestStopTransaction through the command path every console command takes. Lists and a running
session's detail refresh live on `transaction.updated` events (services/live_events.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from starlette.responses import RedirectResponse, Response

from tourmaline.api.deps import ApiDeps
from tourmaline.services.remote_requests import RemoteRequestView
from tourmaline.services.transaction_query import (
    TransactionDetailView,
    TransactionFilter,
    TransactionQuery,
)
from tourmaline.ui.charts import build_chart
from tourmaline.ui.command_forms import COMMANDS, MAX_INT
from tourmaline.ui.deps import ConsoleDeps, station_context, valid_station_id
from tourmaline.ui.forms import Form, read_form
from tourmaline.ui.meter_series import meter_series
from tourmaline.ui.pages.commands import command_state, submit_command
from tourmaline.ui.paging import page_links
from tourmaline.ui.render import ConsoleError, finish, is_htmx, page, path_part
from tourmaline.ui.token_forms import token_url

__all__ = ["router", "session_url"]

router = APIRouter()

PAGE_SIZE = 50
# A remote start is looked for among the station's newest sessions.
REMOTE_START_LOOKBACK = 50
START = COMMANDS["RequestStartTransaction"]
STOP = COMMANDS["RequestStopTransaction"]
FILTER_FIELDS = ("station", "id_token", "active", "from", "to")


def session_url(station_id: str, transaction_id: str) -> str:
    return f"/ui/sessions/{path_part(station_id)}/{path_part(transaction_id)}"


def _query(deps: ApiDeps) -> TransactionQuery:
    if deps.transactions is None:
        raise ConsoleError(503, "Unavailable", "Sessions are not available on this instance.")
    return deps.transactions


@dataclass(frozen=True, slots=True)
class _Listing:
    """The filter form as submitted and the search it asks for (None when it has errors)."""

    form: Form
    where: TransactionFilter | None
    offset: int


def _read_filters(request: Request, station_id: str | None) -> _Listing:
    form = Form(request.query_params.multi_items())
    station = station_id or form.text("station", max_length=48)
    if station is not None and not valid_station_id(station):
        form.fail("station", "Not a station id (1-48 characters, no ':' or '/').")
    id_token = form.text("id_token", max_length=36)
    since, until = form.moment("from"), form.moment("to")
    if since and until and until < since:
        form.fail("to", "The end of the range is before its start.")
    offset = form.integer("offset", minimum=0, maximum=1_000_000) or 0
    if "offset" in form.errors:
        # Not a field of the form: only an edited address gets here.
        raise ConsoleError(400, "Bad request", "This address has invalid parameters.")
    if not form.ok:
        return _Listing(form, None, 0)
    where = TransactionFilter(
        station_id=station,
        id_token=id_token,
        is_active=True if form.flag("active") else None,
        since=since,
        until=until,
        limit=PAGE_SIZE + 1,
        offset=offset,
    )
    return _Listing(form, where, offset)


async def _listing_context(
    request: Request, deps: ApiDeps, station_id: str | None
) -> tuple[dict[str, Any], int]:
    listing = _read_filters(request, station_id)
    found = [] if listing.where is None else await _query(deps).search(listing.where)
    filters = {k: v for k, v in listing.form.values.items() if k in FILTER_FIELDS and v}
    path = request.url.path
    offset = listing.offset
    context = {
        "form": listing.form,
        "sessions": found[:PAGE_SIZE],
        "show_station": station_id is None,
        "filtered": bool(filters),
        "list_url": path + "?" + urlencode({**filters, "offset": offset}),
        **page_links(path, filters, offset, PAGE_SIZE, more=len(found) > PAGE_SIZE),
        "currency": await _currency(deps),
        "live_station": station_id or "",
        "fragment": "sessions/_table.html",
    }
    return context, 200 if listing.where is not None else 400


async def _currency(deps: ApiDeps) -> str | None:
    prices = None if deps.tariffs is None else await deps.tariffs.current_prices()
    return None if prices is None else prices.currency


@router.get("/sessions")
async def session_list(request: Request, deps: ConsoleDeps) -> Response:
    context, status = await _listing_context(request, deps, None)
    context |= {
        "title": "Sessions",
        "section": "sessions",
        "events_url": "/ui/events?sessions=1",
    }
    return page(request, "sessions/list.html", context, status)


@router.get("/stations/{station_id}/sessions")
async def station_sessions(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    context = await station_context(deps, station_id)
    listing, status = await _listing_context(request, deps, station_id)
    context |= listing | {
        "tab": "sessions",
        "state": command_state(START),
        "events_url": "/ui/events?" + urlencode({"station": station_id, "sessions": "1"}),
    }
    return page(request, "sessions/station.html", context, status)


async def _load(deps: ApiDeps, station_id: str, transaction_id: str) -> TransactionDetailView:
    found = None
    if valid_station_id(station_id) and len(transaction_id) <= 36:
        found = await _query(deps).get(station_id, transaction_id)
    if found is None:
        message = f"Station {station_id!r} has no session {transaction_id!r}."
        raise ConsoleError(404, "Unknown session", message)
    return found


async def _remote_requests(deps: ApiDeps, session: TransactionDetailView) -> list[Any]:
    """The remote-control answers linked to this session (RequestStart/StopTransaction, …)."""
    if deps.remote_requests is None:
        return []
    answers: list[RemoteRequestView] = await deps.remote_requests.search(
        station_id=session.station_id, limit=100
    )
    return [answer for answer in answers if answer.transaction_id == session.transaction_id]


async def _detail_context(deps: ApiDeps, station_id: str, transaction_id: str) -> dict[str, Any]:
    session = await _load(deps, station_id, transaction_id)
    series = meter_series(session.meter_values)
    live = {"station": station_id, "sessions": "1"}
    return {
        "title": f"Session {transaction_id}",
        "section": "sessions",
        "session": session,
        "series": series,
        "chart": build_chart(series.energy, series.power, series.derived_power),
        "remote_requests": await _remote_requests(deps, session),
        "currency": await _currency(deps),
        "detail_url": session_url(station_id, transaction_id),
        "token_url": token_url,
        "stop": command_state(STOP, Form([("transaction_id", transaction_id)])),
        "events_url": "/ui/events?" + urlencode(live) if session.is_active else None,
        "fragment": "sessions/_detail.html",
    }


@router.post("/sessions/{station_id}/stop")
async def stop_session(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    """RequestStopTransaction for the session named by the form's `transaction_id`."""
    form = await read_form(request)
    transaction_id = form.values.get("transaction_id", "")
    context = await _detail_context(deps, station_id, transaction_id)
    state, status = await submit_command(deps, station_id, STOP, form)
    context |= {"stop": state, "fragment": "sessions/_stop.html"}
    return page(request, "sessions/detail.html", context, status)


@router.get("/sessions/{station_id}/{transaction_id:path}")
async def session_detail(
    request: Request, deps: ConsoleDeps, station_id: str, transaction_id: str
) -> Response:
    context = await _detail_context(deps, station_id, transaction_id)
    return page(request, "sessions/detail.html", context)


RemoteStartId = Annotated[int, Path(ge=0, le=MAX_INT)]


@router.get("/stations/{station_id}/sessions/remote-start/{remote_start_id}")
async def follow_remote_start(
    request: Request, deps: ConsoleDeps, station_id: str, remote_start_id: RemoteStartId
) -> Response:
    """The session a remote start began, once the station has reported it; until then a page
    that waits for it live."""
    context = await station_context(deps, station_id)
    recent = await _query(deps).search(
        TransactionFilter(station_id=station_id, limit=REMOTE_START_LOOKBACK)
    )
    started = next((s for s in recent if s.remote_start_id == remote_start_id), None)
    if started is not None:
        target = session_url(station_id, started.transaction_id)
        if is_htmx(request):
            # htmx follows this header with a full page load.
            return finish(request, Response(headers={"HX-Redirect": target}))
        return finish(request, RedirectResponse(target, status_code=303))
    context |= {
        "tab": "sessions",
        "remote_start_id": remote_start_id,
        "follow_url": request.url.path,
        "events_url": "/ui/events?" + urlencode({"station": station_id, "sessions": "1"}),
        "fragment": "sessions/_waiting.html",
    }
    return page(request, "sessions/waiting.html", context)
