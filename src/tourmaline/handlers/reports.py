"""Functional block B (Provisioning), reports: NotifyReport (interface.md §4.4 step 3) and the
CALLRESULT routes that feed report tracking and gating (§4.4 step 2, §4.5, §7.4)."""

from __future__ import annotations

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models import NotifyReportRequest, NotifyReportResponse
from tourmaline.services.context import StationContext

__all__ = ["on_notify_report", "on_report_result", "on_trigger_message_result"]


async def on_notify_report(
    ctx: StationContext, request: NotifyReportRequest
) -> NotifyReportResponse:
    """Every part is answered {}: a duplicate is ignored, an unknown requestId is still applied
    (gating has already refused it while the station is Pending)."""
    reports = ctx.services.reports
    if reports is not None:
        report_data = [
            part.model_dump(by_alias=True, exclude_none=True, mode="json")
            for part in request.report_data or []
        ]
        await reports.on_notify_report(
            ctx.station_id,
            request.request_id,
            request.seq_no,
            bool(request.tbc),
            report_data,
            request.generated_at,
        )
    return NotifyReportResponse()


async def on_report_result(ctx: StationContext, request: JsonObject, response: JsonObject) -> None:
    """GetBaseReport / GetReport answers, whoever sent them (boot flow or message API)."""
    if ctx.services.reports is not None:
        await ctx.services.reports.on_report_answer(ctx.station_id, request, response)


async def on_trigger_message_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    """An Accepted TriggerMessage admits the triggered message for 30 s (§4.5)."""
    if ctx.services.gating is not None:
        status = str(response.get("status"))
        ctx.services.gating.on_trigger_answer(ctx.station_id, request, status)
