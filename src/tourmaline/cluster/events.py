"""Live domain events for the operator console (design.md §2 `cluster/events.py`).

Producers call `EventFeed.publish` from the OCPP path after the fact they report is committed
(a station connected or closed, a frame logged, an answer sent after its state change). Publishing
never blocks and never grows memory: each subscriber (one per open console page) has a bounded
queue that drops its oldest event when a slow browser falls behind, and events for other
instances go through a bounded outbox drained by one task.

Across instances the feed uses the broker: a console on instance A sees a station connected to
instance B. To cost nothing while no console is open anywhere, an instance with subscribers
announces its interest on the channel every `interest_interval` seconds, and the others forward
events to the broker only while such an announcement is recent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import structlog

from tourmaline.clock import Clock, SystemClock
from tourmaline.cluster.broker import Broker, Message, Unsubscribe
from tourmaline.metrics import LIVE_EVENTS_DROPPED

__all__ = [
    "EVENTS_CHANNEL",
    "EventFeed",
    "EventSubscription",
    "LiveEvent",
]

log = structlog.get_logger(__name__)

EVENTS_CHANNEL = "tourmaline:events"
DEFAULT_QUEUE = 256
DEFAULT_OUTBOX = 1024
DEFAULT_INTEREST_INTERVAL = 10.0
# An announcement stays valid for this many intervals, so one lost message changes nothing.
_INTEREST_LIFETIME = 3
_INTEREST = "interest"

EventFilter = Callable[["LiveEvent"], bool]


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """`kind` is one of station.connected, station.closed, station.updated, frame.logged,
    transaction.updated."""

    kind: str
    station_id: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_wire(self, instance_id: str) -> Message:
        return {"from": instance_id, "kind": self.kind, "stationId": self.station_id, **self.data}

    @classmethod
    def from_wire(cls, message: Message) -> LiveEvent | None:
        kind, station_id = message.get("kind"), message.get("stationId")
        if not isinstance(kind, str) or not isinstance(station_id, str):
            return None
        data = {k: v for k, v in message.items() if k not in ("from", "kind", "stationId")}
        return cls(kind, station_id, data)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Wait for `event` at most `seconds`. Not `asyncio.wait_for`: before Python 3.12 it can
    swallow a cancellation that arrives as the event is set, and the task would never stop."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


class EventSubscription:
    """One reader of the feed (an open console page). Use it as a context manager."""

    def __init__(self, feed: EventFeed, wanted: EventFilter | None, max_queued: int) -> None:
        self._feed = feed
        self._wanted = wanted
        self._queue: deque[LiveEvent] = deque(maxlen=max_queued)
        self._ready = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def offer(self, event: LiveEvent) -> None:
        if self.closed or (self._wanted is not None and not self._wanted(event)):
            return
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
            LIVE_EVENTS_DROPPED.labels(reason="slow_subscriber").inc()
        self._queue.append(event)
        self._ready.set()

    async def next(self, timeout: float) -> LiveEvent | None:  # noqa: ASYNC109 - a keep-alive tick
        """The next event, or None after `timeout` seconds without one or once closed."""
        if not self._queue and not self.closed:
            self._ready.clear()
            await _wait(self._ready, timeout)
        return self._queue.popleft() if self._queue else None

    def close(self) -> None:
        self.closed = True
        self._ready.set()
        self._feed.unsubscribe(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventFeed:
    def __init__(
        self,
        *,
        instance_id: str,
        broker: Broker | None = None,
        clock: Clock | None = None,
        max_queued: int = DEFAULT_QUEUE,
        outbox_size: int = DEFAULT_OUTBOX,
        interest_interval: float = DEFAULT_INTEREST_INTERVAL,
    ) -> None:
        self.instance_id = instance_id
        self._broker = broker
        self._clock: Clock = clock or SystemClock()
        self._max_queued = max_queued
        self._interest_interval = interest_interval
        self._subscribers: list[EventSubscription] = []
        self._outbox: deque[Message] = deque(maxlen=outbox_size)
        self._wake = asyncio.Event()
        self._remote_interest_until = float("-inf")
        self._next_interest = float("-inf")
        self._unsubscribe: Unsubscribe | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def active(self) -> bool:
        """Whether anyone, here or on another instance, would see an event published now."""
        return bool(self._subscribers) or self._remote_interest()

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._broker is not None:
            self._unsubscribe = await self._broker.subscribe(EVENTS_CHANNEL, self._on_message)
            self._task = asyncio.get_running_loop().create_task(self._forward(), name="events")

    async def stop(self) -> None:
        """Close every subscription (open event streams end) and stop forwarding; later
        subscriptions are closed from the start."""
        self._stopped = True
        for subscription in list(self._subscribers):
            subscription.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._unsubscribe is not None:
            await self._unsubscribe()
            self._unsubscribe = None

    # -- producers -------------------------------------------------------------------------------

    def publish(self, event: LiveEvent) -> None:
        """Deliver to local subscribers and queue for the other instances; never blocks."""
        for subscription in list(self._subscribers):
            subscription.offer(event)
        if self._broker is not None and self._remote_interest():
            self._enqueue(event.to_wire(self.instance_id))

    def _enqueue(self, message: Message) -> None:
        if len(self._outbox) == self._outbox.maxlen:
            LIVE_EVENTS_DROPPED.labels(reason="outbox_full").inc()
        self._outbox.append(message)
        self._wake.set()

    # -- subscribers -----------------------------------------------------------------------------

    def subscribe(
        self, wanted: EventFilter | None = None, *, max_queued: int | None = None
    ) -> EventSubscription:
        subscription = EventSubscription(self, wanted, max_queued or self._max_queued)
        if self._stopped:
            subscription.closed = True
            return subscription
        first = not self._subscribers
        self._subscribers.append(subscription)
        if first:
            # Tell the other instances at once, not only at the next periodic announcement.
            self._next_interest = float("-inf")
            self._wake.set()
        return subscription

    def unsubscribe(self, subscription: EventSubscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    # -- across instances ------------------------------------------------------------------------

    def _interest(self) -> Message:
        return {"from": self.instance_id, "kind": _INTEREST}

    def _remote_interest(self) -> bool:
        return self._clock.monotonic() < self._remote_interest_until

    async def _on_message(self, message: Message) -> None:
        if message.get("from") == self.instance_id:
            return
        if message.get("kind") == _INTEREST:
            lifetime = self._interest_interval * _INTEREST_LIFETIME
            self._remote_interest_until = self._clock.monotonic() + lifetime
            return
        event = LiveEvent.from_wire(message)
        if event is not None:
            for subscription in list(self._subscribers):
                subscription.offer(event)

    async def _forward(self) -> None:
        assert self._broker is not None
        while True:
            await _wait(self._wake, self._interest_interval)
            self._wake.clear()
            now = asyncio.get_running_loop().time()
            if self._subscribers and now >= self._next_interest:
                self._next_interest = now + self._interest_interval
                await self._send(self._interest())
            while self._outbox:
                await self._send(self._outbox.popleft())

    async def _send(self, message: Message) -> None:
        assert self._broker is not None
        try:
            await self._broker.publish(EVENTS_CHANNEL, message)
        except Exception as error:
            # Live views are best effort: a broker outage costs updates, never OCPP traffic.
            LIVE_EVENTS_DROPPED.labels(reason="broker_error").inc()
            log.warning("live event not forwarded", kind=message.get("kind"), error=repr(error))
