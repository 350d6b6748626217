"""Functional block B (Provisioning): BootNotification (interface.md §4)."""

from __future__ import annotations

from tourmaline.ocpp.v201.models import BootNotificationRequest, BootNotificationResponse
from tourmaline.services.context import StationContext

__all__ = ["on_boot_notification"]


async def on_boot_notification(
    ctx: StationContext, request: BootNotificationRequest
) -> BootNotificationResponse:
    now = ctx.now()
    decision = await ctx.services.boots.on_boot_notification(ctx.station_id, request, now)
    if decision.report_wanted:
        # interface.md §4.4 (next issue): GetBaseReport starts here via ctx.after_reply(...),
        # once the answer has been sent.
        ctx.log.debug("base report wanted; the report flow is not wired yet")
    return BootNotificationResponse.model_validate(
        {
            "currentTime": decision.current_time,
            "interval": decision.interval,
            "status": decision.status,
            "statusInfo": decision.status_info,
        }
    )
