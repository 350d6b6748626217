"""Replacement of older connections, reconnect storms, frame errors and admin disconnects."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from tourmaline.runtime import Runtime

from .conftest import OPEN, StationFactory, closed_with


async def test_second_connection_replaces_the_first(
    runtime: Runtime, connect: StationFactory
) -> None:
    first = await connect("cp-dup")
    await first.boot()

    second = await connect("cp-dup")

    assert await closed_with(first) == (1000, "Replaced by a newer connection")
    assert (await second.heartbeat())["currentTime"]
    assert await runtime.connections.is_connected("cp-dup")


async def test_rapid_reconnects_are_served_every_time(
    runtime: Runtime, connect: StationFactory
) -> None:
    for _ in range(5):
        station = await connect("cp-storm")
        assert (await station.boot())["status"] == "Accepted"
        await station.close()
    last = await connect("cp-storm")
    assert (await last.heartbeat())["currentTime"]
    await asyncio.sleep(0.1)
    assert await runtime.connections.is_connected("cp-storm")


async def test_closing_a_replaced_connection_late_keeps_the_new_one(
    runtime: Runtime, connect: StationFactory
) -> None:
    old = await connect("cp-late")
    new = await connect("cp-late")
    await old.close()
    await asyncio.sleep(0.1)

    assert await runtime.connections.is_connected("cp-late")
    assert (await new.heartbeat())["currentTime"]


async def test_malformed_frames_get_the_spec_error_and_the_socket_keeps_serving(
    connect: StationFactory,
) -> None:
    station = await connect("cp-junk")
    cases = {
        "not json": ("-1", "RpcFrameworkError"),
        '{"an": "object"}': ("-1", "RpcFrameworkError"),
        '[7, "m7", "Heartbeat", {}]': ("m7", "MessageTypeNotSupported"),
        '[2, "m2", "Heartbeat"]': ("m2", "RpcFrameworkError"),
        '[2, "m3", "Heartbeat", []]': ("m3", "RpcFrameworkError"),
    }
    for text, (message_id, code) in cases.items():
        await station.send_raw(text)
        frame = json.loads(await station.recv_raw(timeout=5))
        assert frame[:3] == [4, message_id, code], text

    assert (await station.heartbeat())["currentTime"]


async def test_oversized_frame_gets_an_error_and_the_socket_keeps_serving(
    connect: StationFactory,
) -> None:
    station = await connect("cp-big")
    filler = "x" * (32 * 1024)
    await station.send_raw(
        json.dumps([2, "big1", "DataTransfer", {"vendorId": "v", "data": filler}])
    )

    frame = json.loads(await station.recv_raw(timeout=5))

    assert frame[0] == 4
    assert frame[1] == "big1"
    assert frame[2] == "FormatViolation"
    assert (await station.heartbeat())["currentTime"]


async def test_frame_above_hard_limit_closes_with_1009_and_server_keeps_serving(
    runtime: Runtime, connect: StationFactory
) -> None:
    limit = runtime.settings.ocpp.hard_max_message_size
    async with ws_connect(
        runtime.station_url(OPEN, "cp-huge"),
        subprotocols=["ocpp2.0.1"],
        max_size=None,
        compression=None,
        open_timeout=5,
    ) as ws:
        await ws.send(json.dumps([2, "h", "DataTransfer", {"vendorId": "v", "data": "x" * limit}]))
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), timeout=5)
    assert ws.close_code == 1009
    other = await connect("cp-after-huge")
    assert (await other.boot())["status"] == "Accepted"


async def test_admin_disconnect_closes_the_socket(
    runtime: Runtime, connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-kick")
    await station.boot()

    response = await api.delete("/data/ocpprouter/connection", params={"stationId": "cp-kick"})

    assert response.status_code == 200
    assert response.json() is True
    assert await closed_with(station) == (1000, "Disconnected by admin request")
    missing = await api.delete("/data/ocpprouter/connection", params={"stationId": "cp-kick"})
    assert missing.status_code == 404
    assert missing.json()["code"] == "station_not_connected"


async def test_station_goes_offline_when_its_socket_closes(
    runtime: Runtime, connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-off")
    await station.boot()
    await station.close()
    await asyncio.sleep(0.1)
    await runtime.writer.flush()

    body = (
        await api.get("/data/configuration/chargingStation", params={"stationId": "cp-off"})
    ).json()
    assert body["isOnline"] is False


async def test_server_shutdown_closes_sockets_with_1001(database_url: str) -> None:
    from tourmaline.runtime import build_runtime
    from tourmaline.sim.station import SimulatedStation

    from .conftest import make_settings

    rt = build_runtime(make_settings(database_url))
    await rt.start(serve_api=False)
    station = SimulatedStation(rt.station_url(OPEN, "cp-bye"), "cp-bye")
    await station.connect()
    await station.boot()

    await rt.stop()

    assert await closed_with(station) == (1001, "Server shutting down")
    await station.close()
