"""The console's routes on real services over a real database (the `sessionmaker` fixture),
driven in-process through httpx's ASGI transport, as tests/api does for the REST routes. The
only fake is a station's socket (tests/cluster/fakes.py `FakeLink`), whose calls the test
answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.conftest import FixedClock, Readiness
from tests.helpers import CountingHasher
from tourmaline.api.app import create_api
from tourmaline.api.deps import ApiDeps
from tourmaline.cluster.broker import MemoryBroker
from tourmaline.cluster.events import EventFeed
from tourmaline.cluster.registry import MemoryRegistry
from tourmaline.db.writer import MessageLogWriter
from tourmaline.services.boot import BootService
from tourmaline.services.commands import CommandService
from tourmaline.services.connections import ConnectionManager
from tourmaline.services.credentials import CredentialService
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.message_log import MessageLogQuery
from tourmaline.services.stations import StationService
from tourmaline.settings import Settings

API_KEY = "console-test-key-0123456789"
_CSRF = re.compile(r'"X-CSRF-Token": "([0-9a-f]{64})"')


@pytest.fixture
def auth() -> str:
    """Parametrise with `@pytest.mark.parametrize("auth", ["api_key"])` for a protected API."""
    return "none"


@pytest.fixture
def settings(auth: str) -> Settings:
    api = {"auth": auth, "api_keys": [API_KEY] if auth == "api_key" else []}
    return Settings(env="test", instance_id="console-test", api=api, log={"level": "WARNING"})


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
    sessionmaker: async_sessionmaker[AsyncSession], writer: MessageLogWriter, settings: Settings
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
    commands = CommandService(connections=connections, broker=broker, call_timeout=2.0)
    credentials = CredentialService(sessionmaker, clock, hasher=CountingHasher())
    device_model = DeviceModelService(sessionmaker, clock, credentials)
    events = EventFeed(instance_id=settings.instance_id, broker=broker)
    await connections.start()
    await events.start()
    try:
        yield ApiDeps(
            settings=settings,
            stations=stations,
            boots=BootService(sessionmaker, clock, settings.ocpp),
            connections=connections,
            commands=commands,
            ready=Readiness(),
            message_log=MessageLogQuery(sessionmaker),
            device_model=device_model,
            batch_limits=device_model.get_limit,
            credentials=credentials,
            events=events,
        )
    finally:
        await events.stop()
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


@dataclass
class Browser:
    """A console user: the client with its cookies, and the CSRF token of its session."""

    client: httpx.AsyncClient
    csrf: str = ""

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        response = await self.client.get(path, **kwargs)  # type: ignore[arg-type]
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, form: dict[str, str], **kwargs: object) -> httpx.Response:
        if not self.csrf:
            await self.get("/ui/stations")
        data = {"csrf": self.csrf, **form}
        return await self.client.post(path, data=data, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def browser(client: httpx.AsyncClient) -> Browser:
    return Browser(client)
