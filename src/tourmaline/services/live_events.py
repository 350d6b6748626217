"""What the operator console sees live: connection events and frames turned into domain events
on the cluster event feed (cluster/events.py).

`LiveEventSource` listens on the connection manager's `events` hook beside the webhook
subscriptions (`ConnectionEventsFanout` gives that hook several listeners). Everything here runs
on the OCPP hot path, so it returns at once and costs one attribute check while no console is
open anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC

import structlog

from tourmaline.cluster.events import EventFeed, LiveEvent
from tourmaline.ocpp.framelog import FrameRecord
from tourmaline.services.connections import ConnectionEvents

__all__ = [
    "FRAME_LOGGED",
    "LIVE_FRAME_TEXT_LIMIT",
    "SESSION_ANSWERS",
    "STATE_ANSWERS",
    "STATION_CLOSED",
    "STATION_CONNECTED",
    "STATION_UPDATED",
    "TRANSACTION_UPDATED",
    "ConnectionEventsFanout",
    "LiveEventSource",
    "frame_data",
]

log = structlog.get_logger(__name__)

STATION_CONNECTED = "station.connected"
STATION_CLOSED = "station.closed"
STATION_UPDATED = "station.updated"
FRAME_LOGGED = "frame.logged"
TRANSACTION_UPDATED = "transaction.updated"

# Station CALLs whose state change is committed before the answer is sent (design.md §1.6):
# once the answer is on the wire, a console reading the station again sees the new state.
STATE_ANSWERS = frozenset({"BootNotification", "StatusNotification", "NotifyReport"})
# Station CALLs that change a charging session, also committed before their answer: pages
# showing the station's sessions read them again.
SESSION_ANSWERS = frozenset({"TransactionEvent"})
_ANSWER_EVENTS = {
    **dict.fromkeys(STATE_ANSWERS, STATION_UPDATED),
    **dict.fromkeys(SESSION_ANSWERS, TRANSACTION_UPDATED),
}
CALLRESULT = 3
# A live row shows the start of a long frame; the message log page has it whole.
LIVE_FRAME_TEXT_LIMIT = 8192


def frame_data(record: FrameRecord) -> dict[str, object]:
    return {
        "origin": record.origin,
        "messageTypeId": record.message_type_id,
        "messageId": record.message_id,
        "action": record.action,
        "timestamp": record.timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "message": record.text[:LIVE_FRAME_TEXT_LIMIT],
    }


class LiveEventSource:
    """Implements services.connections.ConnectionEvents."""

    def __init__(self, feed: EventFeed) -> None:
        self._feed = feed

    def connected(self, station_id: str) -> None:
        self._feed.publish(LiveEvent(STATION_CONNECTED, station_id))

    def closed(self, station_id: str) -> None:
        self._feed.publish(LiveEvent(STATION_CLOSED, station_id))

    def frame(self, record: FrameRecord) -> None:
        """`record.text` is already redacted (services.redaction) by the connection manager."""
        if not self._feed.active:
            return
        self._feed.publish(LiveEvent(FRAME_LOGGED, record.station_id, frame_data(record)))
        answered = record.origin == "csms" and record.message_type_id == CALLRESULT
        kind = _ANSWER_EVENTS.get(record.action or "") if answered else None
        if kind is not None:
            self._feed.publish(LiveEvent(kind, record.station_id, {"cause": record.action}))


class ConnectionEventsFanout:
    """Several ConnectionEvents listeners behind the manager's one hook; a failing listener is
    logged and does not keep the event from the others."""

    def __init__(self, listeners: Sequence[ConnectionEvents]) -> None:
        self._listeners = tuple(listeners)

    def connected(self, station_id: str) -> None:
        self._each("connected", lambda listener: listener.connected(station_id))

    def closed(self, station_id: str) -> None:
        self._each("closed", lambda listener: listener.closed(station_id))

    def frame(self, record: FrameRecord) -> None:
        self._each("frame", lambda listener: listener.frame(record))

    def _each(self, hook: str, call: Callable[[ConnectionEvents], None]) -> None:
        for listener in self._listeners:
            try:
                call(listener)
            except Exception:
                log.exception("connection event listener failed", hook=hook)
