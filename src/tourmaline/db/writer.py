"""Batched write-behind for the message log and station liveness (design.md §1.6).

Every frame in both directions is logged, thousands per second under load; one commit each would
cap the whole CSMS at the database's commit rate. The transport hands records over synchronously
(O(1), never blocking) and a background task writes them in one transaction per flush, with Core
executemany. Only the message log and liveness timestamps take this path: state changes that a
reply depends on are committed before the reply (design.md §1 principle 6).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

import structlog
from sqlalchemy import String, Table, bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from tourmaline.clock import Clock, SystemClock
from tourmaline.db.base import UTCDateTime
from tourmaline.db.models import ChargingStation, MessageLogEntry
from tourmaline.db.models.message_log import MESSAGE_FIELD_LENGTH
from tourmaline.db.models.station import STATION_ID_LENGTH
from tourmaline.metrics import MESSAGE_LOG_DROPPED, MESSAGE_LOG_WRITTEN, WRITER_FLUSH_FAILURES
from tourmaline.ocpp.framelog import FrameRecord

__all__ = ["MessageLogWriter"]

log = structlog.get_logger(__name__)

_LOG: Table = MessageLogEntry.__table__  # type: ignore[assignment]
_STATIONS: Table = ChargingStation.__table__  # type: ignore[assignment]

# Back off while the database is down, but never wait longer than this between attempts.
_MAX_RETRY_DELAY = 5.0

# Message log rows per transaction (see `_write`): about 5 ms of SQLite's time.
_CHUNK_ROWS = 100

# Errors no retry can cure: the batch is dropped rather than blocking every later one.
_PERMANENT_ERRORS = (DataError, IntegrityError)


@dataclass
class _OnlineState:
    online: bool
    protocol: str | None
    # A connection opened during this batch: the station row must exist even if the socket
    # closed again before the flush.
    went_online: bool

    def then(self, newer: _OnlineState) -> _OnlineState:
        protocol = self.protocol if newer.protocol is None else newer.protocol
        return _OnlineState(newer.online, protocol, self.went_online or newer.went_online)


@dataclass
class _Batch:
    """Everything to apply in one transaction, coalesced per key since the last flush."""

    rows: deque[dict[str, Any]] = field(default_factory=deque)
    outcomes: dict[tuple[str, str], str] = field(default_factory=dict)
    touched: dict[str, datetime] = field(default_factory=dict)
    seen: dict[str, datetime] = field(default_factory=dict)
    online: dict[str, _OnlineState] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.rows or self.outcomes or self.touched or self.seen or self.online)


class MessageLogWriter:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        flush_rows: int = 500,
        flush_interval: float = 0.25,
        clock: Clock | None = None,
        max_buffered_rows: int = 100_000,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._flush_rows = flush_rows
        self._flush_interval = flush_interval
        self._clock: Clock = clock or SystemClock()
        self._max_buffered_rows = max_buffered_rows
        self._pending = _Batch()
        self._flush_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._failures = 0

    # --- Producers: synchronous, O(1), never touch the database ---------------------------

    def add(self, record: FrameRecord) -> None:
        """Queue one frame for the message log."""
        rows = self._pending.rows
        if len(rows) >= self._max_buffered_rows:
            rows.popleft()
            MESSAGE_LOG_DROPPED.labels(reason="buffer_full").inc()
        rows.append(_row_of(record))
        if len(rows) >= self._flush_rows:
            self._wake.set()

    def set_outcome(self, station_id: str, message_id: str, outcome: str) -> None:
        """Record the final outcome of a CSMS CALL already (or about to be) queued by `add`."""
        self._pending.outcomes[(station_id, message_id)] = outcome

    def touch(self, station_id: str, timestamp: datetime) -> None:
        """A message from or to the station: `latest_ocpp_message_timestamp`, newest wins."""
        _keep_latest(self._pending.touched, station_id, timestamp)

    def seen(self, station_id: str, timestamp: datetime) -> None:
        """Any sign of life (frame or pong): `last_seen`, newest wins."""
        _keep_latest(self._pending.seen, station_id, timestamp)

    def set_online(self, station_id: str, online: bool, protocol: str | None) -> None:
        """Connection state; the last call before a flush wins. Going online creates the
        station row if missing (even when it goes offline again before the flush), going
        offline alone never does; `protocol=None` keeps the stored one."""
        _merge_online(self._pending.online, station_id, _OnlineState(online, protocol, online))

    # --- Lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="message-log-writer")

    async def stop(self) -> None:
        """Stop the periodic task (letting a flush in progress finish) and write whatever is
        still buffered."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            self._wake.set()
            await task
        await self.flush()

    async def flush(self) -> None:
        """Write everything queued so far in one transaction. A failure is logged and the work
        is kept for the next attempt (or dropped when the database refused it for good)."""
        async with self._flush_lock:
            batch, self._pending = self._pending, _Batch()
            if batch.is_empty():
                return
            try:
                await self._write(batch)
            except asyncio.CancelledError:
                self._requeue(batch)
                raise
            except Exception as error:  # the writer must survive any database failure
                self._on_failure(batch, error)
            else:
                self._failures = 0

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._next_delay())
            self._wake.clear()
            await self.flush()

    def _next_delay(self) -> float:
        if self._failures == 0:
            return self._flush_interval
        backoff: float = self._flush_interval * 2.0**self._failures
        return min(max(backoff, self._flush_interval), _MAX_RETRY_DELAY)

    # --- Failure handling ----------------------------------------------------------------------

    def _on_failure(self, batch: _Batch, error: Exception) -> None:
        self._failures += 1
        WRITER_FLUSH_FAILURES.inc()
        if isinstance(error, _PERMANENT_ERRORS):
            log.error("message log batch rejected, dropped", rows=len(batch.rows), error=str(error))
            MESSAGE_LOG_DROPPED.labels(reason="rejected").inc(len(batch.rows))
            batch.rows.clear()
        else:
            log.warning("message log flush failed, will retry", error=str(error))
        self._requeue(batch)

    def _requeue(self, failed: _Batch) -> None:
        """Put failed work back in front of what arrived meanwhile; newer station state wins."""
        newer = self._pending
        failed.rows.extend(newer.rows)
        overflow = len(failed.rows) - self._max_buffered_rows
        for _ in range(max(overflow, 0)):
            failed.rows.popleft()
        if overflow > 0:
            MESSAGE_LOG_DROPPED.labels(reason="buffer_full").inc(overflow)
        failed.outcomes.update(newer.outcomes)
        for station_id, timestamp in newer.touched.items():
            _keep_latest(failed.touched, station_id, timestamp)
        for station_id, timestamp in newer.seen.items():
            _keep_latest(failed.seen, station_id, timestamp)
        for station_id, state in newer.online.items():
            _merge_online(failed.online, station_id, state)
        self._pending = failed

    # --- The transaction -----------------------------------------------------------------------

    async def _write(self, batch: _Batch) -> None:
        """Several short transactions rather than one long one: on SQLite this writer shares
        the one connection with the TransactionEvent group commit, whose callers wait for it,
        so they should wait for one chunk of the log at most, not for the whole flush. What is
        committed leaves `batch`, so a failure retries only the rest."""
        while batch.rows:
            chunk = list(islice(batch.rows, _CHUNK_ROWS))
            async with self._sessionmaker.begin() as session:
                await session.execute(_LOG.insert(), chunk)
            for _ in chunk:
                batch.rows.popleft()
            MESSAGE_LOG_WRITTEN.inc(len(chunk))
            await asyncio.sleep(0)  # a waiting group takes the connection first
        # Order matters: outcome updates after the rows, so they find CALLs queued in the same
        # batch; the online upsert before the timestamps, so a just-created station gets them.
        async with self._sessionmaker.begin() as session:
            connection = await session.connection()
            if batch.outcomes:
                await connection.execute(_OUTCOME_UPDATE, _outcome_params(batch.outcomes))
            if batch.online:
                await self._upsert_online(connection, batch.online)
            if batch.touched or batch.seen:
                await connection.execute(_TIMES_UPDATE, _times_params(batch.touched, batch.seen))

    async def _upsert_online(
        self, connection: AsyncConnection, states: dict[str, _OnlineState]
    ) -> None:
        # Only a connection opened in this batch creates the station row. Going offline alone
        # never does: the station may have been deleted through the API while still connected.
        now = self._clock.now()
        upserts = [
            {"id": station_id, "is_online": state.online, "protocol": state.protocol}
            for station_id, state in states.items()
            if state.went_online
        ]
        offline = [
            {"b_id": station_id, "b_protocol": state.protocol, "b_now": now}
            for station_id, state in states.items()
            if not state.went_online
        ]
        if upserts:
            statement = _online_upsert(connection.dialect.name, now)
            await connection.execute(statement, upserts)
        if offline:
            await connection.execute(_OFFLINE_UPDATE, offline)


