"""Functional block M (ISO 15118 certificate management): the station's GetCertificateStatus and
Get15118EVCertificate, answered by the configured providers, and the answers to
InstallCertificate, GetInstalledCertificateIds and DeleteCertificate (interface.md §11 block M,
§7.4 `certificates/*`)."""

from __future__ import annotations

from pydantic import BaseModel

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models import (
    Get15118EVCertificateRequest,
    Get15118EVCertificateResponse,
    GetCertificateStatusRequest,
    GetCertificateStatusResponse,
)
from tourmaline.services.context import StationContext

__all__ = [
    "on_delete_certificate_result",
    "on_get_15118_ev_certificate",
    "on_get_certificate_status",
    "on_get_installed_certificate_ids_result",
    "on_install_certificate_result",
]


def _wire(model: BaseModel) -> JsonObject:
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


async def on_get_certificate_status(
    ctx: StationContext, request: GetCertificateStatusRequest
) -> GetCertificateStatusResponse:
    security = ctx.services.security
    if security is None:
        return GetCertificateStatusResponse.model_validate({"status": "Failed"})
    ocsp_data = _wire(request.ocsp_request_data)
    return await security.providers.certificate_status(ctx.station_id, ocsp_data)


async def on_get_15118_ev_certificate(
    ctx: StationContext, request: Get15118EVCertificateRequest
) -> Get15118EVCertificateResponse:
    security = ctx.services.security
    if security is None:
        return Get15118EVCertificateResponse.model_validate({"status": "Failed", "exiResponse": ""})
    return await security.providers.ev_certificate(ctx.station_id, _wire(request))


async def on_install_certificate_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    if ctx.services.security is not None:
        await ctx.services.security.installed.on_install_answer(ctx.station_id, request, response)


async def on_get_installed_certificate_ids_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    """interface.md §7.4: the answer replaces the stored list for the types asked for."""
    if ctx.services.security is not None:
        installed = ctx.services.security.installed
        await installed.on_installed_ids_answer(ctx.station_id, request, response)


async def on_delete_certificate_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    if ctx.services.security is not None:
        await ctx.services.security.installed.on_delete_answer(ctx.station_id, request, response)
