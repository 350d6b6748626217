"""The one path for CSMS-initiated calls to stations (design.md §1.3, §5; interface.md §7.2).

`CommandService.send` finds the station's socket here, on another instance (the request travels
over the cluster rpc and the owner runs the same local path), or nowhere. Whatever `wait` says,
the station's answer is awaited on the owning instance by a supervised task that runs the
CALLRESULT route (`on_result`) and posts to the callback URL, so each effect happens exactly once
and survives the HTTP caller going away. A call that gets no CALLRESULT (CALLERROR, timeout,
socket closed, never sent) is reported once to `on_unanswered`, by the instance that knows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import structlog

from tourmaline.cluster.broker import Broker, Message
from tourmaline.cluster.rpc import RemoteError, Replier, RpcTimeout
from tourmaline.cluster.tasks import TaskSupervisor
from tourmaline.ocpp.errors import OcppError
from tourmaline.ocpp.rpc import CallError, CallResult, JsonObject
from tourmaline.services.connections import ConnectionManager
from tourmaline.services.ports import Unanswered, UnansweredHandler
from tourmaline.transport.ports import (
    CallTimeout,
    LinkClosed,
    OutboundCall,
    OutboundQueueFull,
    StationLink,
)

__all__ = [
    "CallbackDelivery",
    "CommandResult",
    "CommandService",
    "OutboundGate",
    "ResultHandler",
    "error_payload",
    "not_connected_text",
]

log = structlog.get_logger(__name__)

ResultHandler = Callable[[str, str, JsonObject, JsonObject], Awaitable[None]]
"""on_result(station_id, action, request, response): the CALLRESULT route (Router.handle_result)."""

CallbackDelivery = Callable[[str, Any], Awaitable[None]]
"""deliver_callback(url, json_body): one POST to a callbackUrl (interface.md §7.3)."""

OutboundGate = Callable[[str, str, JsonObject], Awaitable[str | None]]
"""outbound_gate(station_id, action, payload): a refusal text, or None to send (interface.md
§4.5: a Rejected station gets only TriggerMessage(BootNotification)). Runs on the instance
holding the station's socket."""

# The owner answers "queued" as soon as the call is on its station's queue: a short wait.
QUEUED_REPLY_TIMEOUT = 5.0
# Extra time for the owner's final reply to cross the broker after the station's deadline.
REMOTE_GRACE = 5.0


@dataclass(slots=True)
class CommandResult:
    """One element of the message API's answer array (interface.md §7.2)."""

    success: bool
    payload: Any = None
    message_id: str | None = None
    timed_out: bool = False

    def to_wire(self) -> Message:
        return asdict(self)

    @classmethod
    def from_wire(cls, body: Message) -> CommandResult:
        message_id = body.get("message_id")
        return cls(
            success=bool(body.get("success")),
            payload=body.get("payload"),
            message_id=message_id if isinstance(message_id, str) else None,
            timed_out=bool(body.get("timed_out")),
        )


@dataclass(frozen=True, slots=True)
class _Command:
    station_id: str
    action: str
    payload: JsonObject
    wait: bool
    timeout: float
    callback_url: str | None
    tenant_id: int

    @classmethod
    def from_wire(cls, body: Message) -> _Command:
        return cls(
            station_id=str(body["station_id"]),
            action=str(body["action"]),
            payload=dict(body["payload"]),
            wait=bool(body["wait"]),
            timeout=float(body["timeout"]),
            callback_url=body.get("callback_url"),
            tenant_id=int(body.get("tenant_id", 1)),
        )


def not_connected_text(station_id: str, tenant_id: int = 1) -> str:
    return f"No connection found for identifier: {tenant_id}:{station_id}"


def error_payload(error: CallError) -> JsonObject:
    """A CALLERROR as the API and callbacks show it (interface.md §7.2, §7.3)."""
    return {
        "errorCode": error.code,
        "errorDescription": error.description,
        "errorDetails": error.details,
    }


def _timed_out(seconds: float, message_id: str | None) -> CommandResult:
    return CommandResult(False, f"Timed out after {seconds:g} s", message_id, timed_out=True)


