"""The real route table over real services on a real database, with a FakeClock."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.handlers import build_router
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.services.boot import BootService
from tourmaline.services.inbound import InboundPipeline
from tourmaline.services.stations import StationService
from tourmaline.settings import Settings


@pytest.fixture
def settings() -> Settings:
    return Settings(env="test")


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
