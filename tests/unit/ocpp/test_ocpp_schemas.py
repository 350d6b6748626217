"""Validation with the official 2.0.1 schemas: error kinds to codes, and tolerances."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tourmaline.ocpp import errors
from tourmaline.ocpp.schemas import MAX_REPORTED_ERRORS, SchemaRegistry, is_date_time
from tourmaline.ocpp.v201.actions import ALL_ACTIONS


class Warnings:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, event: str, /, **fields: Any) -> None:
        self.seen.append((event, fields))


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry()


def boot(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "reason": "PowerUp",
        "chargingStation": {"model": "SingleSocketCharger", "vendorName": "VendorX"},
    }
    payload.update(overrides)
    return payload


def transaction_event(timestamp: str = "2024-05-01T10:00:00.123Z") -> dict[str, Any]:
    return {
        "eventType": "Updated",
        "timestamp": timestamp,
        "triggerReason": "MeterValuePeriodic",
        "seqNo": 3,
        "transactionInfo": {"transactionId": "tx-1", "chargingState": "Charging"},
        "evse": {"id": 1, "connectorId": 1},
        "meterValue": [
            {
                "timestamp": "2024-05-01T10:00:00+02:00",
                "sampledValue": [
                    {"value": 1234.5, "measurand": "Energy.Active.Import.Register"},
                    {
                        "value": 7.2,
                        "measurand": "Power.Active.Import",
                        "unitOfMeasure": {"unit": "kW"},
                    },
                ],
            }
        ],
    }


def test_every_action_has_both_schemas(registry: SchemaRegistry) -> None:
    assert registry.actions == ALL_ACTIONS
    assert all(registry.knows(action) for action in ALL_ACTIONS)
    assert not registry.knows("Bogus")
    registry.preload()


def test_a_valid_payload_is_returned_unchanged_without_a_copy(registry: SchemaRegistry) -> None:
    payload = transaction_event()
    assert registry.validate_request("TransactionEvent", payload) is payload
    response = {"currentTime": "2024-01-01T00:00:00Z", "interval": 300, "status": "Accepted"}
    assert registry.validate_response("BootNotification", response) is response


@pytest.mark.parametrize(
    ("payload", "error_class", "expected"),
    [
        (
            {"reason": "PowerUp"},
            errors.OccurrenceConstraintViolation,
            [{"path": "$.chargingStation", "kind": "required"}],
        ),
        (
            boot(reason="Rebooted"),
            errors.PropertyConstraintViolation,
            [{"path": "$.reason", "kind": "enum"}],
        ),
        (
            boot(chargingStation={"model": 5, "vendorName": "V"}),
            errors.TypeConstraintViolation,
            [{"path": "$.chargingStation.model", "kind": "type"}],
        ),
        (
            boot(chargingStation={"model": "M" * 21, "vendorName": "V"}),
            errors.PropertyConstraintViolation,
            [{"path": "$.chargingStation.model", "kind": "maxLength"}],
        ),
        (
            boot(extra=1),
            errors.FormatViolation,
            [{"path": "$", "kind": "additionalProperties"}],
        ),
    ],
)
def test_failure_kind_picks_the_code(
    registry: SchemaRegistry,
    payload: dict[str, Any],
    error_class: type[errors.OcppError],
    expected: list[dict[str, str]],
) -> None:
    with pytest.raises(error_class) as caught:
        registry.validate_request("BootNotification", payload)
    assert type(caught.value) is error_class
    assert caught.value.details == {"errors": expected}


def test_precedence_is_occurrence_then_type_then_property_then_format(
    registry: SchemaRegistry,
) -> None:
    everything = {"reason": "Nope", "chargingStation": {"model": 1}, "extra": True}
    with pytest.raises(errors.OccurrenceConstraintViolation) as caught:
        registry.validate_request("BootNotification", everything)
    kinds = sorted(entry["kind"] for entry in caught.value.details["errors"])
    assert kinds == ["additionalProperties", "enum", "required", "type"]
    without_required = {"reason": "Nope", "chargingStation": {"model": 1, "vendorName": "V"}}
    with pytest.raises(errors.TypeConstraintViolation):
        registry.validate_request("BootNotification", without_required)
    with pytest.raises(errors.PropertyConstraintViolation):
        registry.validate_request("BootNotification", {**boot(reason="Nope"), "extra": 1})


def test_array_occurrence_and_minimum(registry: SchemaRegistry) -> None:
    with pytest.raises(errors.OccurrenceConstraintViolation) as caught:
        registry.validate_request("MeterValues", {"evseId": 0, "meterValue": []})
    assert caught.value.details["errors"] == [{"path": "$.meterValue", "kind": "minItems"}]
    with pytest.raises(errors.TypeConstraintViolation):
        registry.validate_request("TransactionEvent", {**transaction_event(), "seqNo": 1.5})
    with pytest.raises(errors.TypeConstraintViolation):
        registry.validate_request("TransactionEvent", {**transaction_event(), "seqNo": True})


def test_details_never_echo_payload_text(registry: SchemaRegistry) -> None:
    secret = "s3cret-Value-Station-Sent"
    payload = boot(reason=secret, chargingStation={"model": secret * 2, "vendorName": "V"})
    payload[secret] = secret
    with pytest.raises(errors.OcppError) as caught:
        registry.validate_request("BootNotification", payload)
    frame = caught.value.to_frame("1")
    assert secret not in repr(frame)
    assert len(frame.description) <= 255


def test_error_list_is_capped(registry: SchemaRegistry) -> None:
    values = [{"value": "not a number"} for _ in range(MAX_REPORTED_ERRORS + 5)]
    payload = {
        "evseId": 1,
        "meterValue": [{"timestamp": "2024-01-01T00:00:00Z", "sampledValue": values}],
    }
    with pytest.raises(errors.TypeConstraintViolation) as caught:
        registry.validate_request("MeterValues", payload)
    assert len(caught.value.details["errors"]) == MAX_REPORTED_ERRORS
    assert caught.value.details["truncated"] is True
    assert "(25 errors)" in caught.value.description


def test_nulls_are_removed_with_a_warning_without_touching_the_input(
    registry: SchemaRegistry,
) -> None:
    warnings = Warnings()
    station = {"model": "M", "vendorName": "V", "serialNumber": None, "modem": {"iccid": None}}
    payload = boot(chargingStation=station)
    original = copy.deepcopy(payload)
    result = registry.validate_request("BootNotification", payload, on_warning=warnings)
    assert result == boot(chargingStation={"model": "M", "vendorName": "V", "modem": {}})
    assert payload == original
    assert warnings.seen == [
        (
            "null_properties_removed",
            {
                "action": "BootNotification",
                "paths": ["$.chargingStation.serialNumber", "$.chargingStation.modem.iccid"],
            },
        )
    ]


def test_a_required_property_sent_as_null_is_missing(registry: SchemaRegistry) -> None:
    with pytest.raises(errors.OccurrenceConstraintViolation):
        registry.validate_request("BootNotification", boot(reason=None))


def test_zone_less_timestamps_become_utc_with_a_warning(registry: SchemaRegistry) -> None:
    warnings = Warnings()
    payload = transaction_event("2024-05-01T10:00:00.5")
    payload["meterValue"].append(
        {"timestamp": "2024-05-01T10:00:01", "sampledValue": [{"value": 1}]}
    )
    original = copy.deepcopy(payload)
    result = SchemaRegistry(on_warning=warnings).validate_request("TransactionEvent", payload)
    assert result["timestamp"] == "2024-05-01T10:00:00.5Z"
    assert result["meterValue"][0]["timestamp"] == "2024-05-01T10:00:00+02:00"
    assert result["meterValue"][1]["timestamp"] == "2024-05-01T10:00:01Z"
    assert payload == original
    assert sorted(fields["path"] for _, fields in warnings.seen) == [
        "$.meterValue[1].timestamp",
        "$.timestamp",
    ]
    assert {event for event, _ in warnings.seen} == {"timestamp_without_zone"}


def test_zone_less_stamp_in_a_valid_payload_after_null_removal(registry: SchemaRegistry) -> None:
    payload = {"currentTime": "2024-01-01T00:00:00", "customData": None}
    result = registry.validate_response("Heartbeat", payload)
    assert result == {"currentTime": "2024-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    "stamp",
    [
        "yesterday",
        "2024-02-30T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-01-01",
        "2024-01-01 10:00:00Z",
    ],
)
def test_non_date_times_are_property_violations(registry: SchemaRegistry, stamp: str) -> None:
    with pytest.raises(errors.PropertyConstraintViolation) as caught:
        registry.validate_request("TransactionEvent", transaction_event(stamp))
    assert caught.value.details["errors"] == [{"path": "$.timestamp", "kind": "format"}]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2024-02-29T23:59:60.123456789Z", True),
        ("2023-02-29T00:00:00Z", False),
        ("2024-04-30T00:00:00-05:30", True),
        ("2024-04-31T00:00:00Z", False),
        ("2024-01-01T24:00:00Z", False),
        ("2024-01-01T00:00:00+24:00", False),
        ("2024-01-01t00:00:00z", True),
        ("2024-01-01T00:00:00", True),
        ("2024-01-01T00:00", False),
    ],
)
def test_is_date_time(value: str, valid: bool) -> None:
    assert is_date_time(value) is valid


def test_unknown_action_is_not_implemented(registry: SchemaRegistry) -> None:
    with pytest.raises(errors.ActionNotImplemented):
        registry.validate_request("Bogus", {})


def test_custom_data_is_accepted_everywhere(registry: SchemaRegistry) -> None:
    payload = {"customData": {"vendorId": "com.example", "anything": {"deep": [1, None]}}}
    assert registry.validate_request("Heartbeat", payload) is payload
