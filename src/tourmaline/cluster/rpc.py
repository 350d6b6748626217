"""Request/reply between instances over the broker (design.md §5 steps 3 and 6).

Each service (commands, connections) of each instance listens on its own request channel
`tourmaline:instance:<id>:<service>` and receives replies on `…:<service>:replies`. A request
carries a correlation id and the requester's reply channel; the handler may send interim replies
(`Replier.progress`, e.g. "queued") before its return value goes back as the final reply.
Requests without a correlation id are notifications and get no reply. The broker delivers at
most once, so every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog

from tourmaline.cluster.broker import Broker, Message, Unsubscribe
from tourmaline.cluster.tasks import TaskSupervisor

__all__ = [
    "ClusterRpc",
    "Exchange",
    "RemoteError",
    "Replier",
    "Reply",
    "RequestHandler",
    "RpcError",
    "RpcTimeout",
    "request_channel",
]

log = structlog.get_logger(__name__)


class RpcError(Exception):
    """A cross-instance request failed."""


class RpcTimeout(RpcError):
    """No reply before the deadline (the other instance is slow, gone, or a message was lost)."""


class RemoteError(RpcError):
    """The other instance could not handle the request."""


@dataclass(frozen=True, slots=True)
class Reply:
    body: Message
    final: bool


class Replier:
    """Sends interim replies for one request."""

    def __init__(self, publish: Callable[[Message], Awaitable[None]]) -> None:
        self._publish = publish

    async def progress(self, body: Message) -> None:
        await self._publish({"final": False, "body": body})


RequestHandler = Callable[[Message, Replier], Awaitable[Message]]


def request_channel(instance_id: str, service: str) -> str:
    return f"tourmaline:instance:{instance_id}:{service}"


class Exchange:
    """The replies to one request, in arrival order."""

    def __init__(self, correlation_id: str) -> None:
        self.correlation_id = correlation_id
        self._replies: asyncio.Queue[Message] = asyncio.Queue()

    def deliver(self, message: Message) -> None:
        self._replies.put_nowait(message)

    async def next(self, deadline: float) -> Reply:
        """The next reply before `deadline` (event-loop time); raises RpcTimeout, or RemoteError
        if the handler failed."""
        try:
            async with asyncio.timeout_at(deadline):
                message = await self._replies.get()
        except TimeoutError:
            raise RpcTimeout("no reply before the deadline") from None
        if "error" in message:
            raise RemoteError(str(message["error"]))
        return Reply(body=dict(message.get("body") or {}), final=bool(message.get("final")))


class ClusterRpc:
    def __init__(self, broker: Broker, instance_id: str, *, service: str) -> None:
        self._broker = broker
        self._instance_id = instance_id
        self._service = service
        self._inbox = request_channel(instance_id, service)
        self._reply_channel = f"{self._inbox}:replies"
        self._handlers: dict[str, RequestHandler] = {}
        self._pending: dict[str, Exchange] = {}
        self._unsubscribes: list[Unsubscribe] = []
        self._tasks = TaskSupervisor(f"rpc:{service}")

    def handle(self, kind: str, handler: RequestHandler) -> None:
        self._handlers[kind] = handler

    async def start(self) -> None:
        self._unsubscribes = [
            await self._broker.subscribe(self._inbox, self._on_request),
            await self._broker.subscribe(self._reply_channel, self._on_reply),
        ]

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribes:
            await unsubscribe()
        self._unsubscribes = []
        await self._tasks.close()

    async def notify(self, to_instance: str, kind: str, body: Message) -> None:
        message = {"kind": kind, "id": None, "body": body}
        await self._broker.publish(request_channel(to_instance, self._service), message)

    @asynccontextmanager
    async def exchange(self, to_instance: str, kind: str, body: Message) -> AsyncIterator[Exchange]:
        """Send a request; replies arrive on the yielded Exchange until the block ends."""
        exchange = Exchange(uuid.uuid4().hex)
        # Registered before publishing, so even an immediate reply finds its exchange.
        self._pending[exchange.correlation_id] = exchange
        try:
            message = {
                "kind": kind,
                "id": exchange.correlation_id,
                "reply_to": self._reply_channel,
                "body": body,
            }
            await self._broker.publish(request_channel(to_instance, self._service), message)
            yield exchange
        finally:
            del self._pending[exchange.correlation_id]

    async def request(
        self, to_instance: str, kind: str, body: Message, *, deadline: float
    ) -> Message:
        """The final reply's body (interim replies skipped), before `deadline` (loop time)."""
        async with self.exchange(to_instance, kind, body) as exchange:
            while True:
                reply = await exchange.next(deadline)
                if reply.final:
                    return reply.body

    async def _on_reply(self, message: Message) -> None:
        exchange = self._pending.get(str(message.get("id")))
        if exchange is None:
            log.debug("late or unknown rpc reply dropped", service=self._service)
            return
        exchange.deliver(message)

    async def _on_request(self, message: Message) -> None:
        handler = self._handlers.get(str(message.get("kind")))
        correlation_id = message.get("id")
        reply_to = message.get("reply_to")
        publish = self._publisher(correlation_id, reply_to)
        if handler is None:
            log.warning("rpc request of unknown kind", kind=message.get("kind"))
            await publish({"final": True, "error": f"unknown request kind {message.get('kind')!r}"})
            return
        body = message.get("body")
        self._tasks.spawn(
            self._serve(handler, body if isinstance(body, dict) else {}, publish),
            name=f"rpc:{self._service}:{message.get('kind')}",
        )

    def _publisher(
        self, correlation_id: Any, reply_to: Any
    ) -> Callable[[Message], Awaitable[None]]:
        async def publish(reply: Message) -> None:
            if isinstance(correlation_id, str) and isinstance(reply_to, str):
                await self._broker.publish(reply_to, {"id": correlation_id, **reply})

        return publish

    async def _serve(
        self,
        handler: RequestHandler,
        body: Message,
        publish: Callable[[Message], Awaitable[None]],
    ) -> None:
        try:
            result = await handler(body, Replier(publish))
        except Exception as error:
            log.exception("rpc handler failed", service=self._service)
            await publish({"final": True, "error": f"{type(error).__name__}: {error}"})
            return
        await publish({"final": True, "body": result})
