"""Who may open a charger WebSocket: interface.md §2.2 steps 2-5 and §2.4.

An exception (database down, unreadable stored credential) propagates: the handshake answers
HTTP 500 (step 6). Passwords are never logged; every refusal is counted by reason and recorded
as a CSMS-side security event; failed Basic-auth attempts are limited per station
(services/auth_throttle.py).
"""

from __future__ import annotations

import base64
import binascii

import structlog

from tourmaline.metrics import AUTH_FAILURES
from tourmaline.ocpp.security_events import (
    FAILED_TO_AUTHENTICATE_AT_CSMS,
    INVALID_CHARGING_STATION_CERTIFICATE,
)
from tourmaline.services.auth_throttle import FailedAuthLimiter
from tourmaline.services.credentials import CredentialService
from tourmaline.services.security_audit import SecurityAudit
from tourmaline.services.stations import StationService
from tourmaline.transport.ports import Admission, HandshakeRequest

__all__ = ["StationAuthenticatorImpl", "parse_basic_authorization"]

log = structlog.get_logger(__name__)

# Far above the 40-character OCPP passwordString: only bounds what reaches argon2.
MAX_PASSWORD_LENGTH = 1024

# Refusal reason → (OCPP security event type, what happened); ocpp/security_events.py.
_REFUSAL_EVENTS = {
    "unknown_station": (FAILED_TO_AUTHENTICATE_AT_CSMS, "unknown station"),
    "security_profile_too_low": (
        FAILED_TO_AUTHENTICATE_AT_CSMS,
        "listener profile below the station's minimum security profile",
    ),
    "missing_or_malformed_authorization": (
        FAILED_TO_AUTHENTICATE_AT_CSMS,
        "no readable Basic credentials",
    ),
    "user_mismatch": (FAILED_TO_AUTHENTICATE_AT_CSMS, "Basic-auth user is not the station id"),
    "invalid_credentials": (FAILED_TO_AUTHENTICATE_AT_CSMS, "wrong password"),
    "rate_limited": (FAILED_TO_AUTHENTICATE_AT_CSMS, "refused: too many failed attempts"),
    "certificate_mismatch": (
        INVALID_CHARGING_STATION_CERTIFICATE,
        "client certificate CN does not name the station",
    ),
}


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

    def __init__(
        self,
        stations: StationService,
        credentials: CredentialService,
        *,
        audit: SecurityAudit | None = None,
        limiter: FailedAuthLimiter | None = None,
    ) -> None:
        self._stations = stations
        self._credentials = credentials
        self._audit = audit
        self._limiter = limiter

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
            self._record_refusal(request, reason)
        return verdict

    async def _decide(self, request: HandshakeRequest) -> tuple[Admission, str]:
        minimum = await self._stations.min_security_profile(request.station_id)
        profile = request.listener.security_profile
        if minimum is None and not request.listener.allow_unknown_stations:
            return Admission.UNKNOWN_STATION, "unknown_station"
        if minimum is not None and minimum > profile:
            return Admission.UNAUTHORIZED, "security_profile_too_low"
        if profile in (1, 2):
            return await self._check_basic_limited(request)
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

    async def _check_basic_limited(self, request: HandshakeRequest) -> tuple[Admission, str]:
        limiter, station_id = self._limiter, request.station_id
        if limiter is None:
            return await self._check_basic(request)
        if limiter.locked(station_id):
            if await self._remembered_password(request):
                return Admission.ALLOW, ""
            return Admission.UNAUTHORIZED, "rate_limited"
        verdict, reason = await self._check_basic(request)
        if verdict is Admission.ALLOW:
            limiter.succeeded(station_id)
        elif limiter.failed(station_id):
            self._record_lockout(request, limiter.window)
        return verdict, reason

    async def _remembered_password(self, request: HandshakeRequest) -> bool:
        """While locked, only a password already verified recently (no hashing) gets in."""
        credentials = parse_basic_authorization(request.authorization)
        if credentials is None or credentials[0] != request.station_id:
            return False
        return await self._credentials.verify_cached(request.station_id, credentials[1])

    def _record_refusal(self, request: HandshakeRequest, reason: str) -> None:
        if self._audit is None or reason not in _REFUSAL_EVENTS:
            return
        event_type, text = _REFUSAL_EVENTS[reason]
        listener = request.listener
        where = f"listener {listener.id} (profile {listener.security_profile})"
        if reason == "unknown_station":
            # No station record to attach the event to; the presented id goes into techInfo and
            # every unknown id folds into one event per listener (services/security_audit.py).
            info = f"{where}: {text} {request.station_id!r}"
            self._audit.report(None, event_type, info, kind=f"unknown:{listener.id}")
            return
        if reason == "certificate_mismatch":
            text = f"{text} (CN {request.client_certificate_cn!r})"
        kind = f"{request.station_id}:{reason}"
        self._audit.report(request.station_id, event_type, f"{where}: {text}", kind=kind)

    def _record_lockout(self, request: HandshakeRequest, window: float) -> None:
        if self._audit is None:
            return
        info = (
            f"listener {request.listener.id}: too many failed Basic-auth attempts; further "
            f"attempts refused for {window:g} s"
        )
        kind = f"{request.station_id}:locked"
        self._audit.report(request.station_id, FAILED_TO_AUTHENTICATE_AT_CSMS, info, kind=kind)

    @staticmethod
    def _check_certificate(request: HandshakeRequest) -> tuple[Admission, str]:
        # interface.md §2.2 step 5: the TLS layer proved the CA; the CN must name this station.
        if request.client_certificate_cn != request.station_id:
            return Admission.UNAUTHORIZED, "certificate_mismatch"
        return Admission.ALLOW, ""
