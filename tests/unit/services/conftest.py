"""Real services on a real database (D1's `sessionmaker` fixture: SQLite, and PostgreSQL when
TOURMALINE_TEST_POSTGRES_URL is set), driven by a FakeClock."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import CountingHasher, FakeClock
from tourmaline.services.boot import BootService
from tourmaline.services.credentials import CredentialService
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.stations import StationService, StationWrite
from tourmaline.settings import OcppSettings


@pytest.fixture
def ocpp_settings() -> OcppSettings:
    return OcppSettings()


@pytest.fixture
def boots(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, ocpp_settings: OcppSettings
) -> BootService:
    return BootService(sessionmaker, clock, ocpp_settings)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def credentials(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, hasher: CountingHasher
) -> CredentialService:
    return CredentialService(sessionmaker, clock, hasher=hasher)


@pytest.fixture
async def station_model(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    credentials: CredentialService,
    stations: StationService,
) -> DeviceModelService:
    """The device model of station cp001 (created here), for services that read it."""
    await stations.upsert("cp001", StationWrite())
    return DeviceModelService(sessionmaker, clock, credentials)
