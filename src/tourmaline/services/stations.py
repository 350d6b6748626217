"""Charging-station records: the REST entity (interface.md §8.3), online state, liveness and the
per-connector status written by StatusNotification (§10.5)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import (
    Boot,
    ChargingStation,
    Connector,
    StationCredential,
    StatusNotification,
)
from tourmaline.db.writer import MessageLogWriter
from tourmaline.services.batching import Batcher
from tourmaline.services.text_search import contains_any

__all__ = [
    "NEVER_BOOTED",
    "ConnectorView",
    "StationDetailView",
    "StationFilter",
    "StationService",
    "StationView",
    "StationWrite",
    "dialect_insert",
    "ensure_station",
]


class StationView(BaseModel):
    """A charging station as the REST API shows it (CitrineOS `ChargingStations` names)."""

    model_config = ConfigDict(populate_by_name=True, from_attributes=True)

    id: str
    is_online: bool = Field(alias="isOnline")
    protocol: str | None
    registration_status: str | None = Field(alias="registrationStatus")
    min_security_profile: int = Field(alias="minSecurityProfile")
    charge_point_vendor: str | None = Field(alias="chargePointVendor")
    charge_point_model: str | None = Field(alias="chargePointModel")
    charge_point_serial_number: str | None = Field(alias="chargePointSerialNumber")
    firmware_version: str | None = Field(alias="firmwareVersion")
    iccid: str | None
    imsi: str | None
    latest_ocpp_message_timestamp: datetime | None = Field(alias="latestOcppMessageTimestamp")
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")

    @classmethod
    def of(cls, row: ChargingStation) -> StationView:
        return cls.model_validate(row)


class StationDetailView(StationView):
    """The single-station GET also names the station as `stationId`."""

    station_id: str = Field(alias="stationId")

    @classmethod
    def of(cls, row: ChargingStation) -> StationDetailView:
        view = StationView.model_validate(row)
        return cls(**view.model_dump(), station_id=row.id)


class StationWrite(BaseModel):
    """The writable station fields (PUT /data/configuration/chargingStation). Lengths are the
    OCPP 2.0.1 BootNotification limits of the same fields; fields left out keep their value."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", strict=True)

    charge_point_vendor: Annotated[str | None, Field(alias="chargePointVendor", max_length=50)] = (
        None
    )
    charge_point_model: Annotated[str | None, Field(alias="chargePointModel", max_length=20)] = None
    charge_point_serial_number: Annotated[
        str | None, Field(alias="chargePointSerialNumber", max_length=25)
    ] = None
    firmware_version: Annotated[str | None, Field(alias="firmwareVersion", max_length=50)] = None
    iccid: Annotated[str | None, Field(max_length=20)] = None
    imsi: Annotated[str | None, Field(max_length=20)] = None
    min_security_profile: Annotated[int, Field(alias="minSecurityProfile", ge=0, le=3)] = 0