def _merge_online(states: dict[str, _OnlineState], station_id: str, newer: _OnlineState) -> None:
    older = states.get(station_id)
    states[station_id] = newer if older is None else older.then(newer)


def _keep_latest(latest: dict[str, datetime], station_id: str, timestamp: datetime) -> None:
    current = latest.get(station_id)
    if current is None or timestamp > current:
        latest[station_id] = timestamp


def _row_of(record: FrameRecord) -> dict[str, Any]:
    return {
        "station_id": record.station_id[:STATION_ID_LENGTH],
        "origin": record.origin,
        "message_type_id": record.message_type_id,
        "message_id": _clip(record.message_id),
        "action": _clip(record.action),
        "timestamp": record.timestamp,
        # PostgreSQL text cannot hold NUL, which a broken station may well send.
        "message": record.text.replace("\x00", "\ufffd"),
        "outcome": record.outcome,
    }


def _clip(value: str | None) -> str | None:
    return None if value is None else value[:MESSAGE_FIELD_LENGTH]


# Only the CSMS's own CALL carries the outcome, not the station's CALLRESULT with the same id.
_OUTCOME_UPDATE = (
    update(_LOG)
    .where(
        _LOG.c.station_id == bindparam("b_station_id"),
        _LOG.c.message_id == bindparam("b_message_id"),
        _LOG.c.origin == "csms",
        _LOG.c.message_type_id == 2,
    )
    .values(outcome=bindparam("b_outcome"))
)


