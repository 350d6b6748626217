"""Micro benchmark: µs per `SchemaRegistry.validate_request` on realistic payloads (not a test).

Run: `.venv/bin/python benchmarks/bench_validation.py` (design.md §10 expects a few µs).
"""

from __future__ import annotations

import timeit
from typing import Any

from tourmaline.ocpp.schemas import SchemaRegistry

BOOT: dict[str, Any] = {
    "reason": "PowerUp",
    "chargingStation": {
        "model": "SingleSocketCharger",
        "vendorName": "VendorX",
        "serialNumber": "SN-000123",
        "firmwareVersion": "1.4.2",
        "modem": {"iccid": "89310410106543789301", "imsi": "310410123456789"},
    },
}


def sampled(measurand: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "value": value,
        "measurand": measurand,
        "context": "Sample.Periodic",
        "location": "Outlet",
        "unitOfMeasure": {"unit": unit},
    }


TRANSACTION_EVENT: dict[str, Any] = {
    "eventType": "Updated",
    "timestamp": "2024-05-01T10:15:00.000Z",
    "triggerReason": "MeterValuePeriodic",
    "seqNo": 12,
    "transactionInfo": {
        "transactionId": "f1d2c3b4-0000-4000-8000-000000000001",
        "chargingState": "Charging",
    },
    "evse": {"id": 1, "connectorId": 1},
    "idToken": {"idToken": "04A2B3C4D5E6F7", "type": "ISO14443"},
    "meterValue": [
        {
            "timestamp": "2024-05-01T10:15:00.000Z",
            "sampledValue": [
                sampled("Energy.Active.Import.Register", 15234.5, "Wh"),
                sampled("Power.Active.Import", 11040.0, "W"),
                sampled("Current.Import", 16.0, "A"),
                sampled("Voltage", 230.1, "V"),
            ],
        }
    ],
}

ZONE_LESS = {**TRANSACTION_EVENT, "timestamp": "2024-05-01T10:15:00.000"}


def per_call_us(registry: SchemaRegistry, action: str, payload: dict[str, Any]) -> float:
    registry.validate_request(action, payload)  # compile outside the measurement
    runs = 20_000
    best = min(
        timeit.repeat(lambda: registry.validate_request(action, payload), number=runs, repeat=5)
    )
    return best / runs * 1e6


def main() -> None:
    registry = SchemaRegistry()
    cases = [
        ("BootNotification", BOOT),
        ("TransactionEvent", TRANSACTION_EVENT),
        ("TransactionEvent (zone-less stamp)", ZONE_LESS),
    ]
    for label, payload in cases:
        action = label.split(" ")[0]
        print(f"{label:40s} {per_call_us(registry, action, payload):7.2f} µs")


if __name__ == "__main__":
    main()
