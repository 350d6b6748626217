"""Schema migrations, driven from code: the Alembic scripts ship inside the package, so this works
from an installed wheel without an alembic.ini. Every entry point takes an engine or a URL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tourmaline.db.engine import create_engine
from tourmaline.settings import DatabaseSettings

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "downgrade_to",
    "head_revision",
    "is_at_head",
    "is_empty",
    "upgrade_to_head",
]

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any constant works; it only has to be the same in every Tourmaline instance sharing a database.
_PG_MIGRATION_LOCK = 0x746F75726D  # "tourm"

T = TypeVar("T")
EngineOrUrl = AsyncEngine | str


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the packaged scripts; `connection` is handed to env.py."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_to_head(engine_or_url: EngineOrUrl) -> None:
    """Apply every pending migration in one transaction."""
    async with _connection(engine_or_url, write=True) as connection:
        await _serialise_migrations(connection)
        await connection.run_sync(_upgrade, "head")
    log.info("database schema at head", revision=head_revision())


async def downgrade_to(engine_or_url: EngineOrUrl, revision: str = "base") -> None:
    async with _connection(engine_or_url, write=True) as connection:
        await _serialise_migrations(connection)
        await connection.run_sync(_downgrade, revision)


async def current_revision(engine_or_url: EngineOrUrl) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    return await _read(engine_or_url, _current_revision)


async def is_at_head(engine_or_url: EngineOrUrl) -> bool:
    return await _read(engine_or_url, _current_revision) == head_revision()


async def is_empty(engine_or_url: EngineOrUrl) -> bool:
    """True when the database holds no table at all, so migrating it cannot harm anyone's data."""
    return await _read(engine_or_url, _has_no_tables)


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _has_no_tables(connection: Connection) -> bool:
    return not inspect(connection).get_table_names()


async def _serialise_migrations(connection: AsyncConnection) -> None:
    # Several instances starting together against one PostgreSQL must not migrate concurrently;
    # the transaction-scoped lock is released by the commit. SQLite serialises writers itself.
    if connection.dialect.name == "postgresql":
        await connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))


async def _read(engine_or_url: EngineOrUrl, query: Callable[[Connection], T]) -> T:
    async with _connection(engine_or_url, write=False) as connection:
        return await connection.run_sync(query)


@asynccontextmanager
async def _connection(engine_or_url: EngineOrUrl, *, write: bool) -> AsyncIterator[AsyncConnection]:
    engine = _as_engine(engine_or_url)
    try:
        if write:
            async with engine.begin() as connection:
                yield connection
        else:
            async with engine.connect() as connection:
                yield connection
    finally:
        if engine is not engine_or_url:
            await engine.dispose()


def _as_engine(engine_or_url: EngineOrUrl) -> AsyncEngine:
    if isinstance(engine_or_url, AsyncEngine):
        return engine_or_url
    return create_engine(DatabaseSettings(url=engine_or_url))
