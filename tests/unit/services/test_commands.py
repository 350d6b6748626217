"""CommandService.send on one instance (interface.md §7.2, §7.3): each outcome's element shape,
the CALLRESULT route, the report of calls that got no CALLRESULT and the callback seam. Real
services on a real database; the station socket is a FakeLink."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.cluster.fakes import FakeLink
from tests.helpers import FakeClock
from tourmaline.cluster.broker import MemoryBroker
from tourmaline.cluster.registry import MemoryRegistry
from tourmaline.db.writer import MessageLogWriter
from tourmaline.ocpp.errors import PropertyConstraintViolation
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.commands import CommandResult, CommandService
from tourmaline.services.connections import ConnectionManager
from tourmaline.services.ports import Unanswered
from tourmaline.services.stations import StationService
from tourmaline.transport.ports import CallTimeout, OutboundQueueFull

RESET = {"type": "Immediate"}


class Harness:
    """One instance's ConnectionManager and CommandService, recording what the CALLRESULT route,
    the unanswered-call report and the callback seam receive."""

    def __init__(
        self, stations: StationService, writer: MessageLogWriter, clock: FakeClock
    ) -> None:
        self.results: list[tuple[str, str, JsonObject, JsonObject]] = []
        self.callbacks: list[tuple[str, Any]] = []
        self.unanswered: list[tuple[str, str, JsonObject, Unanswered]] = []
        self.failing_route = False
        self.failing_report = False
        self.connections = ConnectionManager(
            instance_id="solo",
            registry=MemoryRegistry(),
            broker=MemoryBroker(),
            stations=stations,
            writer=writer,
            clock=clock,
        )
        self.commands = CommandService(
            connections=self.connections,
            call_timeout=30,
            on_result=self.on_result,
            deliver_callback=self.deliver,
            on_unanswered=self.on_unanswered,
        )

    async def on_result(self, sid: str, action: str, req: JsonObject, resp: JsonObject) -> None:
        if self.failing_route:
            raise RuntimeError("result route bug")
        self.results.append((sid, action, req, resp))

    async def on_unanswered(
        self, sid: str, action: str, req: JsonObject, unanswered: Unanswered
    ) -> None:
        if self.failing_report:
            raise RuntimeError("unanswered report bug")
        self.unanswered.append((sid, action, req, unanswered))

    async def deliver(self, url: str, body: Any) -> None:
        self.callbacks.append((url, body))

    async def connect(self, station_id: str = "cp1") -> FakeLink:
        link = FakeLink(station_id)
        await self.connections.opened(link)
        return link

    async def settled(self) -> None:
        """Let background follow-through tasks run to completion."""
        async with asyncio.timeout(5):
            while len(self.commands._tasks):
                await asyncio.sleep(0)


@pytest.fixture
async def harness(
    stations: StationService, writer: MessageLogWriter, clock: FakeClock
) -> AsyncIterator[Harness]:
    h = Harness(stations, writer, clock)
    await h.connections.start()
    yield h
    await h.commands.stop()
    await h.connections.stop()


async def test_station_not_connected(harness: Harness) -> None:
    result = await harness.commands.send("cp9", "Reset", RESET, tenant_id=1)

    assert result == CommandResult(False, "No connection found for identifier: 1:cp9")
    assert harness.unanswered == [
        ("cp9", "Reset", RESET, Unanswered("NotSent", "No connection found for identifier: 1:cp9"))
    ]


async def test_queued_call_is_confirmed_then_answered_in_the_background(harness: Harness) -> None:
    link = await harness.connect()

    result = await harness.commands.send("cp1", "Reset", RESET, callback_url="http://cb/1")
    call = link.calls[0]

    assert result == CommandResult(True, None, call.message_id)
    assert harness.results == []
    call.respond({"status": "Accepted"})
    await harness.settled()
    assert harness.results == [("cp1", "Reset", RESET, {"status": "Accepted"})]
    assert harness.callbacks == [("http://cb/1", {"status": "Accepted"})]
    assert harness.unanswered == []


async def test_waiting_call_returns_the_call_result(harness: Harness) -> None:
    link = await harness.connect()

    sending = asyncio.create_task(harness.commands.send("cp1", "Reset", RESET, wait=True))
    (await link.next_call()).respond({"status": "Rejected"})
    result = await sending

    assert result == CommandResult(True, {"status": "Rejected"}, link.calls[0].message_id)
    assert harness.results == [("cp1", "Reset", RESET, {"status": "Rejected"})]


async def test_waiting_call_returns_a_call_error_object(harness: Harness) -> None:
    link = await harness.connect()

    sending = asyncio.create_task(
        harness.commands.send("cp1", "Reset", RESET, wait=True, callback_url="http://cb/2")
    )
    (await link.next_call()).respond_error("NotSupported", "no reset here")
    result = await sending
    await harness.settled()

    error = {
        "errorCode": "NotSupported",
        "errorDescription": "no reset here",
        "errorDetails": {"k": "v"},
    }
    assert result == CommandResult(False, error, link.calls[0].message_id)
    assert harness.callbacks == [("http://cb/2", error)]
    assert harness.results == []
    assert harness.unanswered == [
        ("cp1", "Reset", RESET, Unanswered("CallError", "no reset here", error))
    ]


async def test_timeout_names_the_deadline_and_posts_nothing(harness: Harness) -> None:
    link = await harness.connect()

    sending = asyncio.create_task(
        harness.commands.send(
            "cp1", "Reset", RESET, wait=True, timeout=2.5, callback_url="http://cb/3"
        )
    )
    (await link.next_call()).fail(CallTimeout())
    result = await sending

    assert result == CommandResult(False, "Timed out after 2.5 s", link.calls[0].message_id, True)
    assert harness.callbacks == []
    assert harness.unanswered == [
        ("cp1", "Reset", RESET, Unanswered("Timeout", "Timed out after 2.5 s"))
    ]


async def test_socket_closing_mid_call_reads_as_not_connected(harness: Harness) -> None:
    link = await harness.connect()

    sending = asyncio.create_task(harness.commands.send("cp1", "Reset", RESET, wait=True))
    await link.next_call()
    await link.close(1006, "")
    result = await sending

    assert (result.success, result.payload) == (
        False,
        "No connection found for identifier: 1:cp1",
    )
    closed = Unanswered("Disconnected", "Connection closed before the station answered")
    assert harness.unanswered == [("cp1", "Reset", RESET, closed)]


async def test_full_outbound_queue(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    link = await harness.connect()

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OutboundQueueFull()

    monkeypatch.setattr(link, "submit", full)
    result = await harness.commands.send("cp1", "Reset", RESET)

    assert result == CommandResult(False, "Outbound queue full for cp1")
    assert harness.unanswered == [
        ("cp1", "Reset", RESET, Unanswered("NotSent", "Outbound queue full for cp1"))
    ]


async def test_payload_refused_by_the_request_schema_is_not_sent(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = await harness.connect()

    def invalid(*args: Any, **kwargs: Any) -> Any:
        raise PropertyConstraintViolation("type: 'Sometime' is not one of the allowed values")

    monkeypatch.setattr(link, "submit", invalid)
    result = await harness.commands.send("cp1", "Reset", {"type": "Sometime"}, wait=True)

    assert result.success is False
    assert result.payload == (
        "Reset request not sent (PropertyConstraintViolation): "
        "type: 'Sometime' is not one of the allowed values"
    )
    assert result.message_id is None
    assert [(u.outcome, u.reason) for *_, u in harness.unanswered] == [("NotSent", result.payload)]


async def test_default_and_explicit_deadlines_reach_the_link(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = await harness.connect()
    seen: list[float] = []
    real_submit = link.submit

    def recording(action: str, payload: JsonObject, *, timeout: float) -> Any:
        seen.append(timeout)
        return real_submit(action, payload, timeout=timeout)

    monkeypatch.setattr(link, "submit", recording)
    await harness.commands.send("cp1", "Reset", RESET)
    await harness.commands.send("cp1", "Reset", RESET, timeout=7)

    assert seen == [30, 7]


async def test_failing_result_route_does_not_hide_the_answer(harness: Harness) -> None:
    harness.failing_route = True
    link = await harness.connect()

    sending = asyncio.create_task(harness.commands.send("cp1", "Reset", RESET, wait=True))
    (await link.next_call()).respond({"status": "Accepted"})

    assert (await sending).payload == {"status": "Accepted"}


async def test_a_failing_unanswered_report_does_not_hide_the_outcome(harness: Harness) -> None:
    harness.failing_report = True

    result = await harness.commands.send("cp9", "Reset", RESET)

    assert result == CommandResult(False, "No connection found for identifier: 1:cp9")


async def test_a_refused_call_is_answered_and_reported_like_one_not_sent(
    harness: Harness,
) -> None:
    link = await harness.connect()

    result = await harness.commands.refuse("cp1", "Reset", RESET, "not this one", tenant_id=2)

    assert result == CommandResult(False, "not this one")
    assert harness.unanswered == [("cp1", "Reset", RESET, Unanswered("NotSent", "not this one"))]
    assert link.calls == []


async def test_caller_giving_up_does_not_cancel_the_result_route(harness: Harness) -> None:
    link = await harness.connect()

    sending = asyncio.create_task(harness.commands.send("cp1", "Reset", RESET, wait=True))
    call = await link.next_call()
    sending.cancel()
    call.respond({"status": "Accepted"})
    await harness.settled()

    assert harness.results == [("cp1", "Reset", RESET, {"status": "Accepted"})]
