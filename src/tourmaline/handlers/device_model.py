"""Device-model writes driven by the station (interface.md §5.2): Get/SetVariables results and
NotifyEvent. BootNotification and StatusNotification call the service from their own handlers."""

from __future__ import annotations

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models import NotifyEventRequest, NotifyEventResponse
from tourmaline.services.context import StationContext

__all__ = ["on_get_variables_result", "on_notify_event", "on_set_variables_result"]


def _list(payload: JsonObject, key: str) -> list[JsonObject]:
    items = payload.get(key)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


async def on_get_variables_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    device_model = ctx.services.device_model
    if device_model is not None:
        results = _list(response, "getVariableResult")
        await device_model.apply_get_variables_results(ctx.station_id, results)


async def on_set_variables_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    """Nothing was written when the request went out (interface.md §5.2): the answer decides."""
    device_model = ctx.services.device_model
    if device_model is not None:
        set_data = _list(request, "setVariableData")
        results = _list(response, "setVariableResult")
        await device_model.apply_set_variables_results(ctx.station_id, set_data, results)


async def on_notify_event(ctx: StationContext, request: NotifyEventRequest) -> NotifyEventResponse:
    """The Actual value of each event's attribute becomes its `actualValue`; the events
    themselves are not stored yet."""
    device_model = ctx.services.device_model
    if device_model is not None:
        event_data = [
            event.model_dump(by_alias=True, exclude_none=True, mode="json")
            for event in request.event_data
        ]
        await device_model.apply_event_data(ctx.station_id, event_data)
    return NotifyEventResponse()
