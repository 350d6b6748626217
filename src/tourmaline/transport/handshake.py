"""The `process_request` hook: every check made before the WebSocket upgrade.

The order is interface.md §2.2: station id syntax (400), then the authenticator (unknown station
404, minimum profile / Basic auth / certificate CN 401), any unexpected failure 500. Subprotocol
negotiation comes after this hook (websockets runs it during the upgrade), so a station with a
wrong password and a wrong subprotocol gets 401. Plain HTTP on the port (no Upgrade header) only
serves `GET /health` (interface.md §1).
"""

from __future__ import annotations

import email.utils
import http
import json
import ssl
from typing import Any

import structlog
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from tourmaline.transport.identity import InvalidStationId, station_id_from_path
from tourmaline.transport.ports import (
    Admission,
    HandshakeRequest,
    ListenerInfo,
    StationAuthenticator,
)
from tourmaline.transport.server_connection import OcppServerConnection

__all__ = ["BASIC_CHALLENGE", "HandshakeChecks", "client_certificate_cn", "http_response"]

log = structlog.get_logger(__name__)

BASIC_CHALLENGE = 'Basic realm="Access to the WebSocket", charset="UTF-8"'


def http_response(
    status: http.HTTPStatus, body: Any = None, headers: dict[str, str] | None = None
) -> Response:
    """A complete HTTP response; `body` is serialised as JSON unless it is None."""
    content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    fields = Headers(
        Date=email.utils.formatdate(usegmt=True),
        Connection="close",
        **{"Content-Length": str(len(content))},
    )
    if body is not None:
        fields["Content-Type"] = "application/json"
    for name, value in (headers or {}).items():
        fields[name] = value
    return Response(status.value, status.phrase, fields, content)


def client_certificate_cn(connection: ServerConnection) -> str | None:
    """The subject CN of a verified client certificate (profile 3), None without TLS or cert."""
    ssl_object = connection.transport.get_extra_info("ssl_object")
    if not isinstance(ssl_object, ssl.SSLObject):
        return None
    certificate = ssl_object.getpeercert()
    if not certificate:
        return None
    subject = certificate.get("subject", ())
    for relative_name in subject:
        for attribute in relative_name:
            if attribute[0] == "commonName":
                return str(attribute[1])
    return None


def _plain_http(request: Request) -> Response:
    if request.path.split("?", 1)[0] == "/health":
        return http_response(http.HTTPStatus.OK, {"status": "healthy"})
    return http_response(http.HTTPStatus.NOT_FOUND, {"error": "Not Found"})


class HandshakeChecks:
    """The `process_request` hook of one listener."""

    def __init__(self, listener: ListenerInfo, authenticator: StationAuthenticator) -> None:
        self._listener = listener
        self._authenticator = authenticator

    async def __call__(self, connection: ServerConnection, request: Request) -> Response | None:
        if "Upgrade" not in request.headers:
            return _plain_http(request)
        try:
            station_id = station_id_from_path(request.path)
        except InvalidStationId as error:
            return http_response(http.HTTPStatus.BAD_REQUEST, {"error": error.reason})
        admission_request = HandshakeRequest(
            station_id=station_id,
            listener=self._listener,
            authorization=request.headers.get("Authorization"),
            client_certificate_cn=client_certificate_cn(connection),
        )
        refusal = await self._admit(admission_request)
        if refusal is None and isinstance(connection, OcppServerConnection):
            connection.admitted = admission_request
        return refusal

    async def _admit(self, request: HandshakeRequest) -> Response | None:
        try:
            admission = await self._authenticator.admit(request)
        except Exception:
            log.exception(
                "station admission failed",
                station_id=request.station_id,
                listener=self._listener.id,
            )
            return http_response(http.HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "Internal error"})
        if admission is Admission.ALLOW:
            return None
        log.info(
            "station refused",
            station_id=request.station_id,
            listener=self._listener.id,
            admission=admission.value,
        )
        if admission is Admission.UNKNOWN_STATION:
            return http_response(http.HTTPStatus.NOT_FOUND)
        return http_response(
            http.HTTPStatus.UNAUTHORIZED, headers={"WWW-Authenticate": BASIC_CHALLENGE}
        )
