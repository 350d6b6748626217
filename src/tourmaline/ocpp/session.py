"""The sans-I/O OCPP-J session of one WebSocket connection: text in, events out.

No sockets, no asyncio, no clock: the connection passes `now` and deadlines as monotonic seconds
and performs the I/O the returned events ask for. It keeps:

* the single outbound slot and its bounded queue (OCPP-J 4.1.1: one outstanding CALL per
  direction; station CALLs are independent of it, so the two directions may cross);
* the ids of recently timed-out calls, so that a late answer is reported as such;
* the recent answers to station CALLs, so that a repeated CALL gets the same answer again
  (errata 2023-12 [702] makes message ids unique across reconnects; interface.md §3).

Every `receive()` starts its events with a `FrameReceived`, so the message log gets every inbound
frame, unparseable ones included. Idle sessions stay small: the queue and the two memories are
created on first use.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from uuid import uuid4

from tourmaline.ocpp.errors import FormatViolation, OcppError
from tourmaline.ocpp.rpc import (
    CALL,
    CALLERROR,
    CALLRESULT,
    Call,
    CallError,
    CallResult,
    FrameInfo,
    JsonObject,
    decode,
    describe_array,
    encode,
    frame_from_array,
    peek_head,
)

__all__ = [
    "CallAnswered",
    "CallTimedOut",
    "DroppedFrame",
    "FrameReceived",
    "InboundCall",
    "OcppSession",
    "QueueFull",
    "SendCall",
    "SendText",
    "SessionClosed",
    "SessionEvent",
    "StrayAnswer",
]

# How many timed-out call ids are remembered to recognise late answers.
LATE_MEMORY = 256
MESSAGE_TOO_LARGE = "Message too large"


class QueueFull(Exception):
    """`queue_size` CSMS calls already wait for the outbound slot."""


class SessionClosed(Exception):
    """The session was closed; no more calls can be queued."""


@dataclass(frozen=True, slots=True)
class FrameReceived:
    """An inbound frame for the message log; `action` of an answer is its matched call's."""

    text: str
    message_type_id: int | None
    message_id: str | None
    action: str | None


@dataclass(frozen=True, slots=True)
class InboundCall:
    """A station CALL to process; answer it with `respond()` (after checking `recall()`)."""

    call: Call


@dataclass(frozen=True, slots=True)
class SendText:
    """Send this CALLERROR now (malformed or oversized inbound frame)."""

    text: str
    frame: CallError


@dataclass(frozen=True, slots=True)
class SendCall:
    """An outbound CALL got the slot: send it now."""

    call: Call
    text: str


@dataclass(frozen=True, slots=True)
class CallAnswered:
    """The outstanding CSMS call was answered. `request` is the payload that was sent."""

    message_id: str
    action: str
    answer: CallResult | CallError
    request: JsonObject


@dataclass(frozen=True, slots=True)
class CallTimedOut:
    """A CSMS call reached its deadline, outstanding or still queued."""

    message_id: str
    action: str


@dataclass(frozen=True, slots=True)
class StrayAnswer:
    """A CALLRESULT/CALLERROR nobody waits for; log it, never answer it (OCPP-J 4.2)."""

    frame: CallResult | CallError
    reason: Literal["unknown", "late"]


@dataclass(frozen=True, slots=True)
class DroppedFrame:
    """A malformed CALLRESULT/CALLERROR that matches no outstanding call; log it only."""

    error: OcppError


SessionEvent = (
    FrameReceived
    | InboundCall
    | SendText
    | SendCall
    | CallAnswered
    | CallTimedOut
    | StrayAnswer
    | DroppedFrame
)


@dataclass(slots=True)
class _Pending:
    call: Call
    deadline: float
    text: str


@dataclass(slots=True)
class _Answered:
    action: str
    digest: bytes
    text: str
    at: float


def _new_message_id() -> str:
    return str(uuid4())


def _payload_digest(payload: JsonObject) -> bytes:
    # Canonical JSON: a retry may reorder keys but is still the same CALL.
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(canonical.encode(), digest_size=16).digest()


