"""Functional block B (Provisioning): BootNotification (interface.md §4)."""

from __future__ import annotations

from functools import partial

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models import BootNotificationRequest, BootNotificationResponse
from tourmaline.services.context import StationContext

__all__ = ["on_boot_notification", "on_set_network_profile_result"]


async def _start_boot_report(ctx: StationContext) -> None:
    """interface.md §4.2/§4.4: a new GetBaseReport unless one is still running. The row is
    written before the answer, so the next boot sees it; the call goes out after the answer
    (B02: the station must know it is Pending before it is asked for its report)."""
    reports = ctx.services.reports
    if reports is None:
        return
    request_id = await reports.begin_boot_report(ctx.station_id)
    if request_id is None:
        return
    if ctx.services.gating is not None:
        ctx.services.gating.allow_follow_ups(ctx.station_id, "NotifyReport", [request_id])
    ctx.after_reply(partial(reports.send_boot_report, ctx.station_id, request_id))


async def on_boot_notification(
    ctx: StationContext, request: BootNotificationRequest
) -> BootNotificationResponse:
    now = ctx.now()
    decision = await ctx.services.boots.on_boot_notification(ctx.station_id, request, now)
    if ctx.services.gating is not None:
        ctx.services.gating.on_boot(ctx.station_id, decision.status)
    if ctx.services.device_model is not None:
        # interface.md §4.3: after the boot commit (the station row exists), before the answer.
        await ctx.services.device_model.apply_boot_fields(ctx.station_id, request)
    if decision.report_wanted and decision.status == "Pending":
        await _start_boot_report(ctx)
    return BootNotificationResponse.model_validate(
        {
            "currentTime": decision.current_time,
            "interval": decision.interval,
            "status": decision.status,
            "statusInfo": decision.status_info,
        }
    )


async def on_set_network_profile_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    """interface.md §7.4 `configuration/setNetworkProfile`: the answer completes the record; an
    Accepted one lets the next connection on the slot's listener raise the minimum profile."""
    if ctx.services.security is not None:
        profiles = ctx.services.security.network_profiles
        await profiles.on_answer(ctx.station_id, request, response)
