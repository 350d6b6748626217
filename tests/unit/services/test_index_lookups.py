"""The per-message reads of TransactionEvent and Authorize find their rows through an index, so
their cost does not grow with every session and token ever stored (db/lookups.py).

SQLite only: the statements are captured as the services send them and handed to SQLite's
`EXPLAIN QUERY PLAN`, which names a full scan "SCAN <table>" without "USING ... INDEX".
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tests.tx_support import TokenBook, tx_event
from tourmaline.services.authorization import AuthorizationService
from tourmaline.services.tariffs import TariffService
from tourmaline.services.transactions import TransactionService
from tourmaline.settings import TransactionSettings

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

Statement = tuple[str, Any]


@contextmanager
def captured(engine: AsyncEngine) -> Iterator[list[Statement]]:
    statements: list[Statement] = []

    def keep(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        if not many and sql.lstrip().upper().startswith("SELECT"):
            statements.append((sql, params))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)


async def full_scans(engine: AsyncEngine, statements: list[Statement], table: str) -> list[str]:
    """The plan lines of `statements` that read every row of `table`."""
    scans = []
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        for sql, params in statements:
            if f"FROM {table}" not in sql:
                continue
            plan = await raw.driver_connection.execute_fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
            scans += [row[3] for row in plan if row[3].startswith(f"SCAN {table}")]
    return [line for line in scans if "INDEX" not in line]


async def each_station_once(service: TransactionService, payloads: list[dict[str, Any]]) -> None:
    """Sent at once, so that all but the first share a group (services/batching.py)."""
    stations = [f"cp{n}" for n in range(len(payloads))]
    sent = map(service.on_transaction_event, stations, payloads)
    await asyncio.gather(*sent)


async def test_a_group_of_transaction_events_reads_by_index(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    book = TokenBook({"04A2B3C4": ("Accepted", False)})
    service = TransactionService(
        sessionmaker,
        FakeClock(),
        TransactionSettings(),
        authorizer=book,
        tariffs=TariffService(sessionmaker, FakeClock()),
    )
    token = "04A2B3C4"
    started = [tx_event("Started", f"t{n}", 0, id_token=token, evse_id=1) for n in range(4)]
    await each_station_once(service, started)
    updated = [tx_event("Updated", f"t{n}", 1, evse_id=1) for n in range(4)]
    with captured(engine) as statements:
        await each_station_once(service, updated)
        await each_station_once(service, updated)  # retries: the stored answers are read
    assert any("FROM transaction_events" in sql for sql, _ in statements)
    assert await full_scans(engine, statements, "transactions") == []
    assert await full_scans(engine, statements, "transaction_events") == []


async def test_authorize_reads_the_token_by_index(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    authorizations = AuthorizationService(sessionmaker, FakeClock())
    tokens = [{"idToken": f"04A2B3C{n}", "type": "ISO14443"} for n in range(4)]
    with captured(engine) as statements:
        await asyncio.gather(*(authorizations.authorize("cp1", token) for token in tokens))
    assert any("FROM authorizations" in sql for sql, _ in statements)
    assert await full_scans(engine, statements, "authorizations") == []
