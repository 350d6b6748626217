"""Reservation lifecycle (interface.md §10.4, §7.4 `evdriver/reserveNow` and
`cancelReservation`; OCPP 2.0.1 H01-H04).

ReserveNow is stored before it is sent (an `OutboundCheck`), inactive until the station answers
Accepted. It stops being active when CancelReservation is Accepted, when the station reports it
Expired or Removed, or when a TransactionEvent uses it (`consume`, the `ReservationUse` port).

Expiry is computed when read: a reservation whose `expiryDateTime` has passed is not active,
whatever its stored flag says, so no timer or sweep is needed and every instance agrees. The
flag itself changes only on what the station reports (H01.FR.20: the station sends
ReservationStatusUpdate Expired), which keeps the stored history truthful.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy import and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import Reservation
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.reservation_views import ReservationView, is_active_at
from tourmaline.services.token_format import token_refusal

__all__ = ["ReservationService", "ReservationView"]

log = structlog.get_logger(__name__)

RESERVE_NOW = "ReserveNow"
CANCEL_RESERVATION = "CancelReservation"
ACCEPTED = "Accepted"
CANCELLED = "Cancelled"
USED = "Used"
# ReservationUpdateStatusEnumType: both end the reservation.
ENDING_UPDATES = frozenset({"Expired", "Removed"})


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    # ocpp-rules.md §3.1: a time without a zone is read as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class ReservationService:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    # -- before sending ---------------------------------------------------------------------------

    async def check_outbound(self, station_id: str, action: str, payload: JsonObject) -> str | None:
        if action == RESERVE_NOW:
            return await self._store(station_id, payload)
        if action == CANCEL_RESERVATION:
            return await self._cancel_refusal(station_id, payload.get("reservationId"))
        return None

    async def _store(self, station_id: str, payload: JsonObject) -> str | None:
        refusal = _reserve_refusal(payload, self._clock.now())
        if refusal is not None:
            return refusal
        async with self._sessionmaker.begin() as session:
            row = await session.get(Reservation, (station_id, payload["id"]))
            if row is None:
                row = Reservation(
                    station_id=station_id, id=payload["id"], created_at=self._clock.now()
                )
                session.add(row)
            # OCPP H01.FR.02: a ReserveNow with a known id replaces that reservation.
            row.expiry_date_time = _parse_time(payload["expiryDateTime"])
            row.connector_type = payload.get("connectorType")
            row.evse_id = payload.get("evseId")
            row.id_token = payload["idToken"]
            row.group_id_token = payload.get("groupIdToken")
            row.reserve_status = None
            row.is_active = False
            row.ended_reason = None
            row.terminated_by_transaction = None
            row.updated_at = self._clock.now()
        return None

    async def _cancel_refusal(self, station_id: str, reservation_id: object) -> str | None:
        async with self._sessionmaker() as session:
            if isinstance(reservation_id, int):
                if await session.get(Reservation, (station_id, reservation_id)) is not None:
                    return None
        return f"Reservation {reservation_id} not found for station {station_id}"

    # -- the station's answers and reports --------------------------------------------------------

    async def on_reserve_result(
        self, station_id: str, request: JsonObject, response: JsonObject
    ) -> None:
        status = str(response.get("status"))
        async with self._sessionmaker.begin() as session:
            row = await session.get(Reservation, (station_id, request.get("id")))
            if row is None:
                log.warning("ReserveNow answer for an unknown reservation", station_id=station_id)
                return
            row.reserve_status = status
            row.is_active = status == ACCEPTED
            row.updated_at = self._clock.now()

    async def on_cancel_result(
        self, station_id: str, request: JsonObject, response: JsonObject
    ) -> None:
        if response.get("status") == ACCEPTED:
            await self._end(station_id, request.get("reservationId"), CANCELLED)

    async def on_status_update(self, station_id: str, reservation_id: int, status: str) -> bool:
        """ReservationStatusUpdate: Expired/Removed deactivate; False for an unknown id."""
        if status not in ENDING_UPDATES:
            return False
        return await self._end(station_id, reservation_id, status)

    async def _end(self, station_id: str, reservation_id: object, reason: str) -> bool:
        async with self._sessionmaker.begin() as session:
            row = await session.get(Reservation, (station_id, reservation_id))
            if row is None:
                return False
            row.is_active = False
            row.ended_reason = reason
            row.updated_at = self._clock.now()
            return True

    async def consume(
        self,
        session: AsyncSession,
        station_id: str,
        reservation_id: int,
        *,
        transaction_id: str,
        now: datetime,
    ) -> bool:
        """The `ReservationUse` port: interface.md §10.1 `reservationId`, inside the caller's
        database transaction."""
        stmt = (
            select(Reservation)
            .where(Reservation.station_id == station_id, Reservation.id == reservation_id)
            .with_for_update()
        )
        row = await session.scalar(stmt)
        if row is None or not is_active_at(row, now):
            return False
        row.is_active = False
        row.ended_reason = USED
        row.terminated_by_transaction = transaction_id
        row.updated_at = now
        return True

    # -- REST -------------------------------------------------------------------------------------

    async def get(self, station_id: str, reservation_id: int) -> ReservationView | None:
        async with self._sessionmaker() as session:
            row = await session.get(Reservation, (station_id, reservation_id))
            return None if row is None else ReservationView.of(row, self._clock.now())

    async def find(
        self, station_id: str, *, is_active: bool | None = None, limit: int = 100, offset: int = 0
    ) -> list[ReservationView]:
        now = self._clock.now()
        stmt = select(Reservation).where(Reservation.station_id == station_id)
        if is_active is not None:
            active = and_(Reservation.is_active, Reservation.expiry_date_time > now)
            stmt = stmt.where(active if is_active else not_(active))
        stmt = stmt.order_by(Reservation.id).offset(offset).limit(limit)
        async with self._sessionmaker() as session:
            return [ReservationView.of(row, now) for row in await session.scalars(stmt)]


def _reserve_refusal(payload: JsonObject, now: datetime) -> str | None:
    expiry = payload.get("expiryDateTime")
    try:
        in_future = _parse_time(str(expiry)) > now
    except ValueError:
        return f"expiryDateTime {expiry} is not an RFC 3339 date-time"
    if not in_future:
        return f"expiryDateTime {expiry} is not in the future"
    for field in ("idToken", "groupIdToken"):
        token = payload.get(field)
        refusal = token_refusal(token, field) if isinstance(token, dict) else None
        if refusal is not None:
            return refusal
    return None