class OcppSession:
    """One connection's OCPP-J state machine (design.md §1.1)."""

    __slots__ = (
        "_answers",
        "_call_timeout",
        "_closed",
        "_dedup_max_age",
        "_dedup_window",
        "_id_factory",
        "_max_message_size",
        "_outstanding",
        "_queue",
        "_queue_size",
        "_timed_out",
    )

    def __init__(
        self,
        *,
        call_timeout: float,
        queue_size: int,
        max_message_size: int,
        dedup_window: int = 1000,
        dedup_max_age: float = 86400,
        id_factory: Callable[[], str] = _new_message_id,
    ) -> None:
        self._call_timeout = call_timeout
        self._queue_size = queue_size
        self._max_message_size = max_message_size
        self._dedup_window = dedup_window
        self._dedup_max_age = dedup_max_age
        self._id_factory = id_factory
        self._outstanding: _Pending | None = None
        self._queue: deque[_Pending] | None = None
        self._timed_out: OrderedDict[str, str] | None = None
        self._answers: OrderedDict[str, _Answered] | None = None
        self._closed = False

    # -- inbound ------------------------------------------------------------------------------

    def receive(self, text: str, now: float) -> list[SessionEvent]:
        """Events for one inbound text frame; the first is always a `FrameReceived`."""
        if self._too_large(text):
            return self._receive_oversized(text, now)
        try:
            items = decode(text)
        except OcppError as error:
            return [FrameReceived(text, None, None, None), _send_error(error)]
        info = describe_array(items)
        try:
            frame = frame_from_array(items)
        except OcppError as error:
            return self._receive_malformed(text, info, error, now)
        if isinstance(frame, Call):
            return [FrameReceived(text, CALL, frame.message_id, frame.action), InboundCall(frame)]
        return self._receive_answer(text, info, frame, now)

    def _too_large(self, text: str) -> bool:
        # A character takes at most 4 UTF-8 bytes and at least one: encode only when undecided.
        length = len(text)
        if length * 4 <= self._max_message_size:
            return False
        if length > self._max_message_size:
            return True
        return len(text.encode("utf-8", "surrogatepass")) > self._max_message_size

    def _receive_oversized(self, text: str, now: float) -> list[SessionEvent]:
        type_id, message_id = peek_head(text)
        error = FormatViolation(MESSAGE_TOO_LARGE, message_id=message_id or "-1")
        if type_id in (CALLRESULT, CALLERROR):
            return self._fail_answer(text, FrameInfo(type_id, message_id), error, now)
        return [FrameReceived(text, type_id, message_id, None), _send_error(error)]

    def _receive_malformed(
        self, text: str, info: FrameInfo, error: OcppError, now: float
    ) -> list[SessionEvent]:
        if info.message_type_id in (CALLRESULT, CALLERROR):
            # OCPP-J 4.2: an answer is never answered, however broken it is.
            return self._fail_answer(text, info, error, now)
        return [FrameReceived(text, *_fields(info)), _send_error(error)]

    def _fail_answer(
        self, text: str, info: FrameInfo, error: OcppError, now: float
    ) -> list[SessionEvent]:
        """A broken answer ends the outstanding call it names, rather than leave it to time out."""
        pending = self._outstanding
        if pending is None or info.message_id != pending.call.message_id:
            return [FrameReceived(text, *_fields(info)), DroppedFrame(error)]
        details = {**error.details, "source": "csms"}
        answer = CallError(pending.call.message_id, error.code, error.description, details)
        return self._resolve(text, info.message_type_id, pending, answer, now)

    def _receive_answer(
        self, text: str, info: FrameInfo, frame: CallResult | CallError, now: float
    ) -> list[SessionEvent]:
        pending = self._outstanding
        if pending is not None and frame.message_id == pending.call.message_id:
            return self._resolve(text, info.message_type_id, pending, frame, now)
        action = self._timed_out.get(frame.message_id) if self._timed_out else None
        reason: Literal["unknown", "late"] = "unknown" if action is None else "late"
        return [
            FrameReceived(text, info.message_type_id, frame.message_id, action),
            StrayAnswer(frame, reason),
        ]

    def _resolve(
        self,
        text: str,
        type_id: int | None,
        pending: _Pending,
        answer: CallResult | CallError,
        now: float,
    ) -> list[SessionEvent]:
        call = pending.call
        self._outstanding = None
        events: list[SessionEvent] = [
            FrameReceived(text, type_id, call.message_id, call.action),
            CallAnswered(call.message_id, call.action, answer, call.payload),
        ]
        events.extend(self._promote(now))
        return events

    # -- answers to station CALLs and de-duplication ------------------------------------------

    def respond(self, call: Call, answer: CallResult | CallError, now: float) -> str:
        """The text answering `call`. CALLRESULTs are remembered for `recall()`; CALLERRORs are
        not, because a retry after InternalError or SecurityError must be processed again."""
        text = encode(answer)
        if isinstance(answer, CallResult) and self._dedup_window > 0:
            self._remember_answer(call, text, now)
        return text

    def recall(self, call: Call, now: float) -> str | None:
        """The stored answer if `call` repeats an answered CALL (same id, action and payload)."""
        entry = self._answers.get(call.message_id) if self._answers else None
        if entry is None or now - entry.at > self._dedup_max_age or entry.action != call.action:
            return None
        return entry.text if entry.digest == _payload_digest(call.payload) else None

    def answered_before(self, message_id: str, now: float) -> bool:
        """True when a CALL with this id was answered recently (to log reused ids)."""
        entry = self._answers.get(message_id) if self._answers else None
        return entry is not None and now - entry.at <= self._dedup_max_age

    def _remember_answer(self, call: Call, text: str, now: float) -> None:
        if self._answers is None:
            self._answers = OrderedDict()
        answers = self._answers
        answers.pop(call.message_id, None)
        answers[call.message_id] = _Answered(call.action, _payload_digest(call.payload), text, now)
        while len(answers) > self._dedup_window:
            answers.popitem(last=False)
        oldest = next(iter(answers.values()))
        while now - oldest.at > self._dedup_max_age:
            answers.popitem(last=False)
            oldest = next(iter(answers.values()))

    # -- outbound calls -----------------------------------------------------------------------

    def enqueue_call(
        self, action: str, payload: JsonObject, now: float, deadline: float | None = None
    ) -> tuple[str, list[SessionEvent]]:
        """Queue a CSMS CALL; returns its message id and, if it got the slot, its `SendCall`.

        The deadline (default `now + call_timeout`) counts while the call waits for the slot.
        Raises QueueFull, SessionClosed, or TypeError/ValueError for a payload that is no JSON.
        """
        if self._closed:
            raise SessionClosed
        slot_free = self._outstanding is None
        if not slot_free and self.queued >= self._queue_size:
            raise QueueFull
        call = Call(self._id_factory(), action, payload)
        pending = _Pending(call, now + self._call_timeout if deadline is None else deadline, "")
        pending.text = encode(call)
        if slot_free:
            self._outstanding = pending
            return call.message_id, [SendCall(call, pending.text)]
        if self._queue is None:
            self._queue = deque()
        self._queue.append(pending)
        return call.message_id, []

    def expire(self, now: float) -> list[SessionEvent]:
        """Time out calls whose deadline passed (outstanding or queued); maybe send the next."""
        events: list[SessionEvent] = []
        pending = self._outstanding
        if pending is not None and pending.deadline <= now:
            self._outstanding = None
            events.append(self._time_out(pending))
        if self._queue:
            waiting = deque(item for item in self._queue if item.deadline > now)
            events.extend(self._time_out(item) for item in self._queue if item.deadline <= now)
            self._queue = waiting
        if self._outstanding is None:
            events.extend(self._promote(now))
        return events

    def next_deadline(self) -> float | None:
        """The earliest deadline among the outstanding and queued calls."""
        deadlines = [item.deadline for item in self._queue] if self._queue else []
        if self._outstanding is not None:
            deadlines.append(self._outstanding.deadline)
        return min(deadlines, default=None)

    @property
    def outstanding_call(self) -> Call | None:
        return None if self._outstanding is None else self._outstanding.call

    @property
    def queued(self) -> int:
        return len(self._queue) if self._queue else 0

    def close(self) -> list[str]:
        """Fail every outstanding and queued call; returns their message ids, slot first."""
        self._closed = True
        failed = [] if self._outstanding is None else [self._outstanding.call.message_id]
        failed.extend(item.call.message_id for item in self._queue or ())
        self._outstanding = None
        self._queue = None
        return failed

    def _promote(self, now: float) -> list[SessionEvent]:
        events: list[SessionEvent] = []
        queue = self._queue
        while queue:
            pending = queue.popleft()
            if pending.deadline <= now:
                events.append(self._time_out(pending))
                continue
            self._outstanding = pending
            events.append(SendCall(pending.call, pending.text))
            break
        return events

    def _time_out(self, pending: _Pending) -> CallTimedOut:
        if self._timed_out is None:
            self._timed_out = OrderedDict()
        self._timed_out[pending.call.message_id] = pending.call.action
        if len(self._timed_out) > LATE_MEMORY:
            self._timed_out.popitem(last=False)
        return CallTimedOut(pending.call.message_id, pending.call.action)


def _send_error(error: OcppError) -> SendText:
    frame = error.to_frame()
    return SendText(encode(frame), frame)


def _fields(info: FrameInfo) -> tuple[int | None, str | None, str | None]:
    return info.message_type_id, info.message_id, info.action
