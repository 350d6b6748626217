"""Functional block G (Availability): Heartbeat and StatusNotification (interface.md §10.5)."""

from __future__ import annotations

from tourmaline.ocpp.v201.models import (
    HeartbeatRequest,
    HeartbeatResponse,
    StatusNotificationRequest,
    StatusNotificationResponse,
)
from tourmaline.services.context import StationContext

__all__ = ["on_heartbeat", "on_status_notification"]


async def on_heartbeat(ctx: StationContext, request: HeartbeatRequest) -> HeartbeatResponse:
    now = ctx.now()
    # lastSeen goes through the batched writer: one commit per heartbeat would cap the
    # throughput far below the 2,000 heartbeats/s target.
    ctx.services.stations.mark_seen(ctx.station_id, now)
    return HeartbeatResponse(current_time=now)


async def on_status_notification(
    ctx: StationContext, request: StatusNotificationRequest
) -> StatusNotificationResponse:
    await ctx.services.stations.record_status(
        ctx.station_id,
        evse_id=request.evse_id,
        connector_id=request.connector_id,
        status=request.connector_status.value,
        timestamp=request.timestamp,
    )
    if ctx.services.device_model is not None:
        await ctx.services.device_model.set_connector_availability(
            ctx.station_id, request.evse_id, request.connector_id, request.connector_status.value
        )
    return StatusNotificationResponse()
