"""ConnectionManager on one instance (interface.md §2.6, §2.8): replacement, late closes, rapid
reconnects, admin disconnect and the message-log hooks, with the real StationService and
MessageLogWriter on a real database. Only the station socket is fake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.cluster.fakes import FakeLink
from tests.helpers import FakeClock
from tourmaline.cluster.broker import MemoryBroker
from tourmaline.cluster.registry import MemoryRegistry
from tourmaline.db.models import ChargingStation, MessageLogEntry
from tourmaline.db.writer import MessageLogWriter
from tourmaline.services.connections import (
    ADMIN_DISCONNECT_REASON,
    REPLACED_REASON,
    ConnectionManager,
)
from tourmaline.services.stations import StationService
from tourmaline.transport.ports import FrameRecord

REPLACED = (1000, REPLACED_REASON)


@pytest.fixture
def registry(clock: FakeClock) -> MemoryRegistry:
    return MemoryRegistry(ttl=90, clock=clock)


@pytest.fixture
async def manager(
    registry: MemoryRegistry, stations: StationService, writer: MessageLogWriter, clock: FakeClock
) -> AsyncIterator[ConnectionManager]:
    manager = ConnectionManager(
        instance_id="solo",
        registry=registry,
        broker=MemoryBroker(),
        stations=stations,
        writer=writer,
        clock=clock,
    )
    await manager.start()
    yield manager
    await manager.stop()


async def online(stations: StationService, writer: MessageLogWriter, station_id: str) -> bool:
    await writer.flush()
    view = await stations.get(station_id)
    assert view is not None
    return view.is_online


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def test_opened_registers_and_marks_online_with_the_protocol(
    manager: ConnectionManager, stations: StationService, writer: MessageLogWriter
) -> None:
    gauge_before = metric("tourmaline_connected_stations")
    link = FakeLink("cp1")

    await manager.opened(link)

    assert manager.local("cp1") is link
    assert await manager.is_connected("cp1")
    assert await online(stations, writer, "cp1")
    view = await stations.get("cp1")
    assert view is not None and view.protocol == "ocpp2.0.1"
    assert metric("tourmaline_connected_stations") == gauge_before + 1


async def test_newer_connection_replaces_the_older_and_is_counted(
    manager: ConnectionManager, stations: StationService, writer: MessageLogWriter
) -> None:
    replacements_before = metric("tourmaline_station_replacements_total")
    old, new = FakeLink("cp1"), FakeLink("cp1")
    await manager.opened(old)

    await manager.opened(new)

    assert await old.wait_closed() == REPLACED
    assert manager.local("cp1") is new
    assert metric("tourmaline_station_replacements_total") == replacements_before + 1
    # The transport reports the old socket's close afterwards: nothing changes.
    await manager.closed(old, 1000, REPLACED_REASON)
    assert manager.local("cp1") is new
    assert await online(stations, writer, "cp1")


async def test_closing_the_current_connection_marks_offline(
    manager: ConnectionManager,
    registry: MemoryRegistry,
    stations: StationService,
    writer: MessageLogWriter,
) -> None:
    link = FakeLink("cp1")
    await manager.opened(link)

    await manager.closed(link, 1006, "")

    assert manager.local("cp1") is None
    assert await manager.is_connected("cp1") is False
    assert await registry.owner("cp1") is None
    assert await online(stations, writer, "cp1") is False


async def test_rapid_reconnects_with_late_closes_serve_the_last(
    manager: ConnectionManager, stations: StationService, writer: MessageLogWriter
) -> None:
    links = [FakeLink("cp1") for _ in range(5)]
    for link in links:
        await manager.opened(link)
    for link in reversed(links[:-1]):
        await manager.closed(link, 1006, "")

    assert manager.local("cp1") is links[-1]
    assert links[-1].closed_with is None
    assert await online(stations, writer, "cp1")


async def test_concurrent_opens_leave_exactly_one_connection(manager: ConnectionManager) -> None:
    links = [FakeLink("cp1") for _ in range(4)]

    await asyncio.gather(*(manager.opened(link) for link in links))

    survivor = manager.local("cp1")
    others = [link for link in links if link is not survivor]
    assert survivor is not None and survivor.closed_with is None
    assert [await link.wait_closed() for link in others] == [REPLACED] * 3


async def test_admin_disconnect_closes_and_unregisters_at_once(
    manager: ConnectionManager, stations: StationService, writer: MessageLogWriter
) -> None:
    link = FakeLink("cp1")
    await manager.opened(link)

    assert await manager.disconnect("cp1") is True

    assert link.closed_with == (1000, ADMIN_DISCONNECT_REASON)
    assert await manager.is_connected("cp1") is False
    assert await manager.disconnect("cp1") is False
    await manager.closed(link, 1000, ADMIN_DISCONNECT_REASON)
    assert await online(stations, writer, "cp1") is False


async def test_disconnect_with_a_custom_reason(manager: ConnectionManager) -> None:
    link = FakeLink("cp1")
    await manager.opened(link)

    await manager.disconnect("cp1", code=1000, reason="Station deleted")

    assert link.closed_with == (1000, "Station deleted")


async def test_frames_go_to_the_message_log_and_inbound_ones_touch_the_station(
    manager: ConnectionManager,
    writer: MessageLogWriter,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await manager.opened(FakeLink("cp1"))
    inbound_at = clock.now()
    outbound_at = inbound_at + timedelta(seconds=5)
    manager.frame(
        FrameRecord("cp1", "cs", '[2,"m1","Heartbeat",{}]', inbound_at, 2, "m1", "Heartbeat")
    )
    manager.frame(FrameRecord("cp1", "csms", '[2,"c1","Reset",{}]', outbound_at, 2, "c1", "Reset"))
    manager.call_outcome("cp1", "c1", "answered")

    await writer.flush()

    async with sessionmaker() as session:
        rows = (await session.scalars(select(MessageLogEntry).order_by(MessageLogEntry.id))).all()
        station = await session.get(ChargingStation, "cp1")
    assert [(r.origin, r.message_id, r.outcome) for r in rows] == [
        ("cs", "m1", None),
        ("csms", "c1", "answered"),
    ]
    assert station is not None
    assert station.latest_ocpp_message_timestamp == inbound_at


async def test_refresh_keeps_live_registrations_past_the_ttl(
    manager: ConnectionManager, registry: MemoryRegistry, clock: FakeClock
) -> None:
    link = FakeLink("cp1")
    await manager.opened(link)

    for _ in range(4):
        clock.advance(60)
        await manager.refresh_all()

    assert link.closed_with is None
    assert (await registry.owner("cp1")) is not None


async def test_expired_registration_closes_the_socket_and_marks_offline(
    manager: ConnectionManager,
    clock: FakeClock,
    stations: StationService,
    writer: MessageLogWriter,
) -> None:
    link = FakeLink("cp1")
    await manager.opened(link)

    clock.advance(120)  # the refresh did not run within the TTL
    await manager.refresh_all()

    assert await link.wait_closed() == REPLACED
    assert manager.local("cp1") is None
    assert await online(stations, writer, "cp1") is False


async def test_registered_connections_are_announced_and_a_failing_listener_is_contained(
    manager: ConnectionManager,
) -> None:
    announced: list[str] = []

    def failing(link: object) -> None:
        raise RuntimeError("listener bug")

    manager.on_registered.append(failing)
    manager.on_registered.append(lambda link: announced.append(link.station_id))
    link = FakeLink("cp1")

    await manager.opened(link)

    assert announced == ["cp1"]
    assert manager.local("cp1") is link
