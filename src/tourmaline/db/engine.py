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

from tourmaline.db.sqlite_driver import one_trip_dbapi
from tourmaline.settings import DatabaseSettings

__all__ = ["create_engine", "create_reader_engine", "is_sqlite", "make_sessionmaker", "ping"]

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
# WAL is a property of the file, set by the writer's first connection (migrations run first).
_READER_PRAGMAS = ("PRAGMA busy_timeout=5000", "PRAGMA query_only=ON")
# Read-only SQLite connections (each has its own thread in aiosqlite).
_READERS = 2


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
        settings.url,
        echo=settings.echo,
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
        module=one_trip_dbapi(),
    )
    event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
    return engine


def create_reader_engine(settings: DatabaseSettings) -> AsyncEngine | None:
    """Read-only connections beside the writer's one, for a SQLite file; None otherwise
    (PostgreSQL's pool already reads concurrently; an in-memory database is per connection).

    In WAL mode readers never wait for the writer, so a token lookup or an API page need not
    queue behind a TransactionEvent group or a message-log flush on the single connection, and
    each sees every transaction committed before it began."""
    url = make_url(settings.url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    engine = create_async_engine(
        settings.url,
        echo=settings.echo,
        pool_size=_READERS,
        max_overflow=0,
        pool_timeout=60,
        module=one_trip_dbapi(),
    )
    event.listen(engine.sync_engine, "connect", _apply_reader_pragmas)
    return engine


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    _run_pragmas(dbapi_connection, _SQLITE_PRAGMAS)


def _apply_reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    _run_pragmas(dbapi_connection, _READER_PRAGMAS)


def _run_pragmas(dbapi_connection: Any, pragmas: tuple[str, ...]) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in pragmas:
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
