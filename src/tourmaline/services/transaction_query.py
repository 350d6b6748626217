"""Reading sessions for the data API (interface.md §8.2 `/data/transactions/*`): a transaction
with its events and meter values, searches, and meter values on their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.db.models import MeterValue, Transaction, TransactionEvent
from tourmaline.services.transaction_writes import token_variants

__all__ = [
    "MeterValueView",
    "TransactionDetailView",
    "TransactionEventView",
    "TransactionFilter",
    "TransactionQuery",
    "TransactionView",
]


class _View(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class IdTokenView(_View):
    id_token: str = Field(alias="idToken")
    type: str | None


class MeterValueView(_View):
    """One OCPP MeterValueType with where it came from: a transaction's event (its id and
    seqNo), or a stand-alone MeterValues message (both null)."""

    transaction_event_id: int | None = Field(alias="transactionEventId")
    seq_no: int | None = Field(alias="seqNo")
    evse_id: int | None = Field(alias="evseId")
    timestamp: datetime
    sampled_value: list[Any] = Field(alias="sampledValue")

    @classmethod
    def of(cls, row: MeterValue) -> MeterValueView:
        return cls(
            transaction_event_id=None,
            seq_no=None,
            evse_id=row.evse_id,
            timestamp=row.timestamp,
            sampled_value=row.sampled_value,
        )

    @classmethod
    def of_event(cls, event: TransactionEvent, evse_id: int | None) -> list[MeterValueView]:
        return [
            cls(
                transaction_event_id=event.id,
                seq_no=event.seq_no,
                evse_id=evse_id,
                timestamp=value["timestamp"],
                sampled_value=value["sampledValue"],
            )
            for value in event.meter_value or ()
        ]


class TransactionEventView(_View):
    id: int
    event_type: str = Field(alias="eventType")
    timestamp: datetime
    received_at: datetime = Field(alias="receivedAt")
    trigger_reason: str = Field(alias="triggerReason")
    seq_no: int = Field(alias="seqNo")
    offline: bool
    number_of_phases_used: int | None = Field(alias="numberOfPhasesUsed")
    cable_max_current: int | None = Field(alias="cableMaxCurrent")
    reservation_id: int | None = Field(alias="reservationId")
    evse: dict[str, int] | None
    id_token: dict[str, Any] | None = Field(alias="idToken")
    transaction_info: dict[str, Any] = Field(alias="transactionInfo")
    meter_value: list[dict[str, Any]] | None = Field(alias="meterValue")
    response: dict[str, Any]

    @classmethod
    def of(cls, row: TransactionEvent) -> TransactionEventView:
        evse = None if row.evse_id is None else {"id": row.evse_id}
        if evse is not None and row.connector_id is not None:
            evse["connectorId"] = row.connector_id
        return cls(
            id=row.id,
            event_type=row.event_type,
            timestamp=row.timestamp,
            received_at=row.received_at,
            trigger_reason=row.trigger_reason,
            seq_no=row.seq_no,
            offline=row.offline,
            number_of_phases_used=row.number_of_phases_used,
            cable_max_current=row.cable_max_current,
            reservation_id=row.reservation_id,
            evse=evse,
            id_token=row.id_token,
            transaction_info=row.transaction_info,
            meter_value=row.meter_value,
            response=row.response,
        )


class TransactionView(_View):
    id: int
    station_id: str = Field(alias="stationId")
    transaction_id: str = Field(alias="transactionId")
    is_active: bool = Field(alias="isActive")
    evse_id: int | None = Field(alias="evseId")
    connector_id: int | None = Field(alias="connectorId")
    start_time: datetime | None = Field(alias="startTime")
    end_time: datetime | None = Field(alias="endTime")
    duration_seconds: float | None = Field(alias="durationSeconds")
    charging_state: str | None = Field(alias="chargingState")
    time_spent_charging: int | None = Field(alias="timeSpentCharging")
    stopped_reason: str | None = Field(alias="stoppedReason")
    stopped_note: str | None = Field(alias="stoppedNote")
    remote_start_id: int | None = Field(alias="remoteStartId")
    id_token: IdTokenView | None = Field(alias="idToken")
    authorization_status: str | None = Field(alias="authorizationStatus")
    meter_start: float | None = Field(alias="meterStart", description="Wh")
    total_kwh: float = Field(alias="totalKwh")
    total_cost: float | None = Field(alias="totalCost")
    last_seq_no: int | None = Field(alias="lastSeqNo")
    event_count: int = Field(alias="eventCount")
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")

    @classmethod
    def fields_of(cls, row: Transaction) -> dict[str, Any]:
        names = set(cls.model_fields) - {"duration_seconds", "id_token"}
        values = {name: getattr(row, name) for name in names}
        token = None
        if row.id_token is not None:
            token = IdTokenView(id_token=row.id_token, type=row.id_token_type)
        return {**values, "duration_seconds": _duration(row), "id_token": token}

    @classmethod
    def of(cls, row: Transaction) -> TransactionView:
        return cls(**cls.fields_of(row))


class TransactionDetailView(TransactionView):
    transaction_events: list[TransactionEventView] = Field(alias="transactionEvents")
    meter_values: list[MeterValueView] = Field(alias="meterValues")


def _duration(row: Transaction) -> float | None:
    end = row.end_time or row.last_event_at
    if row.start_time is None or end is None:
        return None
    return max((end - row.start_time).total_seconds(), 0.0)


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    station_id: str | None = None
    id_token: str | None = None
    is_active: bool | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


class TransactionQuery:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def get(self, station_id: str, transaction_id: str) -> TransactionDetailView | None:
        async with self._sessionmaker() as session:
            row = await _find(session, station_id, transaction_id)
            if row is None:
                return None
            events = await _events(session, row.id)
        return TransactionDetailView(
            **TransactionView.fields_of(row),
            transaction_events=[TransactionEventView.of(event) for event in events],
            meter_values=_meter_values(events, row.evse_id),
        )

    async def search(self, where: TransactionFilter) -> list[TransactionView]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(_search(where))
            return [TransactionView.of(row) for row in rows]

    async def meter_values(
        self, station_id: str, transaction_id: str
    ) -> list[MeterValueView] | None:
        """The session's meter values in time order, or None for an unknown transaction."""
        async with self._sessionmaker() as session:
            row = await _find(session, station_id, transaction_id)
            if row is None:
                return None
            return _meter_values(await _events(session, row.id), row.evse_id)

    async def station_meter_values(
        self, station_id: str, *, evse_id: int | None, limit: int, offset: int
    ) -> list[MeterValueView]:
        """Stand-alone MeterValues (no transaction), newest first."""
        query = (
            select(MeterValue)
            .where(MeterValue.station_id == station_id)
            .order_by(MeterValue.timestamp.desc(), MeterValue.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if evse_id is not None:
            query = query.where(MeterValue.evse_id == evse_id)
        async with self._sessionmaker() as session:
            return [MeterValueView.of(row) for row in await session.scalars(query)]


async def _find(session: AsyncSession, station_id: str, transaction_id: str) -> Transaction | None:
    query = select(Transaction).where(
        Transaction.station_id == station_id, Transaction.transaction_id == transaction_id
    )
    found: Transaction | None = await session.scalar(query)
    return found


async def _events(session: AsyncSession, transaction_db_id: int) -> list[TransactionEvent]:
    """In seqNo order (interface.md §10.1), whatever order they arrived in."""
    query = (
        select(TransactionEvent)
        .where(TransactionEvent.transaction_db_id == transaction_db_id)
        .order_by(TransactionEvent.seq_no, TransactionEvent.timestamp, TransactionEvent.id)
    )
    return list(await session.scalars(query))


def _meter_values(events: list[TransactionEvent], evse_id: int | None) -> list[MeterValueView]:
    """Every meter value of the events, in time order."""
    values = [value for event in events for value in MeterValueView.of_event(event, evse_id)]
    return sorted(values, key=lambda value: value.timestamp)


def _search(where: TransactionFilter) -> Select[Transaction]:
    tx = Transaction
    query = select(tx)
    if where.station_id is not None:
        query = query.where(tx.station_id == where.station_id)
    if where.id_token is not None:
        query = query.where(tx.id_token.in_(token_variants(where.id_token)))
    if where.is_active is not None:
        query = query.where(tx.is_active == where.is_active)
    if where.since is not None:
        query = query.where(tx.start_time >= where.since)
    if where.until is not None:
        query = query.where(tx.start_time <= where.until)
    order = (tx.start_time.desc(), tx.id.desc())
    return query.order_by(*order).limit(where.limit).offset(where.offset)
