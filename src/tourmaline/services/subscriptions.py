"""Webhook subscriptions: storage, the in-memory index and delivery (interface.md §9).

Connection events and frames of a station reach `SubscriptionService` through the connection
manager's `events` hook. The hot path costs one dict lookup for stations without subscriptions;
matching ones are posted by bounded, supervised fire-and-forget tasks, so a slow or dead
receiver never delays OCPP processing. Every change updates this instance's index at once and
publishes a broker message so the other instances reload that station's subscriptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.cluster.broker import Broker, Message, Unsubscribe
from tourmaline.cluster.tasks import TaskSupervisor
from tourmaline.db.models import Subscription
from tourmaline.ocpp.framelog import FrameRecord
from tourmaline.services.callbacks import CallbackPoster

__all__ = [
    "CHANGES_CHANNEL",
    "MAX_DELIVERIES_IN_FLIGHT",
    "SubscriptionService",
    "SubscriptionView",
    "SubscriptionWrite",
]

log = structlog.get_logger(__name__)

CHANGES_CHANNEL = "tourmaline:subscriptions:changed"
# Deliveries beyond this are dropped (and logged): a flood of frames towards a dead receiver
# must not grow memory without bound.
MAX_DELIVERIES_IN_FLIGHT = 512
OCPP_PROTOCOL = "ocpp2.0.1"
_STATION_ID_PATTERN = r"^[^:/\x00-\x1f\x7f-\x9f]{1,48}$"


class SubscriptionWrite(BaseModel):
    """POST /data/ocpprouter/subscription body (interface.md §9)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    station_id: str = Field(alias="stationId", pattern=_STATION_ID_PATTERN)
    url: str = Field(pattern=r"^https?://\S+$", max_length=2048)
    message_regex_filter: str | None = Field(default=None, alias="messageRegexFilter")
    on_connect: bool = Field(default=False, alias="onConnect")
    on_close: bool = Field(default=False, alias="onClose")
    on_message: bool = Field(default=False, alias="onMessage")
    sent_message: bool = Field(default=False, alias="sentMessage")

    def has_event(self) -> bool:
        return self.on_connect or self.on_close or self.on_message or self.sent_message


class SubscriptionView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    station_id: str = Field(alias="stationId")
    url: str
    message_regex_filter: str | None = Field(default=None, alias="messageRegexFilter")
    on_connect: bool = Field(alias="onConnect")
    on_close: bool = Field(alias="onClose")
    on_message: bool = Field(alias="onMessage")
    sent_message: bool = Field(alias="sentMessage")


@dataclass(frozen=True, slots=True)
class _Active:
    """One subscription as the hot path needs it: flags and a compiled filter."""

    url: str
    on_connect: bool
    on_close: bool
    on_message: bool
    sent_message: bool
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, row: Subscription) -> _Active:
        return cls(
            row.url,
            row.on_connect,
            row.on_close,
            row.on_message,
            row.sent_message,
            _compile(row.message_regex_filter),
        )

    def wants(self, record: FrameRecord) -> bool:
        wanted = self.on_message if record.origin == "cs" else self.sent_message
        if not wanted:
            return False
        return self.pattern is None or self.pattern.search(record.text) is not None


