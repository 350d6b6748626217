"""`StationConnection`: the asyncio adapter between one WebSocket and its `OcppSession`.

Three flows share the socket (design.md §4 steps 2-4, §5 step 4):

* the reader loop (the websockets handler task) feeds every text to the session and acts on the
  events; it never waits for the database, so CALLRESULTs keep flowing while a handler runs;
* one inbound worker, started on demand, answers station CALLs strictly in arrival order;
* outbound CALLs wait for the single slot in the session (OCPP-J 4.1.1); one timer per
  connection, armed only while calls are outstanding, drives their deadlines.

Idle connections hold no task of their own beyond websockets' handler and keepalive.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Coroutine
from typing import Any, Literal

import structlog
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from tourmaline.clock import Clock
from tourmaline.ocpp.errors import FormatViolation, InternalError, OcppError, code_from_name
from tourmaline.ocpp.rpc import CALL, CALLERROR, CALLRESULT, Call, CallError, CallResult
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.ocpp.session import (
    CallAnswered,
    CallTimedOut,
    DroppedFrame,
    FrameReceived,
    InboundCall,
    OcppSession,
    QueueFull,
    SendCall,
    SendText,
    SessionClosed,
    SessionEvent,
    StrayAnswer,
)
from tourmaline.settings import OcppSettings
from tourmaline.transport.ports import (
    CallOutcomeName,
    CallTimeout,
    ConnectionHooks,
    FrameRecord,
    InboundDispatcher,
    LinkClosed,
    ListenerInfo,
    OutboundQueueFull,
    Reply,
)

__all__ = ["PendingCall", "StationConnection"]

log = structlog.get_logger(__name__)

REGISTRATION_FAILED = "Registration failed"


class PendingCall:
    """A CSMS CALL accepted for delivery; implements `ports.OutboundCall`."""

    __slots__ = ("_future", "action", "message_id", "payload", "sent")

    def __init__(self, message_id: str, action: str, payload: dict[str, Any]) -> None:
        self.message_id = message_id
        self.action = action
        self.payload = payload
        self.sent = False
        self._future: asyncio.Future[CallResult | CallError] = (
            asyncio.get_running_loop().create_future()
        )

    async def outcome(self) -> CallResult | CallError:
        # Shielded: a caller that stops waiting must not cancel the call for everyone else.
        return await asyncio.shield(self._future)

    def resolve(self, answer: CallResult | CallError) -> None:
        if not self._future.done():
            self._future.set_result(answer)

    def fail(self, error: Exception) -> None:
        if not self._future.done():
            self._future.set_exception(error)
            # Nobody may ever await a fire-and-forget call; its failure is not an error here.
            self._future.exception()


class StationConnection:
    """One registered station socket; implements `ports.StationLink`."""

    def __init__(
        self,
        websocket: ServerConnection,
        *,
        station_id: str,
        listener: ListenerInfo,
        ocpp: OcppSettings,
        schemas: SchemaRegistry,
        dispatcher: InboundDispatcher,
        hooks: ConnectionHooks,
        clock: Clock,
    ) -> None:
        self._ws = websocket
        self._station_id = station_id
        self._listener = listener
        self._schemas = schemas
        self._validate_responses = ocpp.validate_responses
        self._dispatcher = dispatcher
        self._hooks = hooks
        self._clock = clock
        self._session = OcppSession(
            call_timeout=ocpp.call_timeout,
            queue_size=ocpp.outbound_queue_size,
            max_message_size=ocpp.max_message_size,
            dedup_window=ocpp.dedup_window,
            dedup_max_age=ocpp.dedup_max_age,
        )
        # Created on first use: most connections are idle most of the time.
        self._pending: dict[str, PendingCall] = {}
        self._inbound: deque[Call] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_deadline: float | None = None
        self._closed = False

    # -- StationLink ---------------------------------------------------------------------------

    @property
    def station_id(self) -> str:
        return self._station_id

    @property
    def listener(self) -> ListenerInfo:
        return self._listener

    @property
    def subprotocol(self) -> str:
        return self._ws.subprotocol or ""

    def submit(self, action: str, payload: dict[str, Any], *, timeout: float) -> PendingCall:
        if self._closed:
            raise LinkClosed(self._station_id)
        # An invalid payload is our bug: raise before anything is queued or sent.
        normalised = self._schemas.validate_request(action, payload)
        now = self._clock.monotonic()
        try:
            message_id, events = self._session.enqueue_call(action, normalised, now, now + timeout)
        except QueueFull:
            raise OutboundQueueFull(self._station_id) from None
        except SessionClosed:
            raise LinkClosed(self._station_id) from None
        call = PendingCall(message_id, action, normalised)
        self._pending[message_id] = call
        self._handle(events)
        self._arm_timer()
        return call

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._ws.close(code, reason)

    # -- lifecycle -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Register, serve until the socket closes, then report the close exactly once."""
        # Every log line of this connection's tasks (they inherit the context) names the station.
        structlog.contextvars.bind_contextvars(station_id=self._station_id)
        try:
            await self._hooks.opened(self)
        except Exception:
            log.exception("station registration failed", station_id=self._station_id)
            await self._ws.close(1011, REGISTRATION_FAILED)
        else:
            log.info("station connected", station_id=self._station_id, listener=self._listener.id)
            await self._read()
        await self._finish()

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                text = message if isinstance(message, str) else _binary_text(message)
                self._on_text(text)
        except ConnectionClosed:
            pass

    def _on_text(self, text: str) -> None:
        try:
            events = self._session.receive(text, self._clock.monotonic())
            self._handle(events)
            self._arm_timer()
        except Exception:
            # No frame may kill the reader loop (or the server behind it).
            log.exception("inbound frame handling failed", station_id=self._station_id)

    async def _finish(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        self._fail_pending()
        for task in [self._worker, *(self._tasks or ())]:
            if task is not None:
                task.cancel()
        code, reason = self._close_code_and_reason()
        log.info("station disconnected", station_id=self._station_id, code=code, reason=reason)
        try:
            await self._hooks.closed(self, code, reason)
        except Exception:
            log.exception("connection close hook failed", station_id=self._station_id)

    def _close_code_and_reason(self) -> tuple[int | None, str]:
        """The close frame that ended the socket: ours when we started closing (shutdown,
        replacement, 1009, keepalive), else the station's; 1006 when there was none."""
        protocol = self._ws.protocol
        sent, received = protocol.close_sent, protocol.close_rcvd
        if sent is not None and not protocol.close_rcvd_then_sent:
            return int(sent.code), sent.reason
        if received is not None:
            return int(received.code), received.reason
        return self._ws.close_code, self._ws.close_reason or ""

    def _fail_pending(self) -> None:
        self._session.close()
        pending, self._pending = self._pending, {}
        for call in pending.values():
            call.fail(LinkClosed(self._station_id))
            # A CALL on the wire when the socket died was never answered; a queued one never left.
            self._report_outcome(call.message_id, "timeout" if call.sent else "not_sent")

    # -- session events ------------------------------------------------------------------------

    def _handle(self, events: list[SessionEvent]) -> None:
        late = any(isinstance(event, StrayAnswer) and event.reason == "late" for event in events)
        for event in events:
            if isinstance(event, FrameReceived):
                self._record_inbound(event, "late" if late else None)
            elif isinstance(event, InboundCall):
                self._queue_inbound(event.call)
            elif isinstance(event, SendText):
                self._spawn(self._send(event.text, event.frame.message_id, None, CALLERROR))
            elif isinstance(event, SendCall):
                self._send_call(event)
            elif isinstance(event, CallAnswered):
                self._answered(event)
            elif isinstance(event, CallTimedOut):
                self._timed_out(event)
            elif isinstance(event, StrayAnswer):
                self._stray(event)
            elif isinstance(event, DroppedFrame):
                log.warning(
                    "malformed answer dropped",
                    station_id=self._station_id,
                    code=event.error.code,
                    message_id=event.error.message_id,
                )

    def _record_inbound(self, event: FrameReceived, outcome: CallOutcomeName | None) -> None:
        self._record(
            "cs", event.text, event.message_type_id, event.message_id, event.action, outcome
        )

    def _send_call(self, event: SendCall) -> None:
        call = self._pending.get(event.call.message_id)
        if call is not None:
            call.sent = True
        call_id, action = event.call.message_id, event.call.action
        self._spawn(self._send(event.text, call_id, action, CALL, "pending"))

    def _answered(self, event: CallAnswered) -> None:
        call = self._pending.pop(event.message_id, None)
        answer = self._checked_answer(event.action, event.answer)
        outcome: CallOutcomeName = "answered" if isinstance(answer, CallResult) else "call_error"
        self._report_outcome(event.message_id, outcome)
        if call is not None:
            call.resolve(answer)

    def _checked_answer(
        self, action: str, answer: CallResult | CallError
    ) -> CallResult | CallError:
        if isinstance(answer, CallError):
            code = code_from_name(answer.code) or answer.code
            return CallError(answer.message_id, code, answer.description, answer.details)
        if not self._validate_responses:
            return answer
        try:
            payload = self._schemas.validate_response(action, answer.payload)
        except OcppError as error:
            log.warning(
                "station answer fails the response schema",
                station_id=self._station_id,
                action=action,
                message_id=answer.message_id,
                code=error.code,
            )
            details = {"source": "csms", "validationCode": error.code, **error.details}
            return FormatViolation(error.description, details=details).to_frame(answer.message_id)
        return CallResult(answer.message_id, payload)

    def _timed_out(self, event: CallTimedOut) -> None:
        call = self._pending.pop(event.message_id, None)
        self._report_outcome(event.message_id, "timeout")
        if call is not None:
            call.fail(CallTimeout(f"{event.action} {event.message_id}"))

    def _stray(self, event: StrayAnswer) -> None:
        log.warning(
            "answer without an outstanding call",
            station_id=self._station_id,
            message_id=event.frame.message_id,
            reason=event.reason,
        )
        if event.reason == "late":
            self._report_outcome(event.frame.message_id, "late")

    # -- inbound CALLs -------------------------------------------------------------------------

    def _queue_inbound(self, call: Call) -> None:
        if self._inbound is None:
            self._inbound = deque()
        if self._inbound:
            # OCPP-J 4.1.1: a station must wait for our answer before its next CALL. Tolerated.
            log.warning(
                "station sent a CALL before its previous CALL was answered",
                station_id=self._station_id,
                message_id=call.message_id,
                action=call.action,
            )
        self._inbound.append(call)
        if self._worker is None:
            self._worker = asyncio.create_task(
                self._work(), name=f"ocpp-inbound-{self._station_id}"
            )

    async def _work(self) -> None:
        queue = self._inbound
        assert queue is not None
        while queue:
            try:
                await self._answer(queue[0])
            except ConnectionClosed:
                break
            except Exception:
                log.exception("answering a station CALL failed", station_id=self._station_id)
            finally:
                queue.popleft()
        self._worker = None

    async def _answer(self, call: Call) -> None:
        stored = self._session.recall(call, self._clock.monotonic())
        if stored is not None:
            log.info(
                "repeated CALL answered from memory",
                station_id=self._station_id,
                message_id=call.message_id,
                action=call.action,
            )
            await self._send(stored, call.message_id, call.action, _type_of_text(stored))
            return
        if self._session.answered_before(call.message_id, self._clock.monotonic()):
            # Errata 2023-12 makes ids unique across reconnects; some chargers restart their
            # counter after a reboot, so a reused id with new content is processed anyway.
            log.warning(
                "station reused a message id with a different action or payload",
                message_id=call.message_id,
                action=call.action,
            )
        reply = await self._dispatch(call)
        text = self._session.respond(call, reply.frame, self._clock.monotonic())
        frame_type = CALLRESULT if isinstance(reply.frame, CallResult) else CALLERROR
        await self._send(text, call.message_id, call.action, frame_type)
        if reply.follow_up is not None:
            self._spawn(_await(reply.follow_up()))

    async def _dispatch(self, call: Call) -> Reply:
        try:
            return await self._dispatcher.dispatch(self, call)
        except Exception:
            # The dispatcher promises never to raise; if it does, the station still gets an answer.
            log.exception("dispatcher raised", station_id=self._station_id, action=call.action)
            description = f"Internal error while handling {call.action}"
            return Reply(InternalError(description).to_frame(call.message_id))

    # -- output --------------------------------------------------------------------------------

    async def _send(
        self,
        text: str,
        message_id: str | None,
        action: str | None,
        message_type_id: int | None,
        outcome: CallOutcomeName | None = None,
    ) -> None:
        await self._ws.send(text)
        self._record("csms", text, message_type_id, message_id, action, outcome)

    def _record(
        self,
        origin: Literal["cs", "csms"],
        text: str,
        message_type_id: int | None,
        message_id: str | None,
        action: str | None,
        outcome: CallOutcomeName | None,
    ) -> None:
        record = FrameRecord(
            station_id=self._station_id,
            origin=origin,
            text=text,
            timestamp=self._clock.now(),
            message_type_id=message_type_id,
            message_id=message_id,
            action=action,
            outcome=outcome,
        )
        try:
            self._hooks.frame(record)
        except Exception:
            log.exception("frame hook failed", station_id=self._station_id)

    def _report_outcome(self, message_id: str, outcome: CallOutcomeName) -> None:
        try:
            self._hooks.call_outcome(self._station_id, message_id, outcome)
        except Exception:
            log.exception("call outcome hook failed", station_id=self._station_id)

    # -- supervision ---------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task owned by this connection: kept, cancelled on close, logged."""
        if self._closed:
            work.close()
            return
        if self._tasks is None:
            self._tasks = set()
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if self._tasks is not None:
            self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and not isinstance(error, ConnectionClosed):
            log.error("connection task failed", station_id=self._station_id, exc_info=error)

    def _arm_timer(self) -> None:
        deadline = None if self._closed else self._session.next_deadline()
        if deadline == self._timer_deadline:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_deadline = deadline
        if deadline is not None:
            delay = max(deadline - self._clock.monotonic(), 0.0)
            self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_deadline = None
        try:
            self._handle(self._session.expire(self._clock.monotonic()))
        except Exception:
            log.exception("call expiry failed", station_id=self._station_id)
        self._arm_timer()


async def _await(work: Awaitable[None]) -> None:
    await work


def _binary_text(message: bytes) -> str:
    # OCPP-J uses text frames only; a binary one is read as text so it is answered and logged.
    return message.decode("utf-8", errors="replace")


def _type_of_text(text: str) -> int:
    # A stored answer is text we encoded ourselves: "[3," or "[4,".
    return CALLERROR if text.startswith("[4") else CALLRESULT
