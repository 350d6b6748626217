"""A real runtime per test: WebSocket listeners on port 0, a real database (SQLite file, and
PostgreSQL when TOURMALINE_TEST_POSTGRES_URL is set), the REST app driven in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from tests.helpers import api_client, running
from tourmaline.runtime import Runtime, build_runtime
from tourmaline.settings import ListenerSettings, Settings
from tourmaline.sim.station import CallErrorReceived, SimulatedStation

OPEN = "0"
AUTH = "1"


def make_settings(database_url: str, **ocpp: object) -> Settings:
    return Settings(
        env="test",
        instance_id="test-instance",
        database={"url": database_url},
        listeners=[
            ListenerSettings(
                id=OPEN, host="127.0.0.1", port=0, security_profile=0, allow_unknown_stations=True
            ),
            ListenerSettings(id=AUTH, host="127.0.0.1", port=0, security_profile=1),
        ],
        ocpp={
            "call_timeout": 2.0,
            "max_message_size": 16 * 1024,
            "hard_max_message_size": 64 * 1024,
            **ocpp,
        },
        log={"level": "WARNING"},
    )


@pytest.fixture
async def runtime(database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    async with running(build_runtime(make_settings(database_url))) as rt:
        yield rt


@pytest.fixture
async def api(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(runtime) as client:
        yield client


StationFactory = Callable[..., Awaitable[SimulatedStation]]


@pytest.fixture
async def connect(runtime: Runtime) -> AsyncIterator[StationFactory]:
    """Open simulated stations; every one is closed at the end of the test."""
    opened: list[SimulatedStation] = []

    async def _connect(station_id: str, listener: str = OPEN, **kwargs: object) -> SimulatedStation:
        station = SimulatedStation(runtime.station_url(listener, station_id), station_id, **kwargs)
        await station.connect()
        opened.append(station)
        return station

    yield _connect
    for station in opened:
        await station.close()


async def expect_error(
    station: SimulatedStation, action: str, payload: dict[str, object]
) -> CallErrorReceived:
    """Send a CALL that must be answered with a CALLERROR, and return that error."""
    with pytest.raises(CallErrorReceived) as caught:
        await station.call(action, payload)
    return caught.value


async def closed_with(station: SimulatedStation) -> tuple[int | None, str]:
    """The close code and reason the server sent to `station`."""
    closed = await station.wait_closed(timeout=5)
    return closed.code, closed.reason
