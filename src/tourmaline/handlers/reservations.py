"""Functional block H (Reservation): ReservationStatusUpdate and the CALLRESULT routes of
ReserveNow and CancelReservation (interface.md §10.4, §7.4)."""

from __future__ import annotations

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models import (
    ReservationStatusUpdateRequest,
    ReservationStatusUpdateResponse,
)
from tourmaline.services.context import StationContext

__all__ = [
    "on_cancel_reservation_result",
    "on_reservation_status_update",
    "on_reserve_now_result",
]


async def on_reservation_status_update(
    ctx: StationContext, request: ReservationStatusUpdateRequest
) -> ReservationStatusUpdateResponse:
    """Always `{}`: an unknown reservation id is logged, nothing is stored."""
    reservations = ctx.services.reservations
    if reservations is not None:
        found = await reservations.on_status_update(
            ctx.station_id, request.reservation_id, request.reservation_update_status.value
        )
        if not found:
            ctx.log.info(
                "ReservationStatusUpdate for an unknown reservation",
                reservation_id=request.reservation_id,
            )
    return ReservationStatusUpdateResponse()


async def on_reserve_now_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    if ctx.services.reservations is not None:
        await ctx.services.reservations.on_reserve_result(ctx.station_id, request, response)


async def on_cancel_reservation_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    if ctx.services.reservations is not None:
        await ctx.services.reservations.on_cancel_result(ctx.station_id, request, response)
