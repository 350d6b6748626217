"""What one group of services needs from another, as protocols: each side is built and tested on
its own and `runtime.py` wires them together (design.md §1.2: handlers and services receive
their dependencies). Transport-facing protocols live in `transport/ports.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from tourmaline.ocpp.rpc import JsonObject

__all__ = [
    "ActiveTransactions",
    "AuthorizationOutcome",
    "CertificateSigner",
    "IdTokenAuthorizer",
    "OutboundCheck",
    "ReservationUse",
    "SecurityEventSink",
    "TariffPrices",
    "Unanswered",
    "UnansweredHandler",
    "UnansweredOutcome",
]

OutboundCheck = Callable[[str, str, JsonObject], Awaitable[str | None]]
"""check(station_id, action, payload), run on the instance holding the station's socket before a
CSMS call is queued: a refusal text, answered as `{success: false, payload: <text>}`
(interface.md §7.2), or None to go on. Checks that store something (a reservation before
ReserveNow, §10.4) run after the checks that only refuse."""


UnansweredOutcome = Literal["CallError", "Timeout", "Disconnected", "NotSent"]


@dataclass(frozen=True, slots=True)
class Unanswered:
    """Why a call got no CALLRESULT: the station's CALLERROR (`error`, as `error_payload`
    shows it), no answer before the deadline, the socket closing while the call was queued or
    on the wire, or the call never leaving (station offline, refused before sending)."""

    outcome: UnansweredOutcome
    reason: str
    error: JsonObject | None = None


UnansweredHandler = Callable[[str, str, JsonObject, Unanswered], Awaitable[None]]
"""on_unanswered(station_id, action, request, unanswered): a call that got no CALLRESULT, reported
once by the instance that knew its outcome (CommandService to RemoteRequestLog)."""


@dataclass(frozen=True, slots=True)
class AuthorizationOutcome:
    """The verdict on one idToken (interface.md §10.2)."""

    id_token_info: JsonObject
    """OCPP IdTokenInfoType in wire form (camelCase, no nulls), ready for an Authorize or
    TransactionEvent response."""
    concurrent_transaction: bool = False
    """The stored `concurrentTransaction` flag: whether the token may hold several transactions
    at once (a Started event for a token that already has one is answered ConcurrentTx)."""

    @property
    def status(self) -> str:
        return str(self.id_token_info["status"])


class IdTokenAuthorizer(Protocol):
    async def authorize(
        self, station_id: str, id_token: JsonObject, *, evse_id: int | None = None
    ) -> AuthorizationOutcome:
        """interface.md §10.2 for one IdTokenType in wire form. A malformed token is a business
        answer (status Invalid), never an exception."""
        ...


class ActiveTransactions(Protocol):
    async def has_active_transaction(self, id_token: str, token_type: str) -> bool:
        """Whether a transaction authorized by this token is still active at any station."""
        ...


class TariffPrices(Protocol):
    async def price_per_kwh(self) -> Decimal | None:
        """The operator-wide tariff's energy price (interface.md §10.6), None without a tariff."""
        ...


class ReservationUse(Protocol):
    async def consume(
        self,
        session: AsyncSession,
        station_id: str,
        reservation_id: int,
        *,
        transaction_id: str,
        now: datetime,
    ) -> bool:
        """Mark the reservation used by this transaction inside the caller's database
        transaction (interface.md §10.1 `reservationId`, §10.4); False when the station has no
        such active reservation."""
        ...


class CertificateSigner(Protocol):
    def sign_csr(self, csr_pem: str, *, certificate_type: str) -> str:
        """Sign a PEM CSR for `certificate_type` (OCPP CertificateSigningUseEnumType:
        ChargingStationCertificate or V2GCertificate) and return the PEM chain, leaf first.
        Raises ValueError when this signer cannot issue that type."""
        ...


SecurityEventSink = Callable[[str | None, str, str | None], None]
"""report(station_id or None, event type, techInfo): a CSMS-side security event (failed
authentication, refused upgrade, TLS failure). Must neither block nor raise."""
