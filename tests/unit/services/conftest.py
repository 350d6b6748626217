"""Real services on a real database (D1's `sessionmaker` fixture: SQLite, and PostgreSQL when
TOURMALINE_TEST_POSTGRES_URL is set), driven by a FakeClock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import CountingHasher, FakeClock
from tourmaline.db.writer import MessageLogWriter
from tourmaline.services.boot import BootService
from tourmaline.services.credentials import CredentialService
from tourmaline.services.stations import StationService
from tourmaline.settings import OcppSettings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


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
