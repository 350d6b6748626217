"""OCPP 2.0.1 payloads a simulated station sends during a charging session (blocks E and J), as
plain JSON objects: used by SimulatedStation, the load generators and tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tourmaline.ocpp.rpc import JsonObject

__all__ = [
    "energy_meter_value",
    "iso",
    "meter_values_payload",
    "transaction_event_payload",
]

_TRIGGERS = {"Started": "Authorized", "Updated": "MeterValuePeriodic", "Ended": "StopAuthorized"}
_CONTEXTS = {
    "Started": "Transaction.Begin",
    "Updated": "Sample.Periodic",
    "Ended": "Transaction.End",
}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def energy_meter_value(
    wh: float, timestamp: datetime, *, context: str = "Sample.Periodic", unit: str = "Wh"
) -> JsonObject:
    """One MeterValueType with an Energy.Active.Import.Register reading."""
    sample = {
        "value": wh,
        "context": context,
        "measurand": "Energy.Active.Import.Register",
        "unitOfMeasure": {"unit": unit},
    }
    return {"timestamp": iso(timestamp), "sampledValue": [sample]}


def transaction_event_payload(
    event_type: str,
    transaction_id: str,
    seq_no: int,
    *,
    timestamp: datetime | None = None,
    trigger_reason: str | None = None,
    evse_id: int | None = None,
    connector_id: int | None = None,
    id_token: str | None = None,
    token_type: str = "ISO14443",  # noqa: S107 - an OCPP IdTokenEnumType, not a secret
    meter_wh: float | None = None,
    charging_state: str | None = None,
    stopped_reason: str | None = None,
    remote_start_id: int | None = None,
    offline: bool | None = None,
    reservation_id: int | None = None,
) -> JsonObject:
    """A TransactionEventRequest; optional parts are left out when not given."""
    moment = timestamp or datetime.now(UTC)
    info: dict[str, Any] = {"transactionId": transaction_id}
    for name, value in (
        ("chargingState", charging_state),
        ("stoppedReason", stopped_reason),
        ("remoteStartId", remote_start_id),
    ):
        if value is not None:
            info[name] = value
    payload: dict[str, Any] = {
        "eventType": event_type,
        "timestamp": iso(moment),
        "triggerReason": trigger_reason or _TRIGGERS[event_type],
        "seqNo": seq_no,
        "transactionInfo": info,
    }
    if evse_id is not None:
        payload["evse"] = {"id": evse_id}
        if connector_id is not None:
            payload["evse"]["connectorId"] = connector_id
    if id_token is not None:
        payload["idToken"] = {"idToken": id_token, "type": token_type}
    if meter_wh is not None:
        reading = energy_meter_value(meter_wh, moment, context=_CONTEXTS[event_type])
        payload["meterValue"] = [reading]
    for name, value in (("offline", offline), ("reservationId", reservation_id)):
        if value is not None:
            payload[name] = value
    return payload


def meter_values_payload(evse_id: int, wh: float, timestamp: datetime | None = None) -> JsonObject:
    """A MeterValuesRequest outside a transaction, clock-aligned."""
    moment = timestamp or datetime.now(UTC)
    return {
        "evseId": evse_id,
        "meterValue": [energy_meter_value(wh, moment, context="Sample.Clock")],
    }
