"""What the console's event stream sends a page (ui/pages/events.py): session events only to
pages that show sessions, for their station, as `transaction` events."""

from __future__ import annotations

import json

from tourmaline.cluster.events import LiveEvent
from tourmaline.services.live_events import (
    FRAME_LOGGED,
    STATION_UPDATED,
    TRANSACTION_UPDATED,
)
from tourmaline.ui.pages.events import event_filter, sse_message

SESSION = LiveEvent(TRANSACTION_UPDATED, "cp1", {"cause": "TransactionEvent"})
STATION = LiveEvent(STATION_UPDATED, "cp1", {"cause": "BootNotification"})
FRAME = LiveEvent(FRAME_LOGGED, "cp1", {"action": "Heartbeat", "origin": "cs"})


def test_session_events_go_only_to_pages_that_show_sessions() -> None:
    station_page = event_filter("cp1", False, None, None)
    sessions_page = event_filter(None, False, None, None, sessions=True)
    station_sessions = event_filter("cp1", False, None, None, sessions=True)
    other_station = event_filter("cp2", False, None, None, sessions=True)

    assert [station_page(e) for e in (SESSION, STATION, FRAME)] == [False, True, False]
    assert [sessions_page(e) for e in (SESSION, STATION, FRAME)] == [True, True, False]
    assert station_sessions(SESSION) and not other_station(SESSION)


def test_a_session_event_is_a_transaction_message_naming_its_station() -> None:
    message = sse_message(SESSION)
    assert message.startswith("event: transaction\n")
    data = json.loads(message.split("data: ", 1)[1])
    assert data == {"stationId": "cp1", "kind": "transaction.updated"}
    assert sse_message(STATION).startswith("event: station\n")
