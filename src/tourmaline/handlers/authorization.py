"""Functional blocks C and D: Authorize (interface.md §10.2) and the CALLRESULT routes of
SendLocalList and GetLocalListVersion (§10.3, §7.4)."""

from __future__ import annotations

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models import AuthorizeRequest
from tourmaline.services.context import StationContext

__all__ = ["on_authorize", "on_get_local_list_version_result", "on_send_local_list_result"]

UNKNOWN = {"status": "Unknown"}


async def on_authorize(ctx: StationContext, request: AuthorizeRequest) -> JsonObject:
    """ISO 15118 certificate data is ignored and `certificateStatus` left out: no
    certificate-status provider exists yet (interface.md §10.2)."""
    service = ctx.services.authorization
    if service is None:
        return {"idTokenInfo": dict(UNKNOWN)}
    id_token = request.id_token.model_dump(by_alias=True, exclude_none=True, mode="json")
    outcome = await service.authorize_request(ctx.station_id, id_token)
    return {"idTokenInfo": outcome.id_token_info}


async def on_send_local_list_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    """VersionMismatch: the station's list is not what Tourmaline believes, so ask for its
    version once the answer is stored (interface.md §7.4)."""
    local_lists = ctx.services.local_lists
    if local_lists is None:
        return
    if await local_lists.on_send_result(ctx.station_id, request, response):
        station_id = ctx.station_id

        async def ask_version() -> None:
            await local_lists.request_version(station_id)

        ctx.after_reply(ask_version)


async def on_get_local_list_version_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    if ctx.services.local_lists is not None:
        await ctx.services.local_lists.on_version_result(ctx.station_id, response)
