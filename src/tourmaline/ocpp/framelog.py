"""What the message log keeps of each OCPP-J frame (interface.md §8.5).

It lives in the protocol package so that the transport, which produces records, and the
database writer, which stores them, share the type without depending on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["CallOutcomeName", "FrameRecord", "Origin"]

Origin = Literal["cs", "csms"]
CallOutcomeName = Literal["pending", "answered", "call_error", "timeout", "late", "not_sent"]


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One frame for the message log (interface.md §8.5)."""

    station_id: str
    origin: Origin
    text: str
    timestamp: datetime
    message_type_id: int | None = None
    message_id: str | None = None
    action: str | None = None
    outcome: CallOutcomeName | None = None
