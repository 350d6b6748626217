"""Pending / Rejected gating (interface.md §4.5; OCPP B02.FR.09, B03.FR.07/08; OCTT TC_B_30/31).

The registration status is the answer to the station's last BootNotification. A copy per station
lives here so the hot path (a Heartbeat, a StatusNotification) costs no database read: it is
loaded once per connection (a station may have booted on another instance in between) and
updated by every boot. While Pending, the station may only send what Tourmaline asked for during
this Pending period: follow-ups of requests with a `requestId`, and the message named by an
Accepted TriggerMessage for 30 s. While Rejected, only BootNotification.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import ChargingStation, ReportRequest
from tourmaline.ocpp.errors import SecurityError
from tourmaline.ocpp.rpc import Call, JsonObject

__all__ = [
    "FOLLOW_UPS",
    "TRIGGER_WINDOW_SECONDS",
    "GatingService",
    "rejected_text",
    "triggered_action",
]

log = structlog.get_logger(__name__)

# §4.5: the triggered message is admitted for this long after the Accepted answer.
TRIGGER_WINDOW_SECONDS = 30.0
# Until the TriggerMessage answer is known; the station should answer first, but a triggered
# message that overtakes its answer is not refused.
AWAITING_ANSWER_SECONDS = 60.0

FOLLOW_UPS: dict[str, str] = {
    "GetBaseReport": "NotifyReport",
    "GetReport": "NotifyReport",
    "GetMonitoringReport": "NotifyMonitoringReport",
    "CustomerInformation": "NotifyCustomerInformation",
    "GetDisplayMessages": "NotifyDisplayMessages",
    "GetLog": "LogStatusNotification",
    "UpdateFirmware": "FirmwareStatusNotification",
    "PublishFirmware": "PublishFirmwareStatusNotification",
}
"""CSMS request → the station message that carries the same `requestId` back."""

_SIGN_CERTIFICATE_TRIGGERS = frozenset(
    {"SignChargingStationCertificate", "SignV2GCertificate", "SignCombinedCertificate"}
)
# Without an EVSE (or connector) these triggers make the station send one message per EVSE.
_EVSE_WIDE_TRIGGERS = frozenset({"StatusNotification", "MeterValues", "TransactionEvent"})
_GATED = frozenset({"Pending", "Rejected"})
_OPEN_STATES = ("requested", "accepted")


def rejected_text(station_id: str) -> str:
    return f"Station {station_id} is Rejected; only TriggerMessage(BootNotification) may be sent"


def triggered_action(requested_message: str) -> str:
    """The station action a TriggerMessage's `requestedMessage` asks for."""
    return (
        "SignCertificate" if requested_message in _SIGN_CERTIFICATE_TRIGGERS else requested_message
    )


@dataclass(slots=True)
class _TriggerWindow:
    request: JsonObject
    action: str
    several: bool
    expires_at: float
    answered: bool = False


@dataclass(slots=True)
class _StationGate:
    connection: int | None
    status: str | None
    follow_ups: set[tuple[str, int]] = field(default_factory=set)
    triggers: list[_TriggerWindow] = field(default_factory=list)

    def reset_period(self, status: str | None) -> None:
        self.status = status
        self.follow_ups.clear()
        self.triggers.clear()


