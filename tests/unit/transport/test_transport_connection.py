"""Frames on a live socket: errors, ordering, outbound slot, timeouts, de-dup, lifecycle."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import PerMessageDeflate

from tests.unit.transport.conftest import StartServer
from tests.unit.transport.fakes import Harness, heartbeat_answer
from tourmaline.ocpp.errors import OcppError
from tourmaline.ocpp.rpc import Call, CallError, CallResult
from tourmaline.transport.ports import CallTimeout, LinkClosed, OutboundQueueFull, Reply

RESET = {"type": "Immediate"}


async def receive(client: ClientConnection) -> list[Any]:
    message = await asyncio.wait_for(client.recv(), 5)
    result: list[Any] = json.loads(message)
    return result


async def heartbeat(client: ClientConnection, message_id: str = "hb-1") -> list[Any]:
    await client.send(json.dumps([2, message_id, "Heartbeat", {}]))
    return await receive(client)


async def test_malformed_frame_gets_rpc_framework_error_and_socket_keeps_serving(
    harness: Harness,
) -> None:
    async with harness.station() as client:
        await client.send("not json")
        error = await receive(client)
        answer = await heartbeat(client)

    assert error == [4, "-1", "RpcFrameworkError", "Invalid OCPP-J frame", {}]
    assert answer[:2] == [3, "hb-1"]
    unparseable = harness.hooks.frames[0]
    assert (unparseable.origin, unparseable.text, unparseable.message_type_id) == (
        "cs",
        "not json",
        None,
    )


async def test_frame_above_soft_limit_gets_callerror_and_socket_keeps_serving(
    harness: Harness,
) -> None:
    big = json.dumps([2, "big-1", "DataTransfer", {"vendorId": "x", "data": "y" * 5000}])
    async with harness.station() as client:
        await client.send(big)
        error = await receive(client)
        answer = await heartbeat(client)

    assert error[:3] == [4, "big-1", "FormatViolation"]
    assert answer[:2] == [3, "hb-1"]
    assert [call.message_id for call in harness.dispatcher.calls] == ["hb-1"]


async def test_frame_above_hard_limit_closes_1009(harness: Harness) -> None:
    async with harness.station() as client:
        await client.send("[" + " " * 9000 + "]")
        with pytest.raises(ConnectionClosed):
            await receive(client)

    await asyncio.wait_for(harness.hooks.is_closed.wait(), 5)
    assert harness.hooks.closes[0][1] == 1009


async def test_inbound_calls_are_answered_in_arrival_order(harness: Harness) -> None:
    release = asyncio.Event()

    async def slow_first(call: Call) -> Reply:
        if call.message_id == "first":
            await release.wait()
        return Reply(heartbeat_answer(call))

    harness.dispatcher.handler = slow_first
    async with harness.station() as client:
        await client.send(json.dumps([2, "first", "Heartbeat", {}]))
        await client.send(json.dumps([2, "second", "Heartbeat", {}]))
        await asyncio.sleep(0.05)
        assert [call.message_id for call in harness.dispatcher.calls] == ["first"]
        release.set()
        answers = [await receive(client), await receive(client)]

    assert [answer[1] for answer in answers] == ["first", "second"]


async def test_calls_cross_while_an_outbound_call_is_outstanding(harness: Harness) -> None:
    async with harness.station() as client:
        outbound = harness.hooks.link.submit("Reset", RESET, timeout=5)
        sent = await receive(client)
        answer = await heartbeat(client)
        await client.send(json.dumps([3, sent[1], {"status": "Accepted"}]))
        result = await asyncio.wait_for(outbound.outcome(), 5)

    assert sent == [2, outbound.message_id, "Reset", RESET]
    assert answer[:2] == [3, "hb-1"]
    assert result == CallResult(outbound.message_id, {"status": "Accepted"})
    assert (harness.hooks.link.station_id, outbound.message_id, "answered") in (
        harness.hooks.outcomes
    )


async def test_outbound_calls_go_one_at_a_time(harness: Harness) -> None:
    async with harness.station() as client:
        link = harness.hooks.link
        first = link.submit("Reset", RESET, timeout=5)
        second = link.submit("Reset", {"type": "OnIdle"}, timeout=5)
        assert (await receive(client))[1] == first.message_id
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.recv(), 0.1)
        await client.send(json.dumps([3, first.message_id, {"status": "Accepted"}]))
        sent_second = await receive(client)
        await client.send(json.dumps([4, second.message_id, "NotSupported", "no", {}]))
        second_result = await asyncio.wait_for(second.outcome(), 5)

    assert sent_second[1:3] == [second.message_id, "Reset"]
    assert isinstance(second_result, CallError)
    assert second_result.code == "NotSupported"


async def test_queue_full_and_invalid_payload_are_refused_before_sending(
    start_server: StartServer,
) -> None:
    harness = await start_server(outbound_queue_size=1)
    async with harness.station() as client:
        link = harness.hooks.link
        with pytest.raises(OcppError):
            link.submit("Reset", {"type": "Sometime"}, timeout=5)
        link.submit("Reset", RESET, timeout=5)
        link.submit("Reset", RESET, timeout=5)
        with pytest.raises(OutboundQueueFull):
            link.submit("Reset", RESET, timeout=5)
        assert (await receive(client))[3] == RESET


async def test_timeout_then_late_answer_is_reported_late(harness: Harness) -> None:
    async with harness.station() as client:
        call = harness.hooks.link.submit("Reset", RESET, timeout=0.1)
        sent = await receive(client)
        with pytest.raises(CallTimeout):
            await asyncio.wait_for(call.outcome(), 5)
        await client.send(json.dumps([3, sent[1], {"status": "Accepted"}]))
        await heartbeat(client)

    outcomes = [
        outcome for _, message_id, outcome in harness.hooks.outcomes if message_id == sent[1]
    ]
    assert outcomes == ["timeout", "late"]
    late_frame = next(
        f for f in harness.hooks.frames if f.origin == "cs" and f.message_id == sent[1]
    )
    assert late_frame.outcome == "late"


async def test_callresult_failing_the_response_schema_ends_as_format_violation(
    harness: Harness,
) -> None:
    async with harness.station() as client:
        call = harness.hooks.link.submit("Reset", RESET, timeout=5)
        sent = await receive(client)
        await client.send(json.dumps([3, sent[1], {"status": "Maybe"}]))
        result = await asyncio.wait_for(call.outcome(), 5)

    assert isinstance(result, CallError)
    assert result.code == "FormatViolation"
    assert result.details["source"] == "csms"


async def test_repeated_call_is_answered_from_memory(harness: Harness) -> None:
    async with harness.station() as client:
        first = await heartbeat(client, "same-id")
        second = await heartbeat(client, "same-id")

    assert first == second
    assert len(harness.dispatcher.calls) == 1


async def test_follow_up_runs_after_the_answer_was_sent(harness: Harness) -> None:
    sent_before_follow_up: list[bool] = []

    async def with_follow_up(call: Call) -> Reply:
        async def follow_up() -> None:
            sent_before_follow_up.append(any(f.origin == "csms" for f in harness.hooks.frames))

        return Reply(heartbeat_answer(call), follow_up)

    harness.dispatcher.handler = with_follow_up
    async with harness.station() as client:
        await heartbeat(client)
        await asyncio.sleep(0.05)

    assert sent_before_follow_up == [True]


async def test_permessage_deflate_is_negotiated(start_server: StartServer) -> None:
    harness = await start_server()
    async with harness.station() as client:
        extensions = client.protocol.extensions
        assert await heartbeat(client)

    assert [type(extension) for extension in extensions] == [PerMessageDeflate]


async def test_compression_can_be_switched_off(start_server: StartServer) -> None:
    harness = await start_server(compression=False)
    async with harness.station() as client:
        assert client.protocol.extensions == []


async def test_server_close_sends_1001_and_closed_hook_runs_once(harness: Harness) -> None:
    async with harness.station() as client:
        pending = harness.hooks.link.submit("Reset", RESET, timeout=5)
        await harness.server.close()
        with pytest.raises(LinkClosed):
            await asyncio.wait_for(pending.outcome(), 5)

    assert (client.close_code, client.close_reason) == (1001, "Server shutting down")
    assert [(code, reason) for _, code, reason in harness.hooks.closes] == [
        (1001, "Server shutting down")
    ]


async def test_link_close_replaces_and_fails_queued_calls(harness: Harness) -> None:
    async with harness.station() as client:
        link = harness.hooks.link
        link.submit("Reset", RESET, timeout=5)
        queued = link.submit("Reset", RESET, timeout=5)
        await link.close(1000, "Replaced by a newer connection")
        with pytest.raises(LinkClosed):
            await asyncio.wait_for(queued.outcome(), 5)
        with pytest.raises(LinkClosed):
            link.submit("Reset", RESET, timeout=5)

    assert client.close_code == 1000
    assert client.close_reason == "Replaced by a newer connection"
    assert len(harness.hooks.closes) == 1
    assert (link.station_id, queued.message_id, "not_sent") in harness.hooks.outcomes


async def test_failed_registration_closes_1011(harness: Harness) -> None:
    harness.hooks.fail_open = True
    from websockets.asyncio.client import connect

    async with connect(harness.url(), subprotocols=["ocpp2.0.1"], open_timeout=5) as client:  # type: ignore[list-item]
        with pytest.raises(ConnectionClosed):
            await receive(client)

    assert client.close_code == 1011


async def test_silent_station_is_closed_1011_not_alive(start_server: StartServer) -> None:
    harness = await start_server(ping_interval=0.1)
    reader, writer = await asyncio.open_connection("127.0.0.1", harness.server.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            "GET /cp-silent HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: ocpp2.0.1\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    # Never answer the pings: read until the server gives up on us.
    received = await asyncio.wait_for(reader.read(-1), 5)
    writer.close()

    await asyncio.wait_for(harness.hooks.is_closed.wait(), 5)
    assert harness.hooks.closes[0][1:] == (1011, "Client is not alive")
    assert b"Client is not alive" in received