def _outcome_params(outcomes: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    return [
        {"b_station_id": station_id, "b_message_id": _clip(message_id), "b_outcome": outcome}
        for (station_id, message_id), outcome in outcomes.items()
    ]


_TIMES_UPDATE = (
    update(_STATIONS)
    .where(_STATIONS.c.id == bindparam("b_id"))
    .values(
        latest_ocpp_message_timestamp=func.coalesce(
            bindparam("b_touched", type_=UTCDateTime()), _STATIONS.c.latest_ocpp_message_timestamp
        ),
        last_seen=func.coalesce(bindparam("b_seen", type_=UTCDateTime()), _STATIONS.c.last_seen),
    )
)


def _times_params(touched: dict[str, datetime], seen: dict[str, datetime]) -> list[dict[str, Any]]:
    return [
        {"b_id": station_id, "b_touched": touched.get(station_id), "b_seen": seen.get(station_id)}
        for station_id in touched.keys() | seen.keys()
    ]


_OFFLINE_UPDATE = (
    update(_STATIONS)
    .where(_STATIONS.c.id == bindparam("b_id"))
    .values(
        is_online=False,
        protocol=func.coalesce(bindparam("b_protocol", type_=String()), _STATIONS.c.protocol),
        updated_at=bindparam("b_now", type_=UTCDateTime()),
    )
)


def _online_upsert(dialect_name: str, now: datetime) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    insert = dialect.insert(_STATIONS)
    # id, is_online and protocol come from each executemany parameter set.
    statement = insert.values(min_security_profile=0, created_at=now, updated_at=now)
    return statement.on_conflict_do_update(
        index_elements=[_STATIONS.c.id],
        set_={
            "is_online": statement.excluded.is_online,
            "protocol": func.coalesce(statement.excluded.protocol, _STATIONS.c.protocol),
            "updated_at": statement.excluded.updated_at,
        },
    )
