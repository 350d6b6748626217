"""A station's OCPP message log (issue 6, item 6): newest first, filtered by action and
direction, with new frames added live while the page is open."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tourmaline.ocpp.v201.actions import ALL_ACTIONS
from tourmaline.services.message_log import MessageLogFilter
from tourmaline.ui.deps import ConsoleDeps, station_context
from tourmaline.ui.frames import FrameRow
from tourmaline.ui.render import ConsoleError, page, path_part

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 100
ACTIONS = sorted(ALL_ACTIONS)
ORIGINS = {"cs": "Station → CSMS", "csms": "CSMS → station"}


@router.get("/stations/{station_id}/messages")
async def messages_page(
    request: Request,
    deps: ConsoleDeps,
    station_id: str,
    action: Annotated[str | None, Query(max_length=64)] = None,
    origin: Annotated[Literal["", "cs", "csms"] | None, Query()] = None,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    if deps.message_log is None:
        raise ConsoleError(503, "Unavailable", "The message log is not available here.")
    if action and action not in ALL_ACTIONS:
        raise ConsoleError(400, "Unknown action", f"{action!r} is not an OCPP 2.0.1 action.")
    context = await station_context(deps, station_id)
    where = MessageLogFilter(
        station_id=station_id,
        action=action or None,
        origin=origin or None,
        before=before,
        limit=PAGE_SIZE,
    )
    frames = [FrameRow.of_entry(entry) for entry in await deps.message_log.search(where)]
    filters = {"action": action or "", "origin": origin or ""}
    live = {"station": station_id, "frames": "1", **{k: v for k, v in filters.items() if v}}
    older = frames[-1].entry_id if len(frames) == PAGE_SIZE else None
    base = f"/ui/stations/{path_part(station_id)}/messages?"
    context |= {
        "tab": "messages",
        "frames": frames,
        "filters": filters,
        "actions": ACTIONS,
        "origins": ORIGINS,
        # Only the newest page grows live; an older page stays as it was.
        "events_url": "/ui/events?" + urlencode(live) if before is None else None,
        "live": before is None,
        "older_url": base + urlencode({**filters, "before": older}) if older else None,
        "newest_url": base + urlencode(filters) if before else None,
    }
    return page(request, "messages/list.html", context)
