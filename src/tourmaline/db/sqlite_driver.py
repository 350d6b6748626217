"""SQLAlchemy's aiosqlite driver, with one trip to SQLite's thread per statement.

aiosqlite runs each sqlite3 call on the connection's own thread and hands the result back
through the event loop. SQLAlchemy's adapter makes three or four such trips per statement
(open a cursor, execute, fetch, close), and under load every trip waits for the event loop's
next turn, which it shares with thousands of station sockets: a TransactionEvent group of a
handful of statements took tens of milliseconds mostly waiting. Here the cursor is opened, run,
read and closed in one function on that thread, so a statement costs one trip.

Built on SQLAlchemy 2.1's asyncio adapter classes (pyproject pins the 2.1 series); the engine
gets it through `create_async_engine(module=...)`, so URLs stay `sqlite+aiosqlite://`.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from dataclasses import dataclass
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

__all__ = ["one_trip_dbapi"]


@dataclass(slots=True)
class _Outcome:
    """What SQLAlchemy reads from a cursor after a statement, taken before it was closed."""

    description: Any
    rowcount: int
    lastrowid: int | None
    rows: list[Any]
    in_transaction: bool
    arraysize: int = 1

    def close(self) -> None:
        """The sqlite3 cursor behind it is closed already."""


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    """On aiosqlite's thread: the whole life of one cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Outcome(
            cursor.description, cursor.rowcount, cursor.lastrowid, rows, connection.in_transaction
        )
    finally:
        cursor.close()


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    # `_cursor` holds the last _Outcome, whose close() is synchronous.
    _awaitable_cursor_close = False

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Outcome(None, -1, None, [], in_transaction=False)

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._trip(operation, seq_of_parameters, many=True)

    async def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        connection: _OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        # Until the answer says otherwise: a statement that fails may have opened a transaction.
        connection.in_transaction = True
        async with connection._execute_mutex:
            trip = driver._execute(_run, driver._conn, operation, parameters, many)  # type: ignore[no-untyped-call]
            outcome: _Outcome = await trip
        connection.in_transaction = outcome.in_transaction
        self._cursor = outcome  # type: ignore[assignment]
        self._rows = deque(outcome.rows)


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Also skips the trip for a rollback when sqlite3 has no transaction open (it opens one
    for a write, not for a read), as on every connection the pool gets back after reads."""

    __slots__ = ("in_transaction",)
    _cursor_cls = _OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = False

    def rollback(self) -> None:
        if self.in_transaction:
            super().rollback()
        self.in_transaction = False

    def commit(self) -> None:
        super().commit()
        self.in_transaction = False


class _OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return _OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> Any:
    """The DB-API module to hand to `create_async_engine(module=...)` for SQLite."""
    return _OneTripDbapi(aiosqlite, sqlite3)
