"""SimulatedStation against a small scripted OCPP server on a real loopback socket."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.http11 import Request, Response

from tourmaline.sim import (
    CallErrorReceived,
    ReplyWithCallError,
    SimulatedStation,
    StationDisconnected,
)

Reply = Callable[[list[Any]], Awaitable[list[Any] | None]]


@dataclass
class ScriptedServer:
    """Answers each CALL with `reply(frame)`; records every frame and the handshake headers."""

    url: str = ""
    reply: Reply | None = None
    frames: list[list[Any] | str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""
    connection: ServerConnection | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    answers: asyncio.Queue[list[Any]] = field(default_factory=asyncio.Queue)

    async def handle(self, ws: ServerConnection) -> None:
        self.connection = ws
        self.headers = dict(ws.request.headers) if ws.request else {}
        self.path = ws.request.path if ws.request else ""
        self.connected.set()
        with contextlib.suppress(ConnectionClosed):
            async for text in ws:
                await self._on_frame(ws, str(text))

    async def _on_frame(self, ws: ServerConnection, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            self.frames.append(text)
            await ws.send('[4,"-1","RpcFrameworkError","Invalid OCPP-J frame",{}]')
            return
        self.frames.append(frame)
        if frame[0] != 2:
            await self.answers.put(frame)
            return
        answer = await self.reply(frame) if self.reply else [3, frame[1], {}]
        if answer is not None:
            await ws.send(json.dumps(answer))

    async def csms_call(self, message_id: str, action: str, payload: dict[str, Any]) -> list[Any]:
        assert self.connection is not None
        await self.connection.send(json.dumps([2, message_id, action, payload]))
        return await asyncio.wait_for(self.answers.get(), 5)


def _refuse_wrong_password(ws: ServerConnection, request: Request) -> Response | None:
    if request.path.endswith("/locked") and request.headers.get("Authorization") is None:
        return ws.respond(HTTPStatus.UNAUTHORIZED, "")
    return None


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    scripted = ScriptedServer()
    async with serve(
        scripted.handle,
        "127.0.0.1",
        0,
        subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
        process_request=_refuse_wrong_password,
    ) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        scripted.url = f"ws://127.0.0.1:{port}/ocpp"
        yield scripted


async def test_boot_and_heartbeat_round_trip(server: ScriptedServer) -> None:
    async def reply(frame: list[Any]) -> list[Any]:
        if frame[2] == "BootNotification":
            return [3, frame[1], {"status": "Accepted", "currentTime": "t", "interval": 60}]
        return [3, frame[1], {"currentTime": "t"}]

    server.reply = reply
    async with SimulatedStation(server.url, "CP 1", id_prefix="cp1-") as station:
        assert station.subprotocol == "ocpp2.0.1"
        assert (await station.boot())["status"] == "Accepted"
        assert await station.heartbeat() == {"currentTime": "t"}
    assert server.path == "/ocpp/CP%201"
    boot, heartbeat = server.frames
    assert isinstance(boot, list) and isinstance(heartbeat, list)
    assert boot[:3] == [2, "cp1-1", "BootNotification"]
    assert boot[3]["reason"] == "PowerUp"
    assert heartbeat == [2, "cp1-2", "Heartbeat", {}]


async def test_password_is_sent_as_basic_auth_with_the_station_id(server: ScriptedServer) -> None:
    async with SimulatedStation(server.url, "CP2", password="s3cret-password-16"):
        await asyncio.wait_for(server.connected.wait(), 5)
    expected = base64.b64encode(b"CP2:s3cret-password-16").decode()
    assert server.headers["authorization"] == f"Basic {expected}"


async def test_handshake_refusal_surfaces_the_http_status(server: ScriptedServer) -> None:
    station = SimulatedStation(server.url, "locked")
    with pytest.raises(InvalidStatus) as refused:
        await station.connect()
    assert refused.value.response.status_code == 401


async def test_status_notification_sends_an_aware_timestamp(server: ScriptedServer) -> None:
    async with SimulatedStation(server.url, "CP3") as station:
        await station.status_notification(1, 2, "Available")
    frame = server.frames[0]
    assert isinstance(frame, list)
    assert frame[3]["timestamp"].endswith("Z")
    assert {k: frame[3][k] for k in ("evseId", "connectorId", "connectorStatus")} == {
        "evseId": 1,
        "connectorId": 2,
        "connectorStatus": "Available",
    }


async def test_call_error_raises_with_code_description_and_details(server: ScriptedServer) -> None:
    async def refuse(frame: list[Any]) -> list[Any]:
        return [4, frame[1], "SecurityError", "Action Heartbeat not allowed", {"why": "Pending"}]

    server.reply = refuse
    async with SimulatedStation(server.url, "CP4") as station:
        with pytest.raises(CallErrorReceived) as error:
            await station.heartbeat()
    assert error.value.code == "SecurityError"
    assert error.value.description == "Action Heartbeat not allowed"
    assert error.value.details == {"why": "Pending"}


async def test_only_one_call_is_outstanding_at_a_time(server: ScriptedServer) -> None:
    release = asyncio.Event()

    async def slow_first(frame: list[Any]) -> list[Any]:
        if frame[1] == "1":
            await release.wait()
        return [3, frame[1], {"n": frame[1]}]

    server.reply = slow_first
    async with SimulatedStation(server.url, "CP5") as station:
        first = asyncio.create_task(station.heartbeat())
        second = asyncio.create_task(station.heartbeat())
        while not server.frames:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert len(server.frames) == 1
        release.set()
        assert await first == {"n": "1"}
        assert await second == {"n": "2"}


async def test_unanswered_call_times_out(server: ScriptedServer) -> None:
    async def silent(frame: list[Any]) -> None:
        return None

    server.reply = silent
    async with SimulatedStation(server.url, "CP6") as station:
        with pytest.raises(TimeoutError):
            await station.heartbeat(timeout=0.1)


async def test_csms_calls_go_to_handlers_and_are_recorded(server: ScriptedServer) -> None:
    async def reset(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Scheduled"}

    def refuse_unlock(payload: dict[str, Any]) -> dict[str, Any]:
        raise ReplyWithCallError("OccurrenceConstraintViolation", "no such evse", {"evseId": 9})

    async with SimulatedStation(server.url, "CP7") as station:
        station.on("Reset", reset)
        station.on("GetBaseReport", lambda payload: {"status": "Accepted"})
        station.on("UnlockConnector", refuse_unlock)
        await asyncio.wait_for(server.connected.wait(), 5)
        assert await server.csms_call("a", "Reset", {"type": "Immediate"}) == [
            3,
            "a",
            {"status": "Scheduled"},
        ]
        answer = await server.csms_call("b", "GetBaseReport", {"requestId": 1})
        assert answer == [3, "b", {"status": "Accepted"}]
        unlock = await server.csms_call("c", "UnlockConnector", {"evseId": 9, "connectorId": 1})
        assert unlock[2:] == ["OccurrenceConstraintViolation", "no such evse", {"evseId": 9}]
        unknown = await server.csms_call("d", "SetDisplayMessage", {})
        assert unknown[0] == 4 and unknown[2] == "NotImplemented"
        assert [action for action, _ in station.received_calls] == [
            "Reset",
            "GetBaseReport",
            "UnlockConnector",
            "SetDisplayMessage",
        ]


async def test_handler_may_send_its_own_call_while_answering(server: ScriptedServer) -> None:
    async with SimulatedStation(server.url, "CP8") as station:

        async def trigger(payload: dict[str, Any]) -> dict[str, Any]:
            await station.heartbeat()
            return {"status": "Accepted"}

        station.on("TriggerMessage", trigger)
        await asyncio.wait_for(server.connected.wait(), 5)
        answer = await server.csms_call("t1", "TriggerMessage", {"requestedMessage": "Heartbeat"})
        assert answer == [3, "t1", {"status": "Accepted"}]
    assert [frame[2] for frame in server.frames if isinstance(frame, list) and frame[0] == 2] == [
        "Heartbeat"
    ]


async def test_raw_frames_reach_the_server_and_unmatched_replies_reach_recv_raw(
    server: ScriptedServer,
) -> None:
    async with SimulatedStation(server.url, "CP9") as station:
        await station.send_raw('[2,"x"')
        assert json.loads(await station.recv_raw(5))[2] == "RpcFrameworkError"
        await station.send_raw('[2,"raw-1","Heartbeat",{}]')
        assert json.loads(await station.recv_raw(5)) == [3, "raw-1", {}]


async def test_server_close_is_reported_and_fails_the_pending_call(server: ScriptedServer) -> None:
    async def hang_up(frame: list[Any]) -> None:
        assert server.connection is not None
        await server.connection.close(1002, "Unsupported subprotocol")

    server.reply = hang_up
    async with SimulatedStation(server.url, "CP10") as station:
        with pytest.raises(StationDisconnected) as closed:
            await station.heartbeat()
        assert closed.value.code == 1002
        assert (await station.wait_closed(5)).reason == "Unsupported subprotocol"
        assert not station.is_open
        with pytest.raises(StationDisconnected):
            await station.recv_raw(1)
