"""Who may open a charger WebSocket: interface.md §2.2 steps 2-5 and §2.4.

An exception (database down, unreadable stored credential) propagates: the handshake answers
HTTP 500 (step 6). Passwords are never logged; every refusal is counted by reason.
"""

from __future__ import annotations

import base64
import binascii

import structlog

from tourmaline.metrics import AUTH_FAILURES
from tourmaline.services.credentials import CredentialService
from tourmaline.services.stations import StationService
from tourmaline.transport.ports import Admission, HandshakeRequest

__all__ = ["StationAuthenticatorImpl", "parse_basic_authorization"]

log = structlog.get_logger(__name__)

# Far above the 40-character OCPP passwordString: only bounds what reaches argon2.
MAX_PASSWORD_LENGTH = 1024


def parse_basic_authorization(header: str | None) -> tuple[str, str] | None:
    """(user, password) from `Basic base64(user:password)`, or None when unreadable. The scheme
    is case-insensitive (RFC 7235 §2.1) and the credentials split at the FIRST colon (RFC 7617)."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


class StationAuthenticatorImpl:
    """Implements `transport.ports.StationAuthenticator`."""

    def __init__(self, stations: StationService, credentials: CredentialService) -> None:
        self._stations = stations
        self._credentials = credentials

    async def admit(self, request: HandshakeRequest) -> Admission:
        verdict, reason = await self._decide(request)
        if verdict is not Admission.ALLOW:
            AUTH_FAILURES.labels(reason=reason).inc()
            log.warning(
                "station refused",
                station_id=request.station_id,
                listener=request.listener.id,
                reason=reason,
            )
        return verdict

    async def _decide(self, request: HandshakeRequest) -> tuple[Admission, str]:
        minimum = await self._stations.min_security_profile(request.station_id)
        profile = request.listener.security_profile
        if minimum is None and not request.listener.allow_unknown_stations:
            return Admission.UNKNOWN_STATION, "unknown_station"
        if minimum is not None and minimum > profile:
            return Admission.UNAUTHORIZED, "security_profile_too_low"
        if profile in (1, 2):
            return await self._check_basic(request)
        if profile == 3:
            return self._check_certificate(request)
        return Admission.ALLOW, ""

    async def _check_basic(self, request: HandshakeRequest) -> tuple[Admission, str]:
        credentials = parse_basic_authorization(request.authorization)
        if credentials is None:
            return Admission.UNAUTHORIZED, "missing_or_malformed_authorization"
        user, password = credentials
        if user != request.station_id:
            return Admission.UNAUTHORIZED, "user_mismatch"
        if len(password) > MAX_PASSWORD_LENGTH:
            return Admission.UNAUTHORIZED, "invalid_credentials"
        if not await self._credentials.verify(request.station_id, password):
            return Admission.UNAUTHORIZED, "invalid_credentials"
        return Admission.ALLOW, ""

    @staticmethod
    def _check_certificate(request: HandshakeRequest) -> tuple[Admission, str]:
        # interface.md §2.2 step 5: the TLS layer proved the CA; the CN must name this station.
        if request.client_certificate_cn != request.station_id:
            return Admission.UNAUTHORIZED, "certificate_mismatch"
        return Admission.ALLOW, ""
