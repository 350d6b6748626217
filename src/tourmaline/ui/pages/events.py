"""The console's live channel: server-sent events from the cluster event feed (issue 6, item 7).

A page opens `/ui/events` with what it shows (one station or all; frames, sessions or only
station changes). `station` events name the station that changed, and the page fetches the
fragments showing it again; `transaction` events name the station whose sessions changed;
`frame` events carry the message-log row to insert, already rendered. A
comment line every few seconds keeps proxies from closing the stream and finds departed
browsers; the stream ends when the feed stops (runtime shutdown) and the browser reconnects.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from tourmaline.cluster.events import EventFilter, EventSubscription, LiveEvent
from tourmaline.services.live_events import FRAME_LOGGED, TRANSACTION_UPDATED
from tourmaline.ui.deps import ConsoleDeps
from tourmaline.ui.frames import FrameRow
from tourmaline.ui.render import SECURITY_HEADERS, ConsoleError, render_fragment

__all__ = ["KEEPALIVE_SECONDS", "event_filter", "router", "sse_message"]

router = APIRouter()

KEEPALIVE_SECONDS = 10.0
RETRY_MILLISECONDS = 2000


def event_filter(
    station: str | None,
    frames: bool,
    action: str | None,
    origin: str | None,
    sessions: bool = False,
) -> EventFilter:
    def wanted(event: LiveEvent) -> bool:
        if station is not None and event.station_id != station:
            return False
        if event.kind == TRANSACTION_UPDATED:
            return sessions
        if event.kind != FRAME_LOGGED:
            return True
        if not frames:
            return False
        data = event.data
        return (action is None or data.get("action") == action) and (
            origin is None or data.get("origin") == origin
        )

    return wanted


def sse_message(event: LiveEvent) -> str:
    if event.kind == FRAME_LOGGED:
        name = "frame"
        text = render_fragment("messages/_frame.html", {"frame": FrameRow.of_event(event.data)})
    else:
        name = "transaction" if event.kind == TRANSACTION_UPDATED else "station"
        text = json.dumps({"stationId": event.station_id, "kind": event.kind})
    data = "".join(f"data: {line}\n" for line in text.splitlines() or [""])
    return f"event: {name}\n{data}\n"


async def _stream(subscription: EventSubscription) -> AsyncIterator[str]:
    with subscription:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        while not subscription.closed:
            event = await subscription.next(KEEPALIVE_SECONDS)
            yield ": keep-alive\n\n" if event is None else sse_message(event)


@router.get("/events")
async def event_stream(
    deps: ConsoleDeps,
    station: Annotated[str | None, Query(max_length=48)] = None,
    frames: Annotated[Literal["0", "1"], Query()] = "0",
    action: Annotated[str | None, Query(max_length=64)] = None,
    origin: Annotated[Literal["cs", "csms"] | None, Query()] = None,
    sessions: Annotated[Literal["0", "1"], Query()] = "0",
) -> Response:
    if deps.events is None:
        raise ConsoleError(503, "Unavailable", "Live updates are not available on this instance.")
    wanted = event_filter(station, frames == "1", action or None, origin, sessions == "1")
    headers = {**SECURITY_HEADERS, "x-accel-buffering": "no"}
    # Subscribed before the answer starts: the browser reports the stream open on its headers,
    # and nothing that happens from then on may be missed.
    subscription = deps.events.subscribe(wanted)
    return StreamingResponse(
        _stream(subscription),
        media_type="text/event-stream",
        headers=headers,
        # Also when the browser left before the stream was read at all.
        background=BackgroundTask(subscription.close),
    )