async def _no_callback(url: str, body: Any) -> None:
    """Callback delivery is wired later (services/callbacks.py)."""


async def _no_result_route(
    station_id: str, action: str, request: JsonObject, response: JsonObject
) -> None:
    """No CALLRESULT routes wired."""


async def _not_recorded(
    station_id: str, action: str, request: JsonObject, unanswered: Unanswered
) -> None:
    """Unanswered calls are only in the message log."""


class CommandService:
    def __init__(
        self,
        *,
        connections: ConnectionManager,
        broker: Broker | None = None,
        instance_id: str | None = None,
        call_timeout: float = 30.0,
        on_result: ResultHandler | None = None,
        deliver_callback: CallbackDelivery | None = None,
        outbound_gate: OutboundGate | None = None,
        on_unanswered: UnansweredHandler | None = None,
    ) -> None:
        # Remote commands travel on the connection manager's rpc endpoint (one request channel
        # per instance, design.md §5), so `broker` is not used directly.
        del broker
        self._connections = connections
        self._instance_id = instance_id or connections.instance_id
        self._call_timeout = call_timeout
        self._on_result = on_result or _no_result_route
        self._deliver_callback = deliver_callback or _no_callback
        self._outbound_gate = outbound_gate
        self._on_unanswered = on_unanswered or _not_recorded
        self._tasks = TaskSupervisor("commands")
        connections.rpc.handle("command", self._serve_remote)

    async def stop(self, grace: float = 0.0) -> None:
        """Give outstanding calls `grace` seconds to finish (drain), then cancel them."""
        await self._tasks.close(grace=grace)

    async def send(
        self,
        station_id: str,
        action: str,
        payload: JsonObject,
        *,
        wait: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - the station's deadline, not ours
        callback_url: str | None = None,
        tenant_id: int = 1,
    ) -> CommandResult:
        seconds = self._call_timeout if timeout is None else timeout
        command = _Command(station_id, action, payload, wait, seconds, callback_url, tenant_id)
        link = self._connections.local(station_id)
        if link is not None:
            return await self._send_local(link, command)
        owner = await self._connections.remote_owner(station_id)
        if owner is None:
            return await self._not_sent(command, not_connected_text(station_id, tenant_id))
        return await self._send_remote(owner, command)

    async def refuse(
        self, station_id: str, action: str, payload: JsonObject, reason: str, *, tenant_id: int = 1
    ) -> CommandResult:
        """A call its caller will not send (the message API's route preconditions, interface.md
        §7.4), answered and recorded like any other call that never left."""
        command = _Command(station_id, action, payload, False, self._call_timeout, None, tenant_id)
        return await self._not_sent(command, reason)

    # -- on the owning instance -----------------------------------------------------------------

    async def _send_local(self, link: StationLink, command: _Command) -> CommandResult:
        started = await self._begin(link, command)
        if isinstance(started, CommandResult):
            return started
        call, outcome = started
        if not command.wait:
            return CommandResult(True, message_id=call.message_id)
        # Shielded: a caller that gives up must not cancel the result route or the callback.
        return await asyncio.shield(outcome)

    async def _begin(
        self, link: StationLink, command: _Command
    ) -> tuple[OutboundCall, asyncio.Task[CommandResult]] | CommandResult:
        """Gate and queue the call and follow it through; a call that does not get queued is
        answered (and recorded) here."""
        reason = await self._refusal(command)
        if reason is None:
            started = self._start(link, command)
            if not isinstance(started, str):
                return started
            reason = started
        return await self._not_sent(command, reason)

    async def _refusal(self, command: _Command) -> str | None:
        if self._outbound_gate is None:
            return None
        return await self._outbound_gate(command.station_id, command.action, command.payload)

    def _start(
        self, link: StationLink, command: _Command
    ) -> tuple[OutboundCall, asyncio.Task[CommandResult]] | str:
        """The queued call and its follow-through task, or why it was not queued."""
        try:
            call = link.submit(command.action, command.payload, timeout=command.timeout)
        except OutboundQueueFull:
            return f"Outbound queue full for {command.station_id}"
        except LinkClosed:
            return not_connected_text(command.station_id, command.tenant_id)
        except OcppError as error:
            # The payload failed the request schema: a bug or an invalid request, never sent.
            return f"{command.action} request not sent ({error.code}): {error.description}"
        outcome = self._tasks.spawn(
            self._follow_through(command, call), name=f"command:{command.station_id}"
        )
        return call, outcome

    async def _follow_through(self, command: _Command, call: OutboundCall) -> CommandResult:
        try:
            frame = await call.outcome()
        except CallTimeout:
            timed_out = _timed_out(command.timeout, call.message_id)
            await self._unanswered(command, Unanswered("Timeout", str(timed_out.payload)))
            return timed_out
        except LinkClosed:
            # Queued or already on the wire: either way the station's answer can no longer come.
            closed = Unanswered("Disconnected", "Connection closed before the station answered")
            await self._unanswered(command, closed)
            text = not_connected_text(command.station_id, command.tenant_id)
            return CommandResult(False, text, call.message_id)
        if isinstance(frame, CallResult):
            await self._run_result_route(command, call.payload, frame.payload)
            self._post_callback(command.callback_url, frame.payload)
            return CommandResult(True, frame.payload, call.message_id)
        error = error_payload(frame)
        await self._unanswered(command, Unanswered("CallError", frame.description, error))
        self._post_callback(command.callback_url, error)
        return CommandResult(False, error, call.message_id)

    async def _run_result_route(
        self, command: _Command, request: JsonObject, response: JsonObject
    ) -> None:
        try:
            await self._on_result(command.station_id, command.action, request, response)
        except Exception:
            log.exception(
                "CALLRESULT handling failed", station_id=command.station_id, action=command.action
            )

    async def _not_sent(self, command: _Command, reason: str) -> CommandResult:
        await self._unanswered(command, Unanswered("NotSent", reason))
        return CommandResult(False, reason)

    async def _unanswered(self, command: _Command, unanswered: Unanswered) -> None:
        try:
            await self._on_unanswered(
                command.station_id, command.action, command.payload, unanswered
            )
        except Exception:
            log.exception(
                "recording an unanswered call failed",
                station_id=command.station_id,
                action=command.action,
            )

    def _post_callback(self, url: str | None, body: Any) -> None:
        if url:
            self._tasks.spawn(self._deliver(url, body), name="command:callback")

    async def _deliver(self, url: str, body: Any) -> None:
        try:
            await self._deliver_callback(url, body)
        except Exception:
            log.warning("callback delivery failed", url=url, exc_info=True)

    async def _serve_remote(self, body: Message, replier: Replier) -> Message:
        command = _Command.from_wire(body)
        link = self._connections.local(command.station_id)
        if link is None:
            text = not_connected_text(command.station_id, command.tenant_id)
            return (await self._not_sent(command, text)).to_wire()
        started = await self._begin(link, command)
        if isinstance(started, CommandResult):
            return started.to_wire()
        call, outcome = started
        queued = CommandResult(True, message_id=call.message_id)
        if not command.wait:
            return queued.to_wire()
        await replier.progress(queued.to_wire())
        return (await asyncio.shield(outcome)).to_wire()

    # -- on the requesting instance -------------------------------------------------------------

    async def _send_remote(self, owner: str, command: _Command) -> CommandResult:
        wait_for = command.timeout + REMOTE_GRACE if command.wait else QUEUED_REPLY_TIMEOUT
        deadline = asyncio.get_running_loop().time() + wait_for
        message_id: str | None = None
        try:
            async with self._connections.rpc.exchange(owner, "command", asdict(command)) as replies:
                while True:
                    reply = await replies.next(deadline)
                    result = CommandResult.from_wire(reply.body)
                    if reply.final:
                        return result
                    message_id = result.message_id
        except RpcTimeout:
            # Not recorded as unanswered here: the owner decides (and records) the call's outcome
            # once it has it; this instance only stopped waiting for it.
            log.warning(
                "no reply from the owning instance", station_id=command.station_id, to=owner
            )
            return _timed_out(command.timeout if command.wait else wait_for, message_id)
        except RemoteError as error:
            log.error("owning instance failed the command", station_id=command.station_id, to=owner)
            return CommandResult(False, f"Command failed on the owning instance: {error}")