class GatingService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        accept_any_report_request_id: bool = False,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._accept_any_report = accept_any_report_request_id
        self._gates: dict[str, _StationGate] = {}

    # -- state ------------------------------------------------------------------------------------

    async def prepare(self, station_id: str, connection: object) -> None:
        """Load the station's state once per connection (`connection` is its live link)."""
        gate = self._gates.get(station_id)
        if gate is None or gate.connection != id(connection):
            await self._load(station_id, id(connection))

    async def _load(self, station_id: str, connection: int | None) -> _StationGate:
        status, open_reports = await self._read(station_id)
        gate = self._gates.get(station_id)
        if gate is None or gate.status != status:
            gate = _StationGate(connection, status)
            self._gates[station_id] = gate
        gate.connection = connection
        gate.follow_ups.update(("NotifyReport", request_id) for request_id in open_reports)
        return gate

    async def _read(self, station_id: str) -> tuple[str | None, list[int]]:
        async with self._sessionmaker() as session:
            status = await session.scalar(
                select(ChargingStation.registration_status).where(ChargingStation.id == station_id)
            )
            if status not in _GATED:
                return status, []
            open_reports = await session.scalars(
                select(ReportRequest.request_id).where(
                    ReportRequest.station_id == station_id, ReportRequest.state.in_(_OPEN_STATES)
                )
            )
            return status, list(open_reports)

    def status(self, station_id: str) -> str | None:
        gate = self._gates.get(station_id)
        return None if gate is None else gate.status

    def on_boot(self, station_id: str, status: str) -> None:
        """Every BootNotification answer; a changed status starts a new period (§4.5)."""
        gate = self._gates.get(station_id)
        if gate is None:
            self._gates[station_id] = _StationGate(None, status)
        elif gate.status != status:
            gate.reset_period(status)

    def allow_follow_ups(self, station_id: str, action: str, request_ids: Iterable[int]) -> None:
        gate = self._gates.get(station_id)
        if gate is not None and gate.status == "Pending":
            gate.follow_ups.update((action, request_id) for request_id in request_ids)

    def forget(self, station_id: str) -> None:
        self._gates.pop(station_id, None)

    # -- station → CSMS ---------------------------------------------------------------------------

    def check_inbound(self, station_id: str, call: Call) -> SecurityError | None:
        """The `gate` of Router.dispatch: None admits the CALL."""
        gate = self._gates.get(station_id)
        if gate is None or gate.status not in _GATED or call.action == "BootNotification":
            return None
        if gate.status == "Pending" and self._admitted_while_pending(gate, call):
            return None
        log.info("call refused by gating", station_id=station_id, action=call.action)
        return SecurityError(f"Action {call.action} not allowed")

    def _admitted_while_pending(self, gate: _StationGate, call: Call) -> bool:
        request_id = call.payload.get("requestId")
        if isinstance(request_id, int) and (call.action, request_id) in gate.follow_ups:
            return True
        if call.action == "NotifyReport" and self._accept_any_report:
            if any(action == "NotifyReport" for action, _ in gate.follow_ups):
                return True
        return self._use_trigger(gate, call.action)

    def _use_trigger(self, gate: _StationGate, action: str) -> bool:
        now = self._clock.monotonic()
        gate.triggers[:] = [window for window in gate.triggers if window.expires_at > now]
        for window in gate.triggers:
            if window.action == action:
                if not window.several:
                    gate.triggers.remove(window)
                return True
        return False

    # -- CSMS → station ---------------------------------------------------------------------------

    async def check_outbound(self, station_id: str, action: str, payload: JsonObject) -> str | None:
        """CommandService's outbound gate: the refusal text, or None to send. Runs on the
        instance holding the station's socket, just before the call is queued."""
        gate = self._gates.get(station_id) or await self._load(station_id, None)
        if gate.status == "Rejected" and not _is_boot_trigger(action, payload):
            return rejected_text(station_id)
        if gate.status == "Pending":
            self._note_outbound(gate, action, payload)
        return None

    def _note_outbound(self, gate: _StationGate, action: str, payload: JsonObject) -> None:
        # Noted before sending: the station may send the follow-up before its answer is handled.
        request_id = payload.get("requestId")
        follow_up = FOLLOW_UPS.get(action)
        if follow_up is not None and isinstance(request_id, int):
            gate.follow_ups.add((follow_up, request_id))
        if action == "TriggerMessage":
            gate.triggers.append(self._window(payload))

    def _window(self, payload: JsonObject) -> _TriggerWindow:
        requested = str(payload.get("requestedMessage"))
        expires_at = self._clock.monotonic() + AWAITING_ANSWER_SECONDS
        return _TriggerWindow(payload, triggered_action(requested), _several(payload), expires_at)

    def on_trigger_answer(self, station_id: str, request: JsonObject, status: str) -> None:
        """TriggerMessage result route: Accepted opens the 30 s window, anything else closes it."""
        gate = self._gates.get(station_id)
        if gate is None:
            return
        window = next((w for w in gate.triggers if not w.answered and w.request == request), None)
        if window is None:
            if status != "Accepted" or gate.status != "Pending":
                return
            window = self._window(request)
            gate.triggers.append(window)
        if status == "Accepted":
            window.answered = True
            window.expires_at = self._clock.monotonic() + TRIGGER_WINDOW_SECONDS
        else:
            gate.triggers.remove(window)


def _is_boot_trigger(action: str, payload: JsonObject) -> bool:
    return action == "TriggerMessage" and payload.get("requestedMessage") == "BootNotification"


def _several(payload: JsonObject) -> bool:
    requested = payload.get("requestedMessage")
    evse: Any = payload.get("evse")
    if requested not in _EVSE_WIDE_TRIGGERS:
        return False
    if not isinstance(evse, dict):
        return True
    return requested == "StatusNotification" and "connectorId" not in evse
