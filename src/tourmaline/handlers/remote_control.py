"""CALLRESULT routes of the remote-control commands (interface.md §7.4): every answer is stored
as a remote request; see services/remote_requests.py for the two that change a transaction
(RequestStartTransaction links it, GetTransactionStatus may mark it inactive)."""

from __future__ import annotations

from tourmaline.ocpp.router import ResultHandler
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.context import StationContext

__all__ = ["remote_result_route"]


def remote_result_route(action: str) -> ResultHandler[StationContext]:
    """The route for one of `services.remote_requests.REMOTE_ACTIONS`: they differ only in the
    action they store the answer under."""

    async def on_result(ctx: StationContext, request: JsonObject, response: JsonObject) -> None:
        if ctx.services.transactions is not None:
            await ctx.services.transactions.record_remote_result(
                ctx.station_id, action, request, response
            )

    return on_result
