"""Two Tourmaline instances in one process sharing a broker and a registry: MemoryBroker and
MemoryRegistry always, RedisBroker and RedisRegistry when TOURMALINE_TEST_REDIS_URL is set.

Station sockets are the outside edge here: `FakeLink` stands in for the transport's connection,
and tests call `manager.closed(...)` themselves where the transport would, so late closes can be
staged deliberately.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.cluster.fakes import FakeLink
from tests.helpers import FakeClock
from tests.helpers import eventually as wait_until
from tourmaline.cluster.broker import Broker, MemoryBroker, RedisBroker
from tourmaline.cluster.registry import MemoryRegistry, RedisRegistry, Registry
from tourmaline.db.writer import MessageLogWriter
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.commands import CommandService
from tourmaline.services.connections import ConnectionManager
from tourmaline.services.ports import Unanswered
from tourmaline.services.stations import StationService

REDIS_URL = os.environ.get("TOURMALINE_TEST_REDIS_URL")
SKIP_REDIS = "Redis tests need TOURMALINE_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)"


@dataclass
class Instance:
    name: str
    connections: ConnectionManager
    commands: CommandService
    stations: StationService
    writer: MessageLogWriter
    results: list[tuple[str, str, JsonObject, JsonObject]]
    callbacks: list[tuple[str, Any]]
    unanswered: list[tuple[str, str, Unanswered]]

    async def connect(self, station_id: str) -> FakeLink:
        link = FakeLink(station_id)
        await self.connections.opened(link)
        return link

    async def stop(self) -> None:
        await self.commands.stop()
        await self.connections.stop()
        await self.writer.stop()


@dataclass
class Backend:
    broker: Broker
    registry: Registry


InstanceFactory = Callable[[str], Awaitable[Instance]]


@pytest.fixture(params=["memory", "redis"])
async def cluster_backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "memory":
        yield Backend(MemoryBroker(), MemoryRegistry())
        return
    if REDIS_URL is None:
        pytest.skip(SKIP_REDIS)
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"tourmaline-test-{uuid.uuid4().hex[:8]}"
    broker = RedisBroker(REDIS_URL)
    await broker.start()
    try:
        yield Backend(broker, RedisRegistry(client, prefix=prefix))
    finally:
        await broker.stop()
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
async def instances(
    cluster_backend: Backend, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[InstanceFactory]:
    """Builds started instances on the shared backend and database, each with its own
    StationService and batched writer; all are stopped at the end."""
    started: list[Instance] = []
    # Unique ids keep parallel or repeated runs on one Redis apart.
    run = uuid.uuid4().hex[:6]

    async def build(name: str) -> Instance:
        results: list[tuple[str, str, JsonObject, JsonObject]] = []
        callbacks: list[tuple[str, Any]] = []
        unanswered: list[tuple[str, str, Unanswered]] = []

        async def on_result(sid: str, action: str, req: JsonObject, resp: JsonObject) -> None:
            results.append((sid, action, req, resp))

        async def deliver(url: str, body: Any) -> None:
            callbacks.append((url, body))

        async def on_unanswered(sid: str, action: str, req: JsonObject, why: Unanswered) -> None:
            unanswered.append((sid, action, why))

        clock = FakeClock()
        # Flushed explicitly by the tests, so the order of two instances' writes is chosen.
        writer = MessageLogWriter(sessionmaker, clock=clock, flush_interval=3600)
        writer.start()
        stations = StationService(sessionmaker, clock, writer)
        manager = ConnectionManager(
            instance_id=f"{name}-{run}",
            registry=cluster_backend.registry,
            broker=cluster_backend.broker,
            stations=stations,
            writer=writer,
            clock=clock,
        )
        commands = CommandService(
            connections=manager,
            broker=cluster_backend.broker,
            instance_id=manager.instance_id,
            call_timeout=2.0,
            on_result=on_result,
            deliver_callback=deliver,
            on_unanswered=on_unanswered,
        )
        await manager.start()
        instance = Instance(
            name, manager, commands, stations, writer, results, callbacks, unanswered
        )
        started.append(instance)
        return instance

    yield build
    for instance in started:
        await instance.stop()


Eventually = Callable[[Callable[[], bool]], Awaitable[None]]


@pytest.fixture
def eventually() -> Eventually:
    """Wait until `check()` holds: work crosses the broker asynchronously."""

    async def wait(check: Callable[[], bool]) -> None:
        await wait_until(check)

    return wait


OnlineCheck = Callable[..., Awaitable[bool]]


@pytest.fixture
def online() -> OnlineCheck:
    """`await online(station_id, *instances)`: flush the instances' writers in the order given,
    then read the station's stored online flag. Flushing a suspect instance last exposes an
    offline mark it should not have written."""

    async def check(station_id: str, *flush_order: Instance) -> bool:
        for instance in flush_order:
            await instance.writer.flush()
        view = await flush_order[0].stations.get(station_id)
        assert view is not None
        return view.is_online

    return check
