"""One OCPP frame as the message-log page shows it, from a stored log entry or a live event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["FRAME_TYPES", "FrameRow"]

FRAME_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}


@dataclass(frozen=True, slots=True)
class FrameRow:
    origin: str
    message_type_id: int | None
    message_id: str | None
    action: str | None
    timestamp: str
    message: str
    outcome: str | None = None
    entry_id: int | None = None

    @property
    def direction(self) -> str:
        return "Station → CSMS" if self.origin == "cs" else "CSMS → station"

    @property
    def type_name(self) -> str:
        return FRAME_TYPES.get(self.message_type_id or 0, "unparsable")

    @property
    def payload(self) -> Any:
        """The frame's payload (the CALL/CALLRESULT body, or the CALLERROR parts)."""
        try:
            frame = json.loads(self.message)
        except ValueError:
            return self.message
        if isinstance(frame, list) and self.message_type_id in (2, 3, 4):
            return frame[3] if self.message_type_id == 2 and len(frame) > 3 else frame[2:]
        return frame

    @classmethod
    def of_entry(cls, entry: dict[str, Any]) -> FrameRow:
        """A `MessageLogQuery.search` result."""
        message = entry["message"]
        text = message if isinstance(message, str) else json.dumps(message, ensure_ascii=False)
        return cls(
            origin=entry["origin"],
            message_type_id=entry.get("messageTypeId"),
            message_id=entry.get("messageId"),
            action=entry.get("action"),
            timestamp=entry["timestamp"],
            message=text,
            outcome=entry.get("outcome"),
            entry_id=entry["id"],
        )

    @classmethod
    def of_event(cls, data: dict[str, Any]) -> FrameRow:
        """The data of a `frame.logged` live event (services/live_events.py)."""
        return cls(
            origin=str(data.get("origin")),
            message_type_id=data.get("messageTypeId"),
            message_id=data.get("messageId"),
            action=data.get("action"),
            timestamp=str(data.get("timestamp")),
            message=str(data.get("message")),
        )
