"""Fixtures shared by the handler and service suites: real services on a real database (the
`sessionmaker` fixture: SQLite, and PostgreSQL when TOURMALINE_TEST_POSTGRES_URL is set), driven
by a FakeClock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.db.writer import MessageLogWriter
from tourmaline.services.stations import StationService


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
