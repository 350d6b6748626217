"""CALLRESULT routes of the remote-control commands (interface.md §7.4): every answer is stored
as a remote request; see services/remote_requests.py for the two that change a transaction
(RequestStartTransaction links it, GetTransactionStatus may mark it inactive)."""

from __future__ import annotations

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.context import StationContext

__all__ = [
    "on_change_availability_result",
    "on_clear_cache_result",
    "on_get_transaction_status_result",
    "on_request_start_transaction_result",
    "on_request_stop_transaction_result",
    "on_unlock_connector_result",
]


async def _record(
    ctx: StationContext, action: str, request: JsonObject, response: JsonObject
) -> None:
    if ctx.services.transactions is not None:
        await ctx.services.transactions.record_remote_result(
            ctx.station_id, action, request, response
        )


async def on_request_start_transaction_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    await _record(ctx, "RequestStartTransaction", request, response)


async def on_request_stop_transaction_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    await _record(ctx, "RequestStopTransaction", request, response)


async def on_unlock_connector_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    await _record(ctx, "UnlockConnector", request, response)


async def on_get_transaction_status_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    await _record(ctx, "GetTransactionStatus", request, response)


async def on_change_availability_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    await _record(ctx, "ChangeAvailability", request, response)


async def on_clear_cache_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    await _record(ctx, "ClearCache", request, response)
