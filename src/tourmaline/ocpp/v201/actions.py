"""The 64 OCPP 2.0.1 actions: who may send the CALL, and the message-API route of CSMS calls.

The direction of each action is from OCPP 2.0.1 Part 2 (interface.md §11); the message-API module
of each CSMS-initiated action is CitrineOS's, taken literally from interface.md §7.4. The path is
the action with a lower-case first letter (`SetVariables` → `monitoring/setVariables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ACTIONS",
    "ALL_ACTIONS",
    "CSMS_ACTIONS",
    "STATION_ACTIONS",
    "ActionSpec",
    "Sender",
    "message_api_route",
    "message_api_routes",
]

Sender = Literal["station", "csms", "both"]


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    sender: Sender
    api_module: str | None = None  # CitrineOS message-API module; only for CSMS-initiated calls

    @property
    def api_path(self) -> str | None:
        if self.api_module is None:
            return None
        return self.name[0].lower() + self.name[1:]


_STATION_INITIATED = (
    "Authorize",
    "BootNotification",
    "ClearedChargingLimit",
    "FirmwareStatusNotification",
    "Get15118EVCertificate",
    "GetCertificateStatus",
    "Heartbeat",
    "LogStatusNotification",
    "MeterValues",
    "NotifyChargingLimit",
    "NotifyCustomerInformation",
    "NotifyDisplayMessages",
    "NotifyEVChargingNeeds",
    "NotifyEVChargingSchedule",
    "NotifyEvent",
    "NotifyMonitoringReport",
    "NotifyReport",
    "PublishFirmwareStatusNotification",
    "ReportChargingProfiles",
    "ReservationStatusUpdate",
    "SecurityEventNotification",
    "SignCertificate",
    "StatusNotification",
    "TransactionEvent",
)

# interface.md §7.4, module by module.
_CSMS_INITIATED: dict[str, tuple[str, ...]] = {
    "certificates": (
        "CertificateSigned",
        "DeleteCertificate",
        "GetInstalledCertificateIds",
        "InstallCertificate",
    ),
    "configuration": (
        "ChangeAvailability",
        "ClearDisplayMessage",
        "DataTransfer",
        "GetDisplayMessages",
        "PublishFirmware",
        "Reset",
        "SetDisplayMessage",
        "SetNetworkProfile",
        "TriggerMessage",
        "UnpublishFirmware",
        "UpdateFirmware",
    ),
    "evdriver": (
        "CancelReservation",
        "ClearCache",
        "GetLocalListVersion",
        "RequestStartTransaction",
        "RequestStopTransaction",
        "ReserveNow",
        "SendLocalList",
        "UnlockConnector",
    ),
    "monitoring": (
        "ClearVariableMonitoring",
        "GetVariables",
        "SetMonitoringBase",
        "SetMonitoringLevel",
        "SetVariableMonitoring",
        "SetVariables",
    ),
    "reporting": (
        "CustomerInformation",
        "GetBaseReport",
        "GetLog",
        "GetMonitoringReport",
        "GetReport",
    ),
    "smartcharging": (
        "ClearChargingProfile",
        "GetChargingProfiles",
        "GetCompositeSchedule",
        "SetChargingProfile",
    ),
    "transactions": ("CostUpdated", "GetTransactionStatus"),
}

# OCPP 2.0.1 P01/P02: DataTransfer is the only action both sides may initiate.
_BOTH = frozenset({"DataTransfer"})


def _build() -> dict[str, ActionSpec]:
    specs = {name: ActionSpec(name, "station") for name in _STATION_INITIATED}
    for module, names in _CSMS_INITIATED.items():
        for name in names:
            specs[name] = ActionSpec(name, "both" if name in _BOTH else "csms", module)
    return dict(sorted(specs.items()))


ACTIONS: dict[str, ActionSpec] = _build()
ALL_ACTIONS: frozenset[str] = frozenset(ACTIONS)
STATION_ACTIONS: frozenset[str] = frozenset(
    name for name, spec in ACTIONS.items() if spec.sender != "csms"
)
CSMS_ACTIONS: frozenset[str] = frozenset(
    name for name, spec in ACTIONS.items() if spec.sender != "station"
)


def message_api_route(action: str) -> tuple[str, str] | None:
    """(module, path) of the CSMS action's message-API route, or None (station-only/unknown)."""
    spec = ACTIONS.get(action)
    if spec is None or spec.api_module is None or spec.api_path is None:
        return None
    return spec.api_module, spec.api_path


def message_api_routes() -> list[tuple[str, str, str]]:
    """Every message-API route as (module, path, action), sorted by module and path."""
    routes = []
    for name in CSMS_ACTIONS:
        route = message_api_route(name)
        if route is not None:
            routes.append((route[0], route[1], name))
    return sorted(routes)
