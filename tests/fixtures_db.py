"""Database fixtures for every suite: each test gets its own database on each backend.

Backends: "sqlite" always (a file under tmp_path); "postgres" when TOURMALINE_TEST_POSTGRES_URL
names a server (for example postgresql+asyncpg://postgres@127.0.0.1:5432/test), otherwise that
parameter is skipped visibly. PostgreSQL tests get databases of their own named
tourmaline_test_<random>, so runs and xdist workers never see each other's data:
- an empty one is created per test and dropped WITH (FORCE) afterwards;
- a migrated one is cloned from a template migrated once per session (CREATE DATABASE ...
  TEMPLATE), and on success emptied with TRUNCATE and kept for the next test of this process,
  since creating a database costs a third of a second and truncating a few milliseconds.

Fixtures:
    backend                 "sqlite" | "postgres" (parametrised; drives everything below)
    database_url            an EMPTY database (migration tests, a runtime that migrates itself)
    migrated_database_url   a database already at the migration head, with no rows
    engine / sessionmaker   on a migrated database
Any test using one of them runs once per backend. `BACKEND_PARAMS` is exported for tests that
parametrise over backends themselves: `@pytest.mark.parametrize("backend", BACKEND_PARAMS)`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from tourmaline.db.engine import create_engine, make_sessionmaker
from tourmaline.db.migrate import is_at_head, upgrade_to_head
from tourmaline.db.models import Base
from tourmaline.settings import DatabaseSettings

__all__ = [
    "BACKEND_PARAMS",
    "POSTGRES_URL_ENV",
    "postgres_test_url",
    "sqlite_url",
]

POSTGRES_URL_ENV = "TOURMALINE_TEST_POSTGRES_URL"


def postgres_test_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


BACKEND_PARAMS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(postgres_test_url() is None, reason=f"{POSTGRES_URL_ENV} not set"),
        ],
    ),
]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


# --- PostgreSQL -------------------------------------------------------------------------------


def _server_url() -> str:
    url = postgres_test_url()
    assert url is not None, "postgres fixtures used without TOURMALINE_TEST_POSTGRES_URL"
    return url


def _url_of(name: str) -> str:
    return make_url(_server_url()).set(database=name).render_as_string(hide_password=False)


def _unique_name(kind: str) -> str:
    return f"tourmaline_{kind}_{uuid.uuid4().hex[:12]}"


async def _admin(sql: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    engine = create_async_engine(_server_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


async def _create_database(template: str = "template0") -> str:
    name = _unique_name("test")
    await _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    return name


async def _drop_databases(names: list[str]) -> None:
    for name in names:
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _migrated_template() -> str:
    name = await _create_database()
    await upgrade_to_head(_url_of(name))
    return name


@dataclass
class _PostgresSource:
    """Where migrated PostgreSQL databases come from in this test process."""

    template: str
    clean: list[str] = field(default_factory=list)

    async def take(self) -> str:
        return self.clean.pop() if self.clean else await _create_database(self.template)

    async def give_back(self, name: str) -> None:
        if await _emptied(name):
            self.clean.append(name)
        else:
            await _drop_databases([name])


async def _emptied(name: str) -> bool:
    """Truncate every table; False when the database is no longer a clean migrated schema
    (a test changed it, or still holds locks on it)."""
    tables = ", ".join(Base.metadata.tables)
    engine = create_async_engine(_url_of(name), poolclass=NullPool)
    try:
        if not await is_at_head(engine):
            return False
        async with engine.begin() as connection:
            await connection.execute(text("SET LOCAL lock_timeout = '1s'"))
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    except Exception:
        return False
    finally:
        await engine.dispose()
    return True


@pytest.fixture(scope="session")
def _postgres_source() -> Iterator[_PostgresSource]:
    # Sync with its own loop: session-scoped async fixtures would need a session event loop.
    source = _PostgresSource(template=asyncio.run(_migrated_template()))
    yield source
    asyncio.run(_drop_databases([*source.clean, source.template]))


# --- SQLite -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db-template") / "template.db"
    asyncio.run(_migrate_and_checkpoint(sqlite_url(path)))
    return path


async def _migrate_and_checkpoint(url: str) -> None:
    engine = create_engine(DatabaseSettings(url=url))
    try:
        await upgrade_to_head(engine)
        # Fold the WAL into the main file so a plain file copy is a complete database.
        async with engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await engine.dispose()


# --- Public fixtures --------------------------------------------------------------------------


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the current backend."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path / "tourmaline.db")
        return
    name = await _create_database()
    try:
        yield _url_of(name)
    finally:
        await _drop_databases([name])


@pytest.fixture
def _migrated_source(backend: str, request: pytest.FixtureRequest) -> Path | _PostgresSource:
    # Resolved in a sync fixture, so only the backend in use builds its template, and the
    # template's asyncio.run never nests inside the test's running event loop.
    if backend == "sqlite":
        path: Path = request.getfixturevalue("_sqlite_template")
        return path
    source: _PostgresSource = request.getfixturevalue("_postgres_source")
    return source


@pytest.fixture
async def migrated_database_url(
    _migrated_source: Path | _PostgresSource, tmp_path: Path
) -> AsyncIterator[str]:
    """A database of the current backend at the migration head, with no rows."""
    if isinstance(_migrated_source, Path):
        path = tmp_path / "tourmaline.db"
        shutil.copyfile(_migrated_source, path)
        yield sqlite_url(path)
        return
    name = await _migrated_source.take()
    try:
        yield _url_of(name)
    finally:
        await _migrated_source.give_back(name)


@pytest.fixture
async def engine(migrated_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DatabaseSettings(url=migrated_database_url))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)
