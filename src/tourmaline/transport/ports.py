"""What the charger-facing transport needs from the rest of Tourmaline, and what it offers.

The transport owns sockets and the OCPP-J session; every decision (who may connect, what a CALL
means, what is stored) is made behind these protocols, implemented in `services` and wired in
`runtime`. Nothing here imports the database, the API or the services.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from tourmaline.ocpp.framelog import CallOutcomeName, FrameRecord
from tourmaline.ocpp.rpc import Call, CallError, CallResult, JsonObject

__all__ = [
    "Admission",
    "CallOutcomeName",
    "CallTimeout",
    "ConnectionHooks",
    "FrameRecord",
    "HandshakeRequest",
    "InboundDispatcher",
    "LinkClosed",
    "ListenerInfo",
    "OutboundCall",
    "OutboundQueueFull",
    "Reply",
    "StationAuthenticator",
    "StationLink",
]


@dataclass(frozen=True, slots=True)
class ListenerInfo:
    id: str
    security_profile: int
    allow_unknown_stations: bool


@dataclass(frozen=True, slots=True)
class HandshakeRequest:
    station_id: str
    listener: ListenerInfo
    authorization: str | None
    client_certificate_cn: str | None = None


class Admission(enum.Enum):
    """The handshake verdict (interface.md §2.2); an authenticator exception means HTTP 500."""

    ALLOW = "allow"
    UNKNOWN_STATION = "unknown_station"  # HTTP 404, empty body
    UNAUTHORIZED = "unauthorized"  # HTTP 401 + WWW-Authenticate Basic


class StationAuthenticator(Protocol):
    async def admit(self, request: HandshakeRequest) -> Admission: ...


class LinkClosed(Exception):
    """The station's connection is gone (closed, replaced or never open)."""


class OutboundQueueFull(Exception):
    """The station already has `outbound_queue_size` CSMS calls waiting for its slot."""


class CallTimeout(Exception):
    """No CALLRESULT/CALLERROR arrived before the call's deadline."""


class OutboundCall(Protocol):
    """A CSMS-initiated CALL accepted for delivery on one connection."""

    @property
    def message_id(self) -> str: ...

    @property
    def action(self) -> str: ...

    @property
    def payload(self) -> JsonObject: ...

    async def outcome(self) -> CallResult | CallError:
        """The station's answer. A CALLRESULT that fails the response schema comes back as a
        CallError with code FormatViolation and `details["source"] == "csms"`.
        Raises CallTimeout or LinkClosed."""
        ...


class StationLink(Protocol):
    """One live, registered WebSocket connection of a station."""

    @property
    def station_id(self) -> str: ...

    @property
    def listener(self) -> ListenerInfo: ...

    @property
    def subprotocol(self) -> str: ...

    def submit(self, action: str, payload: JsonObject, *, timeout: float) -> OutboundCall:
        """Queue a CALL for the station's single outbound slot (OCPP-J 4.1.1). The payload is
        validated against the action's request schema first: an invalid payload raises the
        matching `OcppError` and nothing is sent. Raises OutboundQueueFull or LinkClosed."""
        ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to an inbound CALL, plus work that must start only after it was sent
    (for example GetBaseReport after a Pending BootNotification)."""

    frame: CallResult | CallError
    follow_up: Callable[[], Awaitable[None]] | None = None


class InboundDispatcher(Protocol):
    async def dispatch(self, link: StationLink, call: Call) -> Reply:
        """Validate, gate, handle and commit one station CALL; never raises."""
        ...


class ConnectionHooks(Protocol):
    async def opened(self, link: StationLink) -> None:
        """Register the link (replacing an older one). Raising closes the socket with 1011."""
        ...

    async def closed(self, link: StationLink, code: int | None, reason: str) -> None: ...

    def frame(self, record: FrameRecord) -> None:
        """Every frame in both directions, unparseable ones included; must not block."""
        ...

    def call_outcome(self, station_id: str, message_id: str, outcome: CallOutcomeName) -> None:
        """A CSMS call's final outcome (answered, call_error, timeout, late, not_sent)."""
        ...
