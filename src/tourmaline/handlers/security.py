"""Functional block A (Security): SignCertificate, SecurityEventNotification and the answer to
CertificateSigned (interface.md §11 block A, §7.4 `certificates/certificateSigned`)."""

from __future__ import annotations

from functools import partial

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models import (
    SecurityEventNotificationRequest,
    SecurityEventNotificationResponse,
    SignCertificateRequest,
    SignCertificateResponse,
)
from tourmaline.services.context import StationContext

__all__ = [
    "on_certificate_signed_result",
    "on_security_event_notification",
    "on_sign_certificate",
]

_NO_SIGNER = {"reasonCode": "NotEnabled", "additionalInfo": "No certificate authority configured"}


async def on_sign_certificate(
    ctx: StationContext, request: SignCertificateRequest
) -> SignCertificateResponse:
    """Accepted first, the CSR judged afterwards (OCTT TC_A_14 expects this order); Rejected
    when no signing CA is configured."""
    security = ctx.services.security
    if security is None or not security.signing.can_sign:
        return SignCertificateResponse.model_validate(
            {"status": "Rejected", "statusInfo": _NO_SIGNER}
        )
    certificate_type = None if request.certificate_type is None else str(request.certificate_type)
    request_id = await security.signing.receive(ctx.station_id, request.csr, certificate_type)
    ctx.after_reply(partial(security.signing.process, ctx.station_id, request_id))
    return SignCertificateResponse.model_validate({"status": "Accepted"})


async def on_security_event_notification(
    ctx: StationContext, request: SecurityEventNotificationRequest
) -> SecurityEventNotificationResponse:
    security = ctx.services.security
    if security is not None:
        await security.events.record_notification(
            ctx.station_id, request.type, request.timestamp, request.tech_info
        )
    return SecurityEventNotificationResponse()


async def on_certificate_signed_result(
    ctx: StationContext, request: JsonObject, response: JsonObject
) -> None:
    if ctx.services.security is not None:
        await ctx.services.security.signing.on_certificate_signed_answer(
            ctx.station_id, request, response
        )