class StationService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        writer: MessageLogWriter,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._writer = writer
        self._profile_lookup: Batcher[str, int | None] = Batcher(
            self._lookup_profiles, key=lambda station_id: station_id
        )

    async def min_security_profile(self, station_id: str) -> int | None:
        """The station's minimum security profile, or None when it has no record. Handshakes of
        a reconnect storm share one query (services/batching.py)."""
        return await self._profile_lookup.submit(station_id)

    async def _lookup_profiles(self, station_ids: builtins.list[str]) -> builtins.list[int | None]:
        query = select(ChargingStation.id, ChargingStation.min_security_profile).where(
            ChargingStation.id.in_(station_ids)
        )
        async with self._sessionmaker() as session:
            found = {row.id: row.min_security_profile for row in await session.execute(query)}
        return [found.get(station_id) for station_id in station_ids]

    async def get(self, station_id: str) -> StationDetailView | None:
        async with self._sessionmaker() as session:
            row = await session.get(ChargingStation, station_id)
            return None if row is None else StationDetailView.of(row)

    async def exists(self, station_id: str) -> bool:
        async with self._sessionmaker() as session:
            found = await session.scalar(
                select(ChargingStation.id).where(ChargingStation.id == station_id)
            )
            return found is not None

    async def list(
        self, *, is_online: bool | None = None, limit: int = 100, offset: int = 0
    ) -> builtins.list[StationView]:
        query = select(ChargingStation).order_by(ChargingStation.id).limit(limit).offset(offset)
        if is_online is not None:
            query = query.where(ChargingStation.is_online == is_online)
        async with self._sessionmaker() as session:
            return [StationView.of(row) for row in await session.scalars(query)]

    async def upsert(self, station_id: str, write: StationWrite) -> StationDetailView:
        changes = write.model_dump(exclude_unset=True)
        now = self._clock.now()
        async with self._sessionmaker.begin() as session:
            await ensure_station(session, station_id, now)
            row = await session.get(ChargingStation, station_id, populate_existing=True)
            assert row is not None
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = now
            await session.flush()
            return StationDetailView.of(row)

    async def delete(self, station_id: str) -> StationDetailView | None:
        """Remove the station with its boot record, credential and connector state; the
        message log and transactions stay (interface.md §8.2)."""
        async with self._sessionmaker.begin() as session:
            row = await session.get(ChargingStation, station_id)
            if row is None:
                return None
            view = StationDetailView.of(row)
            # Boot records have no foreign key (they may predate the station); the others are
            # deleted explicitly too, so the result does not depend on cascade support.
            for table, column in _OWNED_ROWS:
                await session.execute(delete(table).where(column == station_id))
            await session.execute(delete(ChargingStation).where(ChargingStation.id == station_id))
            return view

    def mark_online(self, station_id: str, protocol: str | None) -> None:
        """Batched through the writer (design.md §1.6): no commit of its own."""
        self._writer.set_online(station_id, True, protocol)

    def mark_offline(self, station_id: str) -> None:
        self._writer.set_online(station_id, False, None)

    def mark_seen(self, station_id: str, when: datetime) -> None:
        """Heartbeat liveness, batched: a commit per heartbeat would cap throughput."""
        self._writer.seen(station_id, when)

    async def record_status(
        self,
        station_id: str,
        *,
        evse_id: int,
        connector_id: int,
        status: str,
        timestamp: datetime,
    ) -> None:
        """One StatusNotification, committed before the answer (interface.md §10.5): a history
        row and the connector's latest status; the station row is created when missing."""
        now = self._clock.now()
        async with self._sessionmaker.begin() as session:
            await ensure_station(session, station_id, now)
            session.add(
                StatusNotification(
                    station_id=station_id,
                    evse_id=evse_id,
                    connector_id=connector_id,
                    connector_status=status,
                    timestamp=timestamp,
                    received_at=now,
                )
            )
            await _upsert_connector(session, station_id, evse_id, connector_id, status, timestamp)

    async def connectors(self, station_id: str) -> builtins.list[ConnectorView]:
        """The latest status of each (EVSE, connector) the station reported (interface.md
        §10.5), in EVSE then connector order."""
        query = (
            select(Connector)
            .where(Connector.station_id == station_id)
            .order_by(Connector.evse_id, Connector.connector_id)
        )
        async with self._sessionmaker() as session:
            return [ConnectorView.model_validate(row) for row in await session.scalars(query)]

    async def search(self, where: StationFilter) -> builtins.list[StationView]:
        """Stations whose id, vendor or model contains `where.text` (any case), optionally
        only those with the given online flag or last registration status, by id."""
        station = ChargingStation
        query = select(station).order_by(station.id).limit(where.limit).offset(where.offset)
        if where.text:
            columns = (station.id, station.charge_point_vendor, station.charge_point_model)
            query = query.where(contains_any(columns, where.text))
        if where.is_online is not None:
            query = query.where(station.is_online == where.is_online)
        if where.registration_status == NEVER_BOOTED:
            query = query.where(station.registration_status.is_(None))
        elif where.registration_status is not None:
            query = query.where(station.registration_status == where.registration_status)
        async with self._sessionmaker() as session:
            return [StationView.of(row) for row in await session.scalars(query)]


# StationFilter.registration_status for stations that never sent a BootNotification.
NEVER_BOOTED = "none"


@dataclass(frozen=True, slots=True)
class StationFilter:
    text: str | None = None
    is_online: bool | None = None
    registration_status: str | None = None
    limit: int = 50
    offset: int = 0


class ConnectorView(BaseModel):
    """The latest known status of one connector (the `connectors` table)."""

    model_config = ConfigDict(from_attributes=True)

    evse_id: int
    connector_id: int
    status: str | None
    status_timestamp: datetime | None


_OWNED_ROWS: tuple[tuple[Any, Any], ...] = (
    (Boot, Boot.id),
    (StationCredential, StationCredential.station_id),
    (StatusNotification, StatusNotification.station_id),
    (Connector, Connector.station_id),
)


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT with ON CONFLICT support for the session's backend (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def ensure_station(session: AsyncSession, station_id: str, now: datetime) -> None:
    """Create the station row if it does not exist yet, without racing a concurrent insert."""
    insert = dialect_insert(session, ChargingStation)
    statement = insert.values(
        id=station_id,
        is_online=False,
        min_security_profile=0,
        created_at=now,
        updated_at=now,
    ).on_conflict_do_nothing(index_elements=[ChargingStation.id])
    await session.execute(statement)


async def _upsert_connector(
    session: AsyncSession,
    station_id: str,
    evse_id: int,
    connector_id: int,
    status: str,
    timestamp: datetime,
) -> None:
    insert = dialect_insert(session, Connector)
    statement = insert.values(
        station_id=station_id,
        evse_id=evse_id,
        connector_id=connector_id,
        status=status,
        status_timestamp=timestamp,
    )
    # An offline replay may deliver an older status after a newer one: the latest stays.
    statement = statement.on_conflict_do_update(
        index_elements=[Connector.station_id, Connector.evse_id, Connector.connector_id],
        set_={"status": statement.excluded.status, "status_timestamp": timestamp},
        where=(Connector.status_timestamp.is_(None))
        | (Connector.status_timestamp <= statement.excluded.status_timestamp),
    )
    await session.execute(statement)
