"""What console routes receive: the runtime's services (the REST app's `ApiDeps`), the console
session, and lookups every station page needs.

The console calls services directly, never its own REST API and never the database.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request

from tourmaline.api.deps import STATION_ID_PATTERN, ApiDeps, get_deps
from tourmaline.cluster.events import LiveEvent
from tourmaline.services.live_events import STATION_UPDATED
from tourmaline.services.stations import StationDetailView, StationView
from tourmaline.settings import ListenerSettings
from tourmaline.ui.render import ConsoleError
from tourmaline.ui.session import SESSION_COOKIE, ConsoleSession, SessionSigner, parse_session

__all__ = [
    "ConsoleDeps",
    "StationRow",
    "admitting_listeners",
    "console_session",
    "load_station",
    "publish_change",
    "station_context",
    "station_rows",
    "valid_station_id",
]

_STATION_ID = re.compile(STATION_ID_PATTERN)


def console_session(request: Request) -> ConsoleSession:
    """The session of the console cookie (its signature was checked by the API-key middleware
    where sessions mean authentication); a new one, set on the response, when there is none."""
    session = parse_session(request.cookies.get(SESSION_COOKIE))
    if session is None:
        session, cookie = SessionSigner.issue()
        request.state.new_session_cookie = cookie
    request.state.console_session = session
    return session


ConsoleDeps = Annotated[ApiDeps, Depends(get_deps)]


def valid_station_id(station_id: str) -> bool:
    return _STATION_ID.fullmatch(station_id) is not None


async def load_station(deps: ApiDeps, station_id: str) -> StationDetailView:
    view = await deps.stations.get(station_id) if valid_station_id(station_id) else None
    if view is None:
        raise ConsoleError(404, "Unknown station", f"There is no station {station_id!r}.")
    return view


@dataclass(frozen=True, slots=True)
class StationRow:
    """A station as console pages show it: the record, and whether a socket is open now (the
    cluster registry, which is current, where the stored flag trails by a writer flush)."""

    station: StationView
    online: bool


async def station_rows(deps: ApiDeps, stations: Sequence[StationView]) -> list[StationRow]:
    online = await asyncio.gather(*(deps.connections.is_connected(s.id) for s in stations))
    return [StationRow(station, up) for station, up in zip(stations, online, strict=True)]


def admitting_listeners(deps: ApiDeps, min_security_profile: int) -> list[ListenerSettings]:
    """The configured listeners a station with this minimum security profile may connect to
    (interface.md §2.2: a listener below the station's minimum refuses the handshake)."""
    return [
        listener
        for listener in deps.settings.listeners
        if listener.security_profile >= min_security_profile
    ]


async def station_context(deps: ApiDeps, station_id: str) -> dict[str, Any]:
    """What every station page shows in its header, and the live summary."""
    station = await load_station(deps, station_id)
    (row,) = await station_rows(deps, [station])
    return {
        "title": f"Station {station_id}",
        "section": "stations",
        "station": station,
        "row": row,
        "boot": await deps.boots.get(station_id),
        "connectors": await deps.stations.connectors(station_id),
        "listeners": admitting_listeners(deps, station.min_security_profile),
        "events_url": "/ui/events?" + urlencode({"station": station_id}),
    }


def publish_change(deps: ApiDeps, station_id: str, cause: str) -> None:
    """Tell open console pages, here and on other instances, that a station's record changed."""
    if deps.events is not None:
        deps.events.publish(LiveEvent(STATION_UPDATED, station_id, {"cause": cause}))
