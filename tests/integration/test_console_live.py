"""The console's live channel over real HTTP (uvicorn on port 0): server-sent events for a
station connecting, its frames, state answers, a station on another instance, and shutdown
ending open streams."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tourmaline.cluster.broker import MemoryBroker
from tourmaline.cluster.registry import MemoryRegistry
from tourmaline.runtime import Runtime, build_runtime
from tourmaline.sim.station import SimulatedStation

from .conftest import OPEN, make_settings

# The live channel does not touch the database beyond what other suites test on both.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Runtime]:
    settings = make_settings(database_url)
    settings.api.host, settings.api.port = "127.0.0.1", 0
    runtime = build_runtime(settings)
    await runtime.start(serve_api=True)
    try:
        yield runtime
    finally:
        await runtime.stop()


class EventStream:
    """The events of one open /ui/events response, read with a deadline."""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self._lines = lines

    async def next_event(self, name: str, timeout: float = 10) -> str:
        """The data of the next event called `name`; other events are skipped."""
        async with asyncio.timeout(timeout):
            event, data = None, []
            async for line in self._lines:
                if line.startswith("event: "):
                    event, data = line[7:], []
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and event is not None:
                    if event == name:
                        return "\n".join(data)
                    event = None
        raise AssertionError("the stream ended")


@asynccontextmanager
async def events(runtime: Runtime, **params: str) -> AsyncIterator[EventStream]:
    url = f"http://127.0.0.1:{runtime.ports()['api']}"
    async with (
        httpx.AsyncClient(base_url=url, timeout=10) as client,
        client.stream("GET", "/ui/events", params=params) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        assert await anext(lines) == "retry: 2000"
        yield EventStream(lines)


async def test_a_station_connecting_and_booting_is_streamed(served: Runtime) -> None:
    async with events(served, station="cp1", frames="1") as stream:
        station = SimulatedStation(served.station_url(OPEN, "cp1"), "cp1")
        await station.connect()
        try:
            changed = json.loads(await stream.next_event("station"))
            assert changed == {"stationId": "cp1", "kind": "station.connected"}
            await station.boot()
            call = await stream.next_event("frame")
            assert "<td>Station → CSMS</td>" in call
            assert "<td>BootNotification</td>" in call
            answer = await stream.next_event("frame")
            assert "<td>CALLRESULT</td>" in answer
            updated = json.loads(await stream.next_event("station"))
            assert updated == {"stationId": "cp1", "kind": "station.updated"}
        finally:
            await station.close()
        closed = json.loads(await stream.next_event("station"))
        assert closed == {"stationId": "cp1", "kind": "station.closed"}


async def test_filters_keep_other_stations_and_frames_out(served: Runtime) -> None:
    async with events(served, station="cp1") as stream:
        other = SimulatedStation(served.station_url(OPEN, "cp2"), "cp2")
        mine = SimulatedStation(served.station_url(OPEN, "cp1"), "cp1")
        await other.connect()
        await mine.connect()
        try:
            await mine.heartbeat()
            first = json.loads(await stream.next_event("station"))
            assert first["stationId"] == "cp1"
            with pytest.raises(TimeoutError):
                await stream.next_event("frame", timeout=0.5)
        finally:
            await other.close()
            await mine.close()


async def test_a_console_sees_a_station_on_another_instance(database_url: str) -> None:
    broker, registry = MemoryBroker(), MemoryRegistry()
    console_settings = make_settings(database_url)
    console_settings.api.host, console_settings.api.port = "127.0.0.1", 0
    console = build_runtime(console_settings, broker=broker, registry=registry)
    other_settings = make_settings(database_url)
    other_settings.instance_id = "other-instance"
    other = build_runtime(other_settings, broker=broker, registry=registry)
    await console.start(serve_api=True)
    await other.start(serve_api=False)
    try:
        async with events(console, station="cp9") as stream:
            # The console's interest reaches the other instance before the station connects.
            async with asyncio.timeout(5):
                while not other.live_events.active:
                    await asyncio.sleep(0.01)
            station = SimulatedStation(other.station_url(OPEN, "cp9"), "cp9")
            await station.connect()
            try:
                changed = json.loads(await stream.next_event("station"))
                assert changed == {"stationId": "cp9", "kind": "station.connected"}
            finally:
                await station.close()
    finally:
        await other.stop()
        await console.stop()


async def test_shutdown_ends_open_streams(database_url: str) -> None:
    settings = make_settings(database_url)
    settings.api.host, settings.api.port = "127.0.0.1", 0
    runtime = build_runtime(settings)
    await runtime.start(serve_api=True)
    async with events(runtime) as stream:
        async with asyncio.timeout(10):
            await runtime.stop()
        with pytest.raises((AssertionError, httpx.RemoteProtocolError)):
            await stream.next_event("station", timeout=5)
