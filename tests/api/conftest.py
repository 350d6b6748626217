"""The REST app on real services over a real database (D1's `sessionmaker` fixture), driven
in-process through httpx's ASGI transport. The only fake is a station's socket (`FakeLink`),
the outside edge of the connection manager."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.api.app import create_api
from tourmaline.api.deps import ApiDeps
from tourmaline.cluster.broker import MemoryBroker
from tourmaline.cluster.registry import MemoryRegistry
from tourmaline.db.writer import MessageLogWriter
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.boot import BootService
from tourmaline.services.commands import CommandService
from tourmaline.services.connections import ConnectionManager
from tourmaline.services.stations import StationService
from tourmaline.settings import Settings
from tourmaline.transport.ports import LinkClosed, ListenerInfo, OutboundCall

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
NOW_TEXT = "2025-03-01T12:00:00Z"


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return 1000.0


@dataclass
class FakeLink:
    """A station socket as the transport would register it; records how it was closed."""

    station_id: str
    listener: ListenerInfo = field(default_factory=lambda: ListenerInfo("0", 0, True))
    subprotocol: str = "ocpp2.0.1"
    closed_with: tuple[int, str] | None = None

    def submit(self, action: str, payload: JsonObject, *, timeout: float) -> OutboundCall:
        raise LinkClosed(self.station_id)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = (code, reason)


class Readiness:
    def __init__(self) -> None:
        self.ready = True
        self.error: Exception | None = None

    async def __call__(self) -> bool:
        if self.error is not None:
            raise self.error
        return self.ready


@pytest.fixture
def settings() -> Settings:
    return Settings(env="test", instance_id="api-test", log={"level": "WARNING"})


@pytest.fixture
def readiness() -> Readiness:
    return Readiness()


@pytest.fixture
async def writer(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[MessageLogWriter]:
    writer = MessageLogWriter(sessionmaker, clock=FixedClock())
    writer.start()
    try:
        yield writer
    finally:
        await writer.stop()


@pytest.fixture
async def deps(
    sessionmaker: async_sessionmaker[AsyncSession],
    writer: MessageLogWriter,
    settings: Settings,
    readiness: Readiness,
) -> AsyncIterator[ApiDeps]:
    clock = FixedClock()
    stations = StationService(sessionmaker, clock, writer)
    broker = MemoryBroker()
    connections = ConnectionManager(
        instance_id=settings.instance_id,
        registry=MemoryRegistry(),
        broker=broker,
        stations=stations,
        writer=writer,
        clock=clock,
    )
    commands = CommandService(
        connections=connections,
        broker=broker,
        instance_id=settings.instance_id,
        call_timeout=settings.ocpp.call_timeout,
        on_result=None,
    )
    await connections.start()
    try:
        yield ApiDeps(
            settings=settings,
            stations=stations,
            boots=BootService(sessionmaker, clock, settings.ocpp),
            connections=connections,
            commands=commands,
            ready=readiness,
        )
    finally:
        await commands.stop()
        await connections.stop()


@pytest.fixture
def app(deps: ApiDeps) -> FastAPI:
    return create_api(deps)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tourmaline") as client:
        yield client


@pytest.fixture
async def live_link(deps: ApiDeps) -> FakeLink:
    """A registered connection of station `cp-live`."""
    link = FakeLink("cp-live")
    await deps.connections.opened(link)
    return link


def error_of(response: httpx.Response) -> dict[str, object]:
    """The body, after checking it has exactly the interface.md §0 error shape."""
    body = response.json()
    assert set(body) - {"details"} == {"statusCode", "error", "code", "message"}
    assert body["statusCode"] == response.status_code
    return body  # type: ignore[no-any-return]
