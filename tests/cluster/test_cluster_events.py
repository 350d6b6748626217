"""The console's live event feed (cluster/events.py): local fan-out with bounded queues, and
events crossing the broker to another instance while a console is open there (MemoryBroker
always, Redis when TOURMALINE_TEST_REDIS_URL is set)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.cluster.conftest import Backend
from tests.helpers import FakeClock
from tourmaline.cluster.broker import MemoryBroker, Message
from tourmaline.cluster.events import EventFeed, LiveEvent

FeedFactory = Callable[..., Awaitable[EventFeed]]


def connected(station_id: str) -> LiveEvent:
    return LiveEvent("station.connected", station_id)


@pytest.fixture
async def feeds(cluster_backend: Backend) -> AsyncIterator[FeedFactory]:
    started: list[EventFeed] = []
    run = uuid.uuid4().hex[:6]

    async def build(name: str) -> EventFeed:
        feed = EventFeed(instance_id=f"{name}-{run}", broker=cluster_backend.broker)
        await feed.start()
        started.append(feed)
        return feed

    yield build
    for feed in started:
        await feed.stop()


async def test_local_subscribers_get_what_they_asked_for() -> None:
    feed = EventFeed(instance_id="a")
    with (
        feed.subscribe(lambda event: event.station_id == "cp1") as one,
        feed.subscribe() as every,
    ):
        feed.publish(connected("cp1"))
        feed.publish(connected("cp2"))
        assert await one.next(1) == connected("cp1")
        assert await one.next(0.01) is None
        assert [await every.next(1), await every.next(1)] == [connected("cp1"), connected("cp2")]
    assert not feed.active


async def test_a_slow_subscriber_loses_its_oldest_events_and_nobody_waits() -> None:
    feed = EventFeed(instance_id="a", max_queued=3)
    with feed.subscribe() as slow:
        for number in range(5):
            feed.publish(connected(f"cp{number}"))
        assert slow.dropped == 2
        kept = [await slow.next(1) for _ in range(3)]
        assert kept == [connected("cp2"), connected("cp3"), connected("cp4")]


async def test_stopping_the_feed_ends_open_streams_and_refuses_new_ones() -> None:
    feed = EventFeed(instance_id="a")
    subscription = feed.subscribe()
    await feed.stop()
    assert subscription.closed
    assert await subscription.next(5) is None
    assert feed.subscribe().closed


async def test_events_cross_to_an_instance_with_an_open_console(
    feeds: FeedFactory, eventually: Callable[[Callable[[], bool]], Awaitable[None]]
) -> None:
    a, b = await feeds("a"), await feeds("b")
    assert not b.active
    with a.subscribe() as console:
        # b learns of the console on a from a's announcement, then forwards its events.
        await eventually(lambda: b.active)
        b.publish(LiveEvent("frame.logged", "cp9", {"action": "Heartbeat"}))
        event = await console.next(5)
        assert event == LiveEvent("frame.logged", "cp9", {"action": "Heartbeat"})
        a.publish(connected("cp-local"))
        assert await console.next(5) == connected("cp-local")
        # An instance never receives its own events twice.
        assert await console.next(0.2) is None


async def test_without_a_console_anywhere_nothing_is_published() -> None:
    broker = MemoryBroker()
    seen: list[Message] = []

    async def record(message: Message) -> None:
        seen.append(message)

    await broker.start()
    await broker.subscribe("tourmaline:events", record)
    feed = EventFeed(instance_id="quiet", broker=broker)
    await feed.start()
    try:
        feed.publish(connected("cp1"))
        assert not feed.active
    finally:
        await feed.stop()
        await broker.stop()
    assert seen == []


async def test_remote_interest_expires(
    eventually: Callable[[Callable[[], bool]], Awaitable[None]],
) -> None:
    broker, clock = MemoryBroker(), FakeClock()
    a = EventFeed(instance_id="a", broker=broker)
    b = EventFeed(instance_id="b", broker=broker, clock=clock, interest_interval=10)
    await a.start()
    await b.start()
    try:
        with a.subscribe():
            await eventually(lambda: b.active)
        # Three announcement intervals without news from a: b stops forwarding.
        clock.advance(29)
        assert b.active
        clock.advance(2)
        assert not b.active
    finally:
        await a.stop()
        await b.stop()


async def test_a_broker_failure_costs_only_the_update(
    eventually: Callable[[Callable[[], bool]], Awaitable[None]],
) -> None:
    class FailingBroker(MemoryBroker):
        async def publish(self, channel: str, message: bytes | Message) -> None:
            raise ConnectionError("broker down")

    broker = FailingBroker()
    feed = EventFeed(instance_id="a", broker=broker)
    await feed.start()
    try:
        await MemoryBroker.publish(broker, "tourmaline:events", {"from": "b", "kind": "interest"})
        await eventually(lambda: feed.active)
        with feed.subscribe() as local:
            feed.publish(connected("cp1"))
            assert await local.next(1) == connected("cp1")
    finally:
        await feed.stop()


def test_wire_form_round_trips_and_rejects_garbage() -> None:
    event = LiveEvent("frame.logged", "cp1", {"origin": "cs"})
    assert LiveEvent.from_wire(event.to_wire("a")) == event
    assert LiveEvent.from_wire({"kind": 3, "stationId": "cp1"}) is None
