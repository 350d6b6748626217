"""Functional blocks E and J: TransactionEvent and stand-alone MeterValues (interface.md §10.1,
§10.5). A schema-valid TransactionEvent is always answered with a CALLRESULT: unknown EVSEs,
tokens or transactions are business outcomes inside it (ocpp-rules.md §6). Both routes are
registered without a request model: the service keeps the validated payload as received."""

from __future__ import annotations

from tourmaline.ocpp.errors import NotSupported
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models import MeterValuesResponse
from tourmaline.services.context import StationContext
from tourmaline.services.transactions import TransactionService

__all__ = ["on_meter_values", "on_transaction_event"]


def _transactions(ctx: StationContext) -> TransactionService:
    service = ctx.services.transactions
    if service is None:
        raise NotSupported("Transactions are not handled by this instance")
    return service


async def on_transaction_event(ctx: StationContext, payload: JsonObject) -> JsonObject:
    return await _transactions(ctx).on_transaction_event(ctx.station_id, payload)


async def on_meter_values(ctx: StationContext, payload: JsonObject) -> MeterValuesResponse:
    await _transactions(ctx).on_meter_values(ctx.station_id, payload)
    return MeterValuesResponse()
