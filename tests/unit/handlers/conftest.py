"""The real route table over real services on a real database, with a FakeClock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.db.writer import MessageLogWriter
from tourmaline.handlers import build_router
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.services.boot import BootService
from tourmaline.services.inbound import InboundPipeline
from tourmaline.services.stations import StationService
from tourmaline.settings import Settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> Settings:
    return Settings(env="test")


@pytest.fixture
async def writer(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> AsyncIterator[MessageLogWriter]:
    writer = MessageLogWriter(sessionmaker, clock=clock, flush_interval=3600)
    writer.start()
    yield writer
    await writer.stop()


@pytest.fixture
def stations(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, writer: MessageLogWriter
) -> StationService:
    return StationService(sessionmaker, clock, writer)


@pytest.fixture
def boots(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, settings: Settings
) -> BootService:
    return BootService(sessionmaker, clock, settings.ocpp)


@pytest.fixture
def pipeline(
    settings: Settings, clock: FakeClock, stations: StationService, boots: BootService
) -> InboundPipeline:
    router = build_router(SchemaRegistry(), settings.ocpp)
    return InboundPipeline(
        router=router, settings=settings, clock=clock, stations=stations, boots=boots
    )
