"""The SQLite driver (db/sqlite_driver.py): one trip to aiosqlite's thread per statement, and
still everything SQLAlchemy expects of a cursor: rows, rowcount, generated ids, errors, and a
clean connection after a failed write."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fixtures_db import sqlite_url
from tourmaline.db.engine import create_engine
from tourmaline.db.migrate import upgrade_to_head
from tourmaline.db.models import ChargingStation, MessageLogEntry
from tourmaline.settings import DatabaseSettings

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
STATIONS = ChargingStation.__table__
LOG = MessageLogEntry.__table__


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = sqlite_url(tmp_path / "driver.db")
    await upgrade_to_head(url)
    engine = create_engine(DatabaseSettings(url=url))
    yield engine
    await engine.dispose()


@contextmanager
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the functions aiosqlite runs on its thread meanwhile."""
    names: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    with monkeypatch.context() as patch:
        patch.setattr(aiosqlite.Connection, "_execute", counted)
        yield names


async def open_the_connection(engine: AsyncEngine) -> None:
    """The pool's one connection, with its pragmas, before trips are counted."""
    async with engine.connect() as connection:
        await connection.scalar(select(1))


async def test_a_read_is_one_trip_and_returning_the_connection_costs_none(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await open_the_connection(engine)
    with trips(monkeypatch) as names:
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(STATIONS)) == 0
    assert names == ["_run"]


async def test_writes_report_rows_ids_and_counts_and_commit(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await open_the_connection(engine)
    with trips(monkeypatch) as names:
        async with engine.begin() as connection:
            await connection.execute(insert(STATIONS), [{"id": "cp-1"}, {"id": "cp-2"}])
            result = await connection.execute(
                insert(LOG).values(station_id="cp-1", origin="cs", message="[]", timestamp=NOW)
            )
            assert result.inserted_primary_key is not None
            assert result.inserted_primary_key[0] >= 1
            changed = await connection.execute(
                update(STATIONS).where(STATIONS.c.id == "cp-2").values(is_online=True)
            )
            assert changed.rowcount == 1
    assert names == ["_run", "_run", "_run", "commit"]
    async with engine.connect() as connection:
        online = await connection.scalars(select(STATIONS.c.id).where(STATIONS.c.is_online))
        assert list(online) == ["cp-2"]


async def test_a_failed_write_leaves_nothing_behind_on_the_pooled_connection(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(STATIONS).values(id="cp-1"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(insert(STATIONS).values(id="cp-2"))
            await connection.execute(insert(STATIONS).values(id="cp-1"))
    # The engine has one connection: this write would join a transaction left open.
    async with engine.begin() as connection:
        await connection.execute(insert(STATIONS).values(id="cp-3"))
    async with engine.connect() as connection:
        ids = await connection.scalars(select(STATIONS.c.id).order_by(STATIONS.c.id))
        assert list(ids) == ["cp-1", "cp-3"]
