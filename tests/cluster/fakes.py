"""The outside edge of the connection manager: a station socket (`FakeLink`) as the transport
would register it, whose CSMS calls the test answers, fails or lets time out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from tourmaline.ocpp.rpc import CallError, CallResult, JsonObject
from tourmaline.transport.ports import LinkClosed, ListenerInfo

__all__ = ["FakeCall", "FakeLink"]


class FakeCall:
    def __init__(self, message_id: str, action: str, payload: JsonObject) -> None:
        self.message_id = message_id
        self.action = action
        self.payload = payload
        self.answer: asyncio.Future[CallResult | CallError] = (
            asyncio.get_running_loop().create_future()
        )

    async def outcome(self) -> CallResult | CallError:
        return await self.answer

    def respond(self, payload: JsonObject) -> None:
        self.answer.set_result(CallResult(self.message_id, payload))

    def respond_error(self, code: str, description: str = "") -> None:
        self.answer.set_result(CallError(self.message_id, code, description, {"k": "v"}))

    def fail(self, error: Exception) -> None:
        self.answer.set_exception(error)


@dataclass(eq=False)
class FakeLink:
    station_id: str
    listener: ListenerInfo = field(default_factory=lambda: ListenerInfo("0", 0, True))
    subprotocol: str = "ocpp2.0.1"
    calls: list[FakeCall] = field(default_factory=list)
    closed_with: tuple[int, str] | None = None
    closed_event: asyncio.Event = field(default_factory=asyncio.Event)
    submitted: asyncio.Event = field(default_factory=asyncio.Event)

    def submit(self, action: str, payload: JsonObject, *, timeout: float) -> FakeCall:
        if self.closed_with is not None:
            raise LinkClosed(self.station_id)
        call = FakeCall(f"{self.station_id}-{len(self.calls) + 1}", action, payload)
        self.calls.append(call)
        self.submitted.set()
        return call

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = (code, reason)
        for call in self.calls:
            if not call.answer.done():
                call.fail(LinkClosed(self.station_id))
        self.closed_event.set()

    async def wait_closed(self) -> tuple[int, str] | None:
        await asyncio.wait_for(self.closed_event.wait(), timeout=5)
        return self.closed_with

    async def next_call(self) -> FakeCall:
        await asyncio.wait_for(self.submitted.wait(), timeout=5)
        return self.calls[-1]
