"""OCPP-J frames (Part 4 §4): CALL, CALLRESULT and CALLERROR, parsed from and encoded to text.

`parse_frame` raises an `OcppError` for frame-level failures; the error's `message_id` is the id
when it could be read and "-1" otherwise (OCPP-J 4.2.3). The table of failures is in ocpp-rules
§2.2 and interface.md §3. Parsing is split in two steps (`decode` then `frame_from_array`) so that a
caller can still describe a frame for the message log when the second step fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tourmaline.ocpp.errors import MessageTypeNotSupported, OcppError, RpcFrameworkError

__all__ = [
    "CALL",
    "CALLERROR",
    "CALLRESULT",
    "MAX_MESSAGE_ID_LENGTH",
    "Call",
    "CallError",
    "CallResult",
    "Frame",
    "FrameInfo",
    "JsonObject",
    "decode",
    "describe_array",
    "encode",
    "error_frame",
    "frame_from_array",
    "parse_frame",
    "peek_head",
    "peek_message_id",
]

JsonObject = dict[str, Any]

CALL = 2
CALLRESULT = 3
CALLERROR = 4
MESSAGE_TYPES = (CALL, CALLRESULT, CALLERROR)

# OCPP-J 4.1.3: a message id is a string of at most 36 characters.
MAX_MESSAGE_ID_LENGTH = 36
# Longest action name in 2.0.1 is 33 characters; anything much longer is garbage, not a name.
_MAX_ACTION_LENGTH = 64


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


@dataclass(frozen=True, slots=True)
class FrameInfo:
    """What the message log can say about a frame, even a broken one (interface.md §8.5)."""

    message_type_id: int | None = None
    message_id: str | None = None
    action: str | None = None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode(text: str) -> list[Any]:
    """The JSON array of a frame; RpcFrameworkError with id "-1" when there is none."""
    try:
        # NaN/Infinity are not JSON (RFC 8259) and would not survive a round trip.
        items = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError and integers beyond sys.get_int_max_str_digits().
        raise RpcFrameworkError(message_id="-1") from None
    if not isinstance(items, list):
        raise RpcFrameworkError(message_id="-1")
    return items


def _message_type(items: list[Any]) -> int | None:
    head = items[0] if items else None
    # `type(...) is int`: True == 1 and 2.0 == 2 in Python, but neither is a message type id.
    return head if type(head) is int and head in MESSAGE_TYPES else None


def _message_id(items: list[Any]) -> str | None:
    candidate = items[1] if len(items) > 1 else None
    if type(candidate) is not str or len(candidate) > MAX_MESSAGE_ID_LENGTH:
        return None
    return candidate if candidate.isascii() or _is_utf8_encodable(candidate) else None


def _is_utf8_encodable(text: str) -> bool:
    # A JSON escape such as "\ud800" decodes to a lone surrogate that no WebSocket can send back.
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def describe_array(items: list[Any]) -> FrameInfo:
    """Best-effort type id, message id and (for a CALL) action of a decoded frame."""
    type_id = _message_type(items)
    action = items[2] if type_id == CALL and len(items) > 2 else None
    if type(action) is not str or len(action) > _MAX_ACTION_LENGTH:
        action = None
    return FrameInfo(type_id, _message_id(items), action)


def frame_from_array(items: list[Any]) -> Frame:
    """Check a decoded frame's structure and build its dataclass."""
    if not items:
        raise RpcFrameworkError(message_id="-1")
    message_id = _message_id(items)
    type_id = _message_type(items)
    if type_id is None:
        raise MessageTypeNotSupported(message_id="-1" if message_id is None else message_id)
    if message_id is None:
        raise RpcFrameworkError(message_id="-1")
    if type_id == CALL:
        return _call(items, message_id)
    if type_id == CALLRESULT:
        return _call_result(items, message_id)
    return _call_error(items, message_id)


def _call(items: list[Any], message_id: str) -> Call:
    if len(items) != 4 or type(items[2]) is not str or type(items[3]) is not dict:
        raise RpcFrameworkError(
            "CALL must be [2, messageId, action, {payload}]", message_id=message_id
        )
    return Call(message_id, items[2], items[3])


def _call_result(items: list[Any], message_id: str) -> CallResult:
    if len(items) != 3 or type(items[2]) is not dict:
        raise RpcFrameworkError(
            "CALLRESULT must be [3, messageId, {payload}]", message_id=message_id
        )
    return CallResult(message_id, items[2])


def _call_error(items: list[Any], message_id: str) -> CallError:
    well_formed = (
        len(items) == 5
        and type(items[2]) is str
        and type(items[3]) is str
        and type(items[4]) is dict
    )
    if not well_formed:
        raise RpcFrameworkError(
            "CALLERROR must be [4, messageId, errorCode, errorDescription, {errorDetails}]",
            message_id=message_id,
        )
    return CallError(message_id, items[2], items[3], items[4])


def parse_frame(text: str) -> Frame:
    """Parse one WebSocket text message into a frame; raises `OcppError` (see module doc)."""
    return frame_from_array(decode(text))


def encode(frame: Frame) -> str:
    """The compact OCPP-J text of a frame."""
    items: list[Any]
    if isinstance(frame, Call):
        items = [CALL, frame.message_id, frame.action, frame.payload]
    elif isinstance(frame, CallResult):
        items = [CALLRESULT, frame.message_id, frame.payload]
    else:
        items = [CALLERROR, frame.message_id, frame.code, frame.description, frame.details]
    return json.dumps(items, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


# Only the head of an oversized frame is looked at: `[<type>, "<id>"` with a plain id.
_HEAD = re.compile(r'\s*\[\s*(\d{1,3})\s*,\s*"([^"\\\x00-\x1f]{0,36})"')
_PEEK_LIMIT = 128


def peek_head(text: str) -> tuple[int | None, str | None]:
    """Cheap best-effort (message type id, message id) of a frame too large to parse."""
    match = _HEAD.match(text[:_PEEK_LIMIT])
    if match is None:
        return None, None
    type_id = int(match.group(1))
    return (type_id if type_id in MESSAGE_TYPES else None), match.group(2)


def peek_message_id(text: str) -> str | None:
    """Cheap best-effort message id of a frame too large to parse."""
    return peek_head(text)[1]


def error_frame(error: OcppError) -> str:
    """The encoded CALLERROR for an error raised while parsing."""
    return encode(error.to_frame())
