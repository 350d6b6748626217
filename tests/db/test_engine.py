"""Engine tuning, readiness ping and the column conventions every table relies on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import OperationalError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.fixtures_db import sqlite_url
from tourmaline.db.engine import create_engine, create_reader_engine, ping
from tourmaline.db.models import ChargingStation, Connector, StatusNotification
from tourmaline.settings import DatabaseSettings


async def _pragma(engine: AsyncEngine, name: str) -> object:
    async with engine.connect() as connection:
        return (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(DatabaseSettings(url=sqlite_url(tmp_path / "pragmas.db")))
    try:
        assert await _pragma(engine, "journal_mode") == "wal"
        assert await _pragma(engine, "foreign_keys") == 1
        assert await _pragma(engine, "busy_timeout") == 5000
        assert await _pragma(engine, "synchronous") == 1  # NORMAL
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sqlite_readers_neither_wait_for_the_writer_nor_see_its_uncommitted_rows(
    migrated_database_url: str,
) -> None:
    settings = DatabaseSettings(url=migrated_database_url)
    writer, reader = create_engine(settings), create_reader_engine(settings)
    assert reader is not None
    count = select(func.count()).select_from(ChargingStation)
    try:
        async with writer.begin() as writing:  # the writer's one connection stays busy
            await writing.execute(insert(ChargingStation).values(id="cp-uncommitted"))
            async with reader.connect() as reading:
                seen = await asyncio.wait_for(reading.scalar(count), timeout=10)
        assert seen == 0
        async with reader.connect() as reading:
            assert await reading.scalar(count) == 1
            with pytest.raises(OperationalError, match="readonly"):
                await reading.execute(delete(ChargingStation))
    finally:
        await writer.dispose()
        await reader.dispose()


async def test_no_reader_engine_beside_postgresql_or_an_in_memory_sqlite() -> None:
    for url in ("postgresql+asyncpg://postgres@127.0.0.1/test", "sqlite+aiosqlite://"):
        assert create_reader_engine(DatabaseSettings(url=url)) is None


async def test_ping_is_true_for_a_reachable_database(engine: AsyncEngine) -> None:
    assert await ping(engine)


async def _ping_once(url: str) -> bool:
    engine = create_engine(DatabaseSettings(url=url))
    try:
        return await ping(engine)
    finally:
        await engine.dispose()


async def test_ping_is_false_when_postgres_refuses_the_connection() -> None:
    assert not await _ping_once("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")


async def test_ping_is_false_when_the_sqlite_file_is_not_a_database(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not an SQLite database file, just some bytes" * 100)
    assert not await _ping_once(sqlite_url(garbage))


async def test_datetimes_come_back_as_the_same_instant_in_utc(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    paris_summer = timezone(timedelta(hours=2))
    given = datetime(2025, 7, 1, 14, 30, 15, 123456, tzinfo=paris_summer)
    async with sessionmaker.begin() as session:
        session.add(ChargingStation(id="cp-1", last_seen=given))

    async with sessionmaker() as session:
        stored = await session.get(ChargingStation, "cp-1")
    assert stored is not None
    assert stored.last_seen == given
    assert stored.last_seen is not None and stored.last_seen.utcoffset() == timedelta(0)
    assert stored.created_at.tzinfo is not None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sqlite_stores_utc_text_in_the_format_existing_databases_hold(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    whole_second = datetime(2025, 7, 1, 14, 30, 15, tzinfo=timezone(timedelta(hours=2)))
    async with sessionmaker.begin() as session:
        session.add(ChargingStation(id="cp-1", last_seen=whole_second))
    async with sessionmaker() as session:
        raw = await session.scalar(text("SELECT last_seen FROM charging_stations"))
    assert raw == "2025-07-01 12:30:15.000000"


async def test_naive_datetimes_are_refused(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with sessionmaker.begin() as session:
            session.add(ChargingStation(id="cp-1", last_seen=datetime(2025, 1, 1)))


async def test_deleting_a_station_deletes_its_connectors_and_status_history(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    async with sessionmaker.begin() as session:
        session.add(ChargingStation(id="cp-1"))
        await session.flush()
        session.add(Connector(station_id="cp-1", evse_id=1, connector_id=1, status="Available"))
        session.add(
            StatusNotification(
                station_id="cp-1",
                evse_id=1,
                connector_id=1,
                connector_status="Available",
                timestamp=now,
                received_at=now,
            )
        )

    async with sessionmaker.begin() as session:
        await session.execute(delete(ChargingStation).where(ChargingStation.id == "cp-1"))

    async with sessionmaker() as session:
        assert (await session.execute(select(Connector))).all() == []
        assert (await session.execute(select(StatusNotification))).all() == []