def _compile(pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        # Stored before validation existed, or written directly: match nothing rather than all.
        log.warning("invalid messageRegexFilter ignored", pattern=pattern)
        return re.compile(r"(?!)")


def _view(row: Subscription) -> SubscriptionView:
    return SubscriptionView(
        id=row.id,
        station_id=row.station_id,
        url=row.url,
        message_regex_filter=row.message_regex_filter,
        on_connect=row.on_connect,
        on_close=row.on_close,
        on_message=row.on_message,
        sent_message=row.sent_message,
    )


class SubscriptionService:
    """Implements services.connections.ConnectionEvents."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        poster: CallbackPoster,
        *,
        broker: Broker | None = None,
        max_in_flight: int = MAX_DELIVERIES_IN_FLIGHT,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._poster = poster
        self._broker = broker
        self._max_in_flight = max_in_flight
        self._index: dict[str, tuple[_Active, ...]] = {}
        self._tasks = TaskSupervisor("subscriptions")
        self._unsubscribe: Unsubscribe | None = None

    async def start(self) -> None:
        await self.reload()
        if self._broker is not None:
            self._unsubscribe = await self._broker.subscribe(CHANGES_CHANNEL, self._on_changed)

    async def stop(self, grace: float = 0.0) -> None:
        if self._unsubscribe is not None:
            await self._unsubscribe()
            self._unsubscribe = None
        await self._tasks.close(grace=grace)

    # -- storage --------------------------------------------------------------------------------

    async def create(self, write: SubscriptionWrite) -> int:
        row = Subscription(
            station_id=write.station_id,
            url=write.url,
            message_regex_filter=write.message_regex_filter,
            on_connect=write.on_connect,
            on_close=write.on_close,
            on_message=write.on_message,
            sent_message=write.sent_message,
        )
        async with self._sessionmaker.begin() as session:
            session.add(row)
            await session.flush()
            new_id = row.id
        await self._changed(write.station_id)
        log.info("subscription created", station_id=write.station_id, subscription_id=new_id)
        return new_id

    async def for_station(self, station_id: str) -> list[SubscriptionView]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(Subscription)
                .where(Subscription.station_id == station_id)
                .order_by(Subscription.id)
            )
            return [_view(row) for row in rows]

    async def delete(self, subscription_id: int) -> bool:
        async with self._sessionmaker.begin() as session:
            station_id = await session.scalar(
                delete(Subscription)
                .where(Subscription.id == subscription_id)
                .returning(Subscription.station_id)
            )
        if station_id is None:
            return False
        await self._changed(station_id)
        log.info("subscription deleted", station_id=station_id, subscription_id=subscription_id)
        return True

    # -- index ----------------------------------------------------------------------------------

    async def reload(self, station_id: str | None = None) -> None:
        """Re-read every subscription, or one station's, into the in-memory index."""
        query = select(Subscription).order_by(Subscription.id)
        if station_id is not None:
            query = query.where(Subscription.station_id == station_id)
        async with self._sessionmaker() as session:
            rows = list(await session.scalars(query))
        grouped: dict[str, list[_Active]] = {}
        for row in rows:
            grouped.setdefault(row.station_id, []).append(_Active.of(row))
        if station_id is None:
            self._index = {key: tuple(value) for key, value in grouped.items()}
        else:
            self._set(station_id, tuple(grouped.get(station_id, ())))

    def _set(self, station_id: str, active: tuple[_Active, ...]) -> None:
        if active:
            self._index[station_id] = active
        else:
            self._index.pop(station_id, None)

    async def _changed(self, station_id: str) -> None:
        await self.reload(station_id)
        if self._broker is None:
            return
        try:
            await self._broker.publish(CHANGES_CHANNEL, {"stationId": station_id})
        except Exception:
            # Other instances keep their old index until the next change or restart.
            log.exception("subscription change not published", station_id=station_id)

    async def _on_changed(self, message: Message) -> None:
        station_id = message.get("stationId")
        if isinstance(station_id, str):
            await self.reload(station_id)

    # -- ConnectionEvents -----------------------------------------------------------------------

    def connected(self, station_id: str) -> None:
        for active in self._index.get(station_id, ()):
            if active.on_connect:
                self._deliver(active.url, {"stationId": station_id, "event": "connected"})

    def closed(self, station_id: str) -> None:
        for active in self._index.get(station_id, ()):
            if active.on_close:
                self._deliver(active.url, {"stationId": station_id, "event": "closed"})

    def frame(self, record: FrameRecord) -> None:
        """`record.text` is already redacted (services.redaction) by the connection manager."""
        subscriptions = self._index.get(record.station_id)
        if not subscriptions:
            return
        body: dict[str, Any] | None = None
        for active in subscriptions:
            if active.wants(record):
                body = body or _message_body(record)
                self._deliver(active.url, body)

    def _deliver(self, url: str, body: dict[str, Any]) -> None:
        if len(self._tasks) >= self._max_in_flight:
            log.warning("webhook delivery dropped: too many in flight", url=url)
            return
        self._tasks.spawn(self._poster.post(url, body), name="webhook")


def _message_body(record: FrameRecord) -> dict[str, Any]:
    return {
        "stationId": record.station_id,
        "event": "message",
        "origin": record.origin,
        "message": record.text,
        "info": {
            "correlationId": record.message_id,
            "origin": record.origin,
            "timestamp": record.timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "protocol": OCPP_PROTOCOL,
            "action": record.action,
        },
    }
