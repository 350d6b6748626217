"""Publish/subscribe between Tourmaline instances (design.md §5, "one command channel and one reply
channel per instance").

Messages are JSON objects. Delivery is at most once and, for one subscription, in publish order:
each subscription has its own queue and worker, so a handler must return quickly and start
long work as its own task. `MemoryBroker` serves instances living in one process (the default,
and how the cluster path is tested); `RedisBroker` serves instances in separate processes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import redis.asyncio as redis
import structlog
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = [
    "Broker",
    "Handler",
    "MemoryBroker",
    "Message",
    "RedisBroker",
    "Unsubscribe",
    "decode_message",
    "encode_message",
]

log = structlog.get_logger(__name__)

Message = dict[str, Any]
Handler = Callable[[Message], Awaitable[None]]
Unsubscribe = Callable[[], Awaitable[None]]

_RECONNECT_DELAY = 1.0
_SUBSCRIBE_TIMEOUT = 5.0


class Broker(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, channel: str, message: bytes | Message) -> None: ...

    async def subscribe(self, channel: str, handler: Handler) -> Unsubscribe:
        """Deliver every later message on `channel` to `handler`. The subscription is active when
        this returns; awaiting the returned function ends it."""
        ...

    async def ping(self) -> bool: ...


def encode_message(message: bytes | Message) -> bytes:
    if isinstance(message, bytes):
        return message
    return json.dumps(message, separators=(",", ":")).encode()


def decode_message(data: bytes | str) -> Message | None:
    """The JSON object in `data`, or None (logged) for anything else: a stray publisher must not
    break a subscription."""
    try:
        message = json.loads(data)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        log.warning("broker message dropped: not a JSON object", size=len(data))
        return None
    return message


class _Subscription:
    """One handler's ordered inbox and the worker draining it."""

    def __init__(self, channel: str, handler: Handler) -> None:
        self.channel = channel
        self._handler = handler
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._worker = asyncio.get_running_loop().create_task(
            self._drain(), name=f"broker:{channel}"
        )

    def deliver(self, message: Message) -> None:
        self._inbox.put_nowait(message)

    async def _drain(self) -> None:
        while True:
            message = await self._inbox.get()
            try:
                await self._handler(message)
            except Exception:
                log.exception("broker handler failed", channel=self.channel)

    async def cancel(self) -> None:
        self._worker.cancel()
        await asyncio.gather(self._worker, return_exceptions=True)


class MemoryBroker:
    """In-process broker. Several instances in one process share one object; start/stop are
    counted, so the last `stop()` ends whatever subscriptions are left."""

    def __init__(self) -> None:
        self._channels: dict[str, list[_Subscription]] = {}
        self._users = 0

    async def start(self) -> None:
        self._users += 1

    async def stop(self) -> None:
        self._users = max(0, self._users - 1)
        if self._users == 0:
            subscriptions = [sub for subs in self._channels.values() for sub in subs]
            self._channels.clear()
            for sub in subscriptions:
                await sub.cancel()

    async def ping(self) -> bool:
        return True

    async def publish(self, channel: str, message: bytes | Message) -> None:
        # Encoded and decoded as over Redis: each subscriber gets its own copy, and a message
        # that would not survive the wire fails here too.
        data = encode_message(message)
        for sub in list(self._channels.get(channel, ())):
            decoded = decode_message(data)
            if decoded is not None:
                sub.deliver(decoded)

    async def subscribe(self, channel: str, handler: Handler) -> Unsubscribe:
        sub = _Subscription(channel, handler)
        self._channels.setdefault(channel, []).append(sub)

        async def unsubscribe() -> None:
            subs = self._channels.get(channel, [])
            if sub in subs:
                subs.remove(sub)
                if not subs:
                    del self._channels[channel]
            await sub.cancel()

        return unsubscribe


class RedisBroker:
    """Redis pub/sub. Each subscription has its own pub/sub connection and reader, so subscribing
    never races a reader on a shared connection; an instance holds only a handful of them."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: redis.Redis | None = None
        self._readers: set[_RedisReader] = set()

    def _require_client(self) -> redis.Redis:
        if self._client is None:
            raise RuntimeError("RedisBroker is not started")
        return self._client

    async def start(self) -> None:
        if self._client is None:
            self._client = redis.Redis.from_url(self._url)

    async def stop(self) -> None:
        readers, self._readers = self._readers, set()
        for reader in readers:
            await reader.close()
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await self._require_client().ping())
        except (RedisConnectionError, RedisTimeoutError, OSError):
            return False

    async def publish(self, channel: str, message: bytes | Message) -> None:
        await self._require_client().publish(channel, encode_message(message))

    async def subscribe(self, channel: str, handler: Handler) -> Unsubscribe:
        pubsub = self._require_client().pubsub()
        reader = _RedisReader(pubsub, _Subscription(channel, handler))
        await reader.open()
        self._readers.add(reader)

        async def unsubscribe() -> None:
            if reader in self._readers:
                self._readers.discard(reader)
                await reader.close()

        return unsubscribe


class _RedisReader:
    """One channel's pub/sub connection, feeding one subscription."""

    def __init__(self, pubsub: PubSub, subscription: _Subscription) -> None:
        self._pubsub = pubsub
        self._subscription = subscription
        self._task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        channel = self._subscription.channel
        await self._pubsub.subscribe(channel)
        # The confirmation proves the server registered the subscription before we return.
        async with asyncio.timeout(_SUBSCRIBE_TIMEOUT):
            while True:
                reply = await self._pubsub.get_message(timeout=_SUBSCRIBE_TIMEOUT)
                if reply is not None and reply.get("type") == "subscribe":
                    break
        self._task = asyncio.get_running_loop().create_task(self._read(), name=f"redis:{channel}")

    async def _read(self) -> None:
        while True:
            try:
                raw = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            except (RedisConnectionError, RedisTimeoutError, OSError) as error:
                # redis-py resubscribes on reconnect; messages published meanwhile are lost,
                # which callers tolerate (registry refresh and rpc deadlines cover it).
                log.warning("redis subscription interrupted", error=str(error))
                await asyncio.sleep(_RECONNECT_DELAY)
                continue
            if raw is not None and raw.get("type") == "message":
                message = decode_message(raw["data"])
                if message is not None:
                    self._subscription.deliver(message)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._subscription.cancel()
        try:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        except (RedisConnectionError, OSError):
            log.debug("redis pubsub close failed", exc_info=True)
