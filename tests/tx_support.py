"""Test doubles for the transaction suites: an IdTokenAuthorizer following interface.md §10.2
(format rule, stored records, NoAuthorization), a ReservationUse that records its calls, and
builders for TransactionEvent requests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.ports import AuthorizationOutcome
from tourmaline.sim.payloads import meter_values_payload, transaction_event_payload

__all__ = [
    "T0",
    "RecordingReservations",
    "TokenBook",
    "at",
    "meter_values",
    "tx_event",
]

T0 = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)

# interface.md §10.2: an ISO14443 UID is 4 or 7 bytes, sent as hex.
_ISO14443 = re.compile(r"[0-9A-Fa-f]{8}|[0-9A-Fa-f]{14}")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def tx_event(event_type: str, transaction_id: str, seq_no: int, **fields: Any) -> JsonObject:
    """A TransactionEventRequest payload; events are a minute apart by default."""
    fields.setdefault("timestamp", at(seq_no * 60))
    return transaction_event_payload(event_type, transaction_id, seq_no, **fields)


def meter_values(evse_id: int, wh: float, seconds: float = 0) -> JsonObject:
    return meter_values_payload(evse_id, wh, at(seconds))


@dataclass
class TokenBook:
    """Stored authorizations by token value: (status, concurrentTransaction)."""

    records: dict[str, tuple[str, bool]] = field(default_factory=dict)
    calls: list[tuple[str, JsonObject, int | None]] = field(default_factory=list)

    async def authorize(
        self, station_id: str, id_token: JsonObject, *, evse_id: int | None = None
    ) -> AuthorizationOutcome:
        self.calls.append((station_id, id_token, evse_id))
        token, token_type = str(id_token["idToken"]), id_token["type"]
        if token_type == "NoAuthorization":
            return AuthorizationOutcome({"status": "Accepted"})
        if token_type == "ISO14443" and not _ISO14443.fullmatch(token):
            return AuthorizationOutcome({"status": "Invalid"})
        # IdToken is case-insensitive (OCPP 2.0.1 IdTokenType).
        stored = {key.casefold(): value for key, value in self.records.items()}
        status, concurrent = stored.get(token.casefold(), ("Unknown", False))
        return AuthorizationOutcome({"status": status}, concurrent_transaction=concurrent)


@dataclass
class RecordingReservations:
    """A ReservationUse that knows one active reservation id per station."""

    active: dict[str, int] = field(default_factory=dict)
    calls: list[tuple[str, int, str]] = field(default_factory=list)

    async def consume(
        self,
        session: AsyncSession,
        station_id: str,
        reservation_id: int,
        *,
        transaction_id: str,
        now: datetime,
    ) -> bool:
        assert session.in_transaction()
        self.calls.append((station_id, reservation_id, transaction_id))
        if self.active.get(station_id) != reservation_id:
            return False
        del self.active[station_id]
        return True
