"""Security events (OCPP 2.0.1 A04; interface.md §11 block A): what stations report with
SecurityEventNotification, and what Tourmaline notices itself (refused CSRs, failed logins,
refused upgrades, TLS failures).

A station's notification is committed before its answer (design.md §1.6). A CSMS-side event is
handed over with `report()`, which must never block or raise (the handshake and the TLS layer
call it), so those rows are written in batches by a background task, like the message log.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import structlog
from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import SecurityEvent
from tourmaline.db.models.station import STATION_ID_LENGTH
from tourmaline.services.record_views import iso_z, with_present

__all__ = ["SecurityEventFilter", "SecurityEventService"]

log = structlog.get_logger(__name__)

Origin = Literal["cs", "csms"]

# The SecurityEventNotification limits of the same fields.
TYPE_LENGTH = 50
TECH_INFO_LENGTH = 255


@dataclass(frozen=True, slots=True)
class SecurityEventFilter:
    station_id: str | None = None
    type: str | None = None
    origin: Origin | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


class SecurityEventService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        flush_interval: float = 0.5,
        max_buffered: int = 10_000,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._flush_interval = flush_interval
        self._pending: deque[dict[str, Any]] = deque(maxlen=max_buffered)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- station-reported ------------------------------------------------------------------------

    async def record_notification(
        self, station_id: str, event_type: str, timestamp: datetime, tech_info: str | None
    ) -> None:
        """A SecurityEventNotification, committed before the station gets its `{}`."""
        row = self._row(station_id, event_type, tech_info, "cs", timestamp)
        async with self._sessionmaker.begin() as session:
            await session.execute(insert(SecurityEvent), [row])

    # -- CSMS-side (services.ports.SecurityEventSink) --------------------------------------------

    def report(self, station_id: str | None, event_type: str, tech_info: str | None) -> None:
        """Queue a CSMS-side event; O(1), never blocks, never raises. When the buffer is full
        the oldest queued event is dropped (a flood of failed logins must not eat memory)."""
        try:
            now = self._clock.now()
            self._pending.append(self._row(station_id, event_type, tech_info, "csms", now))
            self._wake.set()
        except Exception:
            log.exception("security event not queued", event_type=event_type)

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="security-event-writer"
            )

    async def stop(self) -> None:
        """Stop the writer task and write what is still queued."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping.set()
            self._wake.set()
            await task
        await self.flush()

    async def flush(self) -> None:
        """Write every queued event in one transaction; on failure they are queued again."""
        rows = list(self._pending)
        if not rows:
            return
        self._pending.clear()
        try:
            async with self._sessionmaker.begin() as session:
                await session.execute(insert(SecurityEvent), rows)
        except Exception:
            log.exception("security events not written; kept for the next attempt", count=len(rows))
            self._pending.extendleft(reversed(rows))

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self._wake.wait()
            self._wake.clear()
            await self.flush()
            # Events arriving meanwhile wait for the next round: one commit per interval at most.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._flush_interval)

    def _row(
        self,
        station_id: str | None,
        event_type: str,
        tech_info: str | None,
        origin: Origin,
        timestamp: datetime,
    ) -> dict[str, Any]:
        return {
            "station_id": None if station_id is None else station_id[:STATION_ID_LENGTH],
            "type": event_type[:TYPE_LENGTH],
            "timestamp": timestamp,
            "tech_info": None if tech_info is None else tech_info[:TECH_INFO_LENGTH],
            "origin": origin,
            "received_at": self._clock.now(),
        }

    # -- queries -----------------------------------------------------------------------------

    async def search(self, where: SecurityEventFilter) -> list[dict[str, Any]]:
        """Newest first (by event time, then arrival)."""
        async with self._sessionmaker() as session:
            return [_view(row) for row in await session.scalars(_statement(where))]


def _statement(where: SecurityEventFilter) -> Select[SecurityEvent]:
    event = SecurityEvent
    query = select(event)
    equal = {event.station_id: where.station_id, event.type: where.type, event.origin: where.origin}
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(event.timestamp >= where.since)
    if where.until is not None:
        query = query.where(event.timestamp <= where.until)
    ordered = query.order_by(event.timestamp.desc(), event.id.desc())
    return ordered.limit(where.limit).offset(where.offset)


def _view(row: SecurityEvent) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row.id,
        "stationId": row.station_id,
        "type": row.type,
        "timestamp": iso_z(row.timestamp),
        "origin": row.origin,
        "receivedAt": iso_z(row.received_at),
    }
    return with_present(view, {"techInfo": row.tech_info})
