"""Tiny stand-ins for what the transport gets from services (the outside edge of this layer)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tourmaline.clock import SystemClock
from tourmaline.ocpp.rpc import Call, CallResult
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.settings import ListenerSettings, OcppSettings
from tourmaline.transport.ports import (
    Admission,
    FrameRecord,
    HandshakeRequest,
    Reply,
    StationLink,
)
from tourmaline.transport.ws_server import OcppServer

__all__ = ["FakeAuthenticator", "FakeDispatcher", "Harness", "Hooks", "heartbeat_answer"]

SCHEMAS = SchemaRegistry()


class FakeAuthenticator:
    def __init__(self) -> None:
        self.verdicts: dict[str, Admission] = {}
        self.fail = False
        self.requests: list[HandshakeRequest] = []

    async def admit(self, request: HandshakeRequest) -> Admission:
        self.requests.append(request)
        if self.fail:
            raise RuntimeError("database is down")
        return self.verdicts.get(request.station_id, Admission.ALLOW)


def heartbeat_answer(call: Call) -> CallResult:
    return CallResult(call.message_id, {"currentTime": "2026-01-02T03:04:05Z"})


Handler = Callable[[Call], Awaitable[Reply]]


class FakeDispatcher:
    """Answers every CALL like a Heartbeat, unless a test installs its own handler."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.handler: Handler | None = None

    async def dispatch(self, link: StationLink, call: Call) -> Reply:
        self.calls.append(call)
        if self.handler is not None:
            return await self.handler(call)
        return Reply(heartbeat_answer(call))


class Hooks:
    """`ports.ConnectionHooks` recording everything it is told."""

    def __init__(self) -> None:
        self.links: list[StationLink] = []
        self.closes: list[tuple[StationLink, int | None, str]] = []
        self.frames: list[FrameRecord] = []
        self.outcomes: list[tuple[str, str, str]] = []
        self.fail_open = False
        self.is_open = asyncio.Event()
        self.is_closed = asyncio.Event()

    async def opened(self, link: StationLink) -> None:
        if self.fail_open:
            raise RuntimeError("registry unavailable")
        self.links.append(link)
        self.is_open.set()

    async def closed(self, link: StationLink, code: int | None, reason: str) -> None:
        self.closes.append((link, code, reason))
        self.is_closed.set()

    def frame(self, record: FrameRecord) -> None:
        self.frames.append(record)

    def call_outcome(self, station_id: str, message_id: str, outcome: str) -> None:
        self.outcomes.append((station_id, message_id, outcome))

    @property
    def link(self) -> StationLink:
        return self.links[-1]


class Harness:
    """A real OcppServer on 127.0.0.1 port 0 with fake collaborators."""

    def __init__(self, **ocpp: Any) -> None:
        self.authenticator = FakeAuthenticator()
        self.dispatcher = FakeDispatcher()
        self.hooks = Hooks()
        ping_interval = ocpp.pop("ping_interval", 30.0)
        settings = {"call_timeout": 2.0, "max_message_size": 4096, "hard_max_message_size": 8192}
        self.ocpp = OcppSettings(**{**settings, **ocpp})
        self.listener = ListenerSettings(
            id="0", host="127.0.0.1", port=0, ping_interval=ping_interval
        )
        self.server = self._build()

    def _build(self) -> OcppServer:
        return OcppServer(
            listener=self.listener,
            ocpp=self.ocpp,
            schemas=SCHEMAS,
            authenticator=self.authenticator,
            dispatcher=self.dispatcher,
            hooks=self.hooks,
            clock=SystemClock(),
        )

    def url(self, path: str = "/ocpp/cp001") -> str:
        return f"ws://127.0.0.1:{self.server.port}{path}"

    @contextlib.asynccontextmanager
    async def station(
        self, path: str = "/ocpp/cp001", **kwargs: Any
    ) -> AsyncIterator[ClientConnection]:
        kwargs.setdefault("subprotocols", ["ocpp2.0.1"])
        async with connect(self.url(path), open_timeout=5, **kwargs) as client:
            if kwargs["subprotocols"] == ["ocpp2.0.1"]:
                await asyncio.wait_for(self.hooks.is_open.wait(), 5)
            yield client
