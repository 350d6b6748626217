"""Engine and session factory for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from tourmaline.settings import DatabaseSettings

__all__ = ["create_engine", "is_sqlite", "make_sessionmaker", "ping"]

log = structlog.get_logger(__name__)

# WAL lets the API read while the writer commits; NORMAL is durable across application crashes
# in WAL mode (only an OS crash may lose the last commits) and is several times faster than FULL
# (design.md §9 measurements). busy_timeout absorbs short lock waits instead of failing.
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """An async engine for `settings.url`, tuned for its backend."""
    if is_sqlite(settings.url):
        return _sqlite_engine(settings)
    return create_async_engine(
        settings.url,
        echo=settings.echo,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def _sqlite_engine(settings: DatabaseSettings) -> AsyncEngine:
    # SQLite has one writer at a time. With several pooled connections, concurrent transactions
    # wait in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and leaves the
    # process idle; one connection makes them queue in asyncio instead, back to back.
    engine = create_async_engine(
        settings.url, echo=settings.echo, pool_size=1, max_overflow=0, pool_timeout=60
    )
    event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
    return engine


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Loaded objects are turned into DTOs after commit; expiring them would force a reload
    # that async sessions cannot do implicitly.
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query (readiness probe)."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # a readiness probe reports, it never raises
        log.warning("database ping failed", error=str(error))
        return False
    return True
