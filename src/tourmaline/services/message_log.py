"""Reading the OCPP frame log (interface.md §8.5): filters, newest first, paging by id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.db.models import MessageLogEntry

__all__ = ["MessageLogFilter", "MessageLogQuery", "entry_view"]


@dataclass(frozen=True, slots=True)
class MessageLogFilter:
    station_id: str | None = None
    action: str | None = None
    message_id: str | None = None
    origin: Literal["cs", "csms"] | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None
    limit: int = 100


class MessageLogQuery:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def search(self, where: MessageLogFilter) -> list[dict[str, Any]]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(_statement(where))
            return [entry_view(row) for row in rows]


def _statement(where: MessageLogFilter) -> Select[MessageLogEntry]:
    entry = MessageLogEntry
    query = select(entry)
    equal = {
        entry.station_id: where.station_id,
        entry.action: where.action,
        entry.message_id: where.message_id,
        entry.origin: where.origin,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(entry.timestamp >= where.since)
    if where.until is not None:
        query = query.where(entry.timestamp <= where.until)
    if where.before is not None:
        query = query.where(entry.id < where.before)
    # Ids grow with insertion order, which is the writer's arrival order: newest first.
    return query.order_by(entry.id.desc()).limit(where.limit)


def entry_view(row: MessageLogEntry) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row.id,
        "stationId": row.station_id,
        "origin": row.origin,
        "messageTypeId": row.message_type_id,
        "messageId": row.message_id,
        "action": row.action,
        "timestamp": row.timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "message": _parsed(row.message),
    }
    if row.outcome is not None:
        view["outcome"] = row.outcome
    return view


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
