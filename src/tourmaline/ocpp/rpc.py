"""OCPP-J frames (Part 4 §4): CALL, CALLRESULT and CALLERROR, parsed from and encoded to text.

`parse_frame` raises an `OcppError` for frame-level failures; the error's `message_id` is the id
when it could be read and "-1" otherwise (OCPP-J 4.2.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Call", "CallError", "CallResult", "Frame", "JsonObject"]

JsonObject = dict[str, Any]

CALL = 2
CALLRESULT = 3
CALLERROR = 4


@dataclass(frozen=True, slots=True)
class Call:
    message_id: str
    action: str
    payload: JsonObject


@dataclass(frozen=True, slots=True)
class CallResult:
    message_id: str
    payload: JsonObject


@dataclass(frozen=True, slots=True)
class CallError:
    message_id: str
    code: str
    description: str = ""
    details: JsonObject = field(default_factory=dict)


Frame = Call | CallResult | CallError
