"""Generated OCPP 2.0.1 models: in step with their generator and true to the official schemas."""

from __future__ import annotations

import importlib.util
import json
import shutil
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema_rs
import ocpp.v201  # type: ignore[import-untyped]
import pytest
from pydantic import BaseModel, ValidationError

from tourmaline.ocpp.v201 import models
from tourmaline.ocpp.v201.models import (
    REQUEST_MODELS,
    RESPONSE_MODELS,
    BootNotificationRequest,
    TransactionEventRequest,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(ocpp.v201.__file__).parent / "schemas"
MODELS_DIR = Path(models.__file__).parent
ACTIONS = sorted(p.name.removesuffix("Request.json") for p in SCHEMAS.glob("*Request.json"))
NOW = "2024-05-01T12:30:00Z"


def _generator() -> ModuleType:
    if importlib.util.find_spec("datamodel_code_generator") is None:
        pytest.skip("datamodel-code-generator is not installed (dev extra)")
    path = REPO_ROOT / "scripts" / "gen_ocpp_models.py"
    spec = importlib.util.spec_from_file_location("gen_ocpp_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


@cache
def _validator(name: str) -> Any:
    return jsonschema_rs.Draft6Validator(_schema(name), validate_formats=True)


def _minimal(node: dict[str, Any], root: dict[str, Any]) -> Any:
    """The smallest instance the schema accepts: required properties only, first enum value."""
    if "$ref" in node:
        return _minimal(root["definitions"][node["$ref"].rsplit("/", 1)[1]], root)
    if "enum" in node:
        return node["enum"][0]
    kind = node["type"]
    if kind == "object":
        props = node.get("properties", {})
        return {key: _minimal(props[key], root) for key in node.get("required", [])}
    if kind == "array":
        return [_minimal(node["items"], root) for _ in range(node.get("minItems", 0))]
    if kind == "string":
        return NOW if node.get("format") == "date-time" else "x"
    scalars: dict[str, Any] = {"integer": 1, "number": 1.5, "boolean": True}
    return scalars[kind]


def _assert_round_trip(name: str, model: type[BaseModel], payload: dict[str, Any]) -> None:
    parsed = model.model_validate(payload)
    # Echoing exactly what was sent needs exclude_unset; the plain dump adds schema defaults
    # (e.g. attributeType "Actual") and must still be valid wire JSON meaning the same thing.
    echoed = parsed.model_dump(by_alias=True, exclude_none=True, mode="json", exclude_unset=True)
    assert echoed == payload
    dumped = parsed.model_dump(by_alias=True, exclude_none=True, mode="json")
    _validator(name).validate(dumped)
    assert model.model_validate(dumped) == parsed


def test_committed_models_match_the_generator() -> None:
    assert _generator().main(["--check"]) == 0


def test_check_mode_notices_an_edited_file(tmp_path: Path) -> None:
    copy = tmp_path / "models"
    shutil.copytree(MODELS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    edited = copy / "heartbeat.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# hand edit\n", encoding="utf-8")
    assert _generator().main(["--check", "--out", str(copy)]) == 1


def test_every_action_has_a_request_and_a_response_model() -> None:
    assert len(ACTIONS) == 64
    assert sorted(REQUEST_MODELS) == ACTIONS
    assert sorted(RESPONSE_MODELS) == ACTIONS
    assert REQUEST_MODELS["BootNotification"] is BootNotificationRequest
    for action in ACTIONS:
        assert REQUEST_MODELS[action].__name__ == f"{action}Request"
        assert getattr(models, f"{action}Response") is RESPONSE_MODELS[action]


@pytest.mark.parametrize("kind", ["Request", "Response"])
@pytest.mark.parametrize("action", ACTIONS)
def test_minimal_payload_round_trips_and_stays_schema_valid(action: str, kind: str) -> None:
    name = f"{action}{kind}"
    payload = _minimal(_schema(name), _schema(name))
    assert _validator(name).is_valid(payload)
    table = REQUEST_MODELS if kind == "Request" else RESPONSE_MODELS
    _assert_round_trip(name, table[action], payload)


REALISTIC: list[tuple[str, dict[str, Any]]] = [
    (
        "BootNotificationRequest",
        {
            "reason": "PowerUp",
            "chargingStation": {
                "model": "Wallbox XYZ",
                "vendorName": "Tourmaline Labs",
                "serialNumber": "SN-0001",
                "firmwareVersion": "1.2.3",
                "modem": {"iccid": "8931000000000000000", "imsi": "204040000000000"},
            },
            "customData": {"vendorId": "com.example", "site": "depot-7"},
        },
    ),
    (
        "BootNotificationResponse",
        {
            "currentTime": NOW,
            "interval": 300,
            "status": "Pending",
            "statusInfo": {"reasonCode": "Wait"},
        },
    ),
    ("HeartbeatRequest", {}),
    ("HeartbeatResponse", {"currentTime": "2024-05-01T12:30:00.123000Z"}),
    (
        "StatusNotificationRequest",
        {"timestamp": NOW, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 2},
    ),
    (
        "TransactionEventRequest",
        {
            "eventType": "Updated",
            "timestamp": NOW,
            "triggerReason": "MeterValuePeriodic",
            "seqNo": 4,
            "transactionInfo": {"transactionId": "tx-42", "chargingState": "Charging"},
            "evse": {"id": 1, "connectorId": 1},
            "idToken": {"idToken": "04A2B3C4", "type": "ISO14443"},
            "meterValue": [
                {
                    "timestamp": NOW,
                    "sampledValue": [
                        {"value": 1234.5, "measurand": "Energy.Active.Import.Register"},
                        {"value": 7.2, "measurand": "Power.Active.Import", "phase": "L1-N"},
                    ],
                }
            ],
        },
    ),
    (
        "SetVariablesRequest",
        {
            "setVariableData": [
                {
                    "attributeValue": "60",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                    "attributeType": "Actual",
                },
                {
                    "attributeValue": "true",
                    "component": {"name": "EVSE", "evse": {"id": 1}},
                    "variable": {"name": "Available"},
                },
            ]
        },
    ),
    (
        "SetVariablesResponse",
        {
            "setVariableResult": [
                {
                    "attributeStatus": "RebootRequired",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                }
            ]
        },
    ),
    ("GetBaseReportRequest", {"requestId": 7, "reportBase": "FullInventory"}),
    ("GetBaseReportResponse", {"status": "Accepted"}),
    (
        "NotifyReportRequest",
        {
            "requestId": 7,
            "generatedAt": NOW,
            "seqNo": 0,
            "tbc": False,
            "reportData": [
                {
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                    "variableAttribute": [
                        {"type": "Actual", "value": "60", "mutability": "ReadWrite"}
                    ],
                    "variableCharacteristics": {"dataType": "integer", "supportsMonitoring": False},
                }
            ],
        },
    ),
]


def _model_named(name: str) -> type[BaseModel]:
    if name.endswith("Request"):
        return REQUEST_MODELS[name.removesuffix("Request")]
    return RESPONSE_MODELS[name.removesuffix("Response")]


@pytest.mark.parametrize(("name", "payload"), REALISTIC, ids=[name for name, _ in REALISTIC])
def test_realistic_payload_round_trips_to_the_same_wire_json(
    name: str, payload: dict[str, Any]
) -> None:
    _validator(name).validate(payload)
    _assert_round_trip(name, _model_named(name), payload)


def test_fields_are_snake_case_in_python_and_enums_carry_spec_values() -> None:
    request = BootNotificationRequest.model_validate(REALISTIC[0][1])
    assert request.charging_station.vendor_name == "Tourmaline Labs"
    assert request.reason == "PowerUp"
    assert request.reason.value == "PowerUp"
    by_name = BootNotificationRequest(
        reason="Watchdog",
        charging_station={"model": "M", "vendor_name": "V"},
    )
    assert by_name.model_dump(by_alias=True, exclude_none=True, mode="json") == {
        "reason": "Watchdog",
        "chargingStation": {"model": "M", "vendorName": "V"},
    }


def test_unknown_properties_are_refused_except_inside_custom_data() -> None:
    with pytest.raises(ValidationError):
        BootNotificationRequest.model_validate({**REALISTIC[0][1], "surprise": 1})
    custom = BootNotificationRequest.model_validate(REALISTIC[0][1]).custom_data
    assert custom is not None and custom.model_extra == {"site": "depot-7"}


BOOT = dict(REALISTIC[0][1])
EVENT = dict(REALISTIC[5][1])


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (BootNotificationRequest, {**BOOT, "reason": "Sleepy"}),
        (
            BootNotificationRequest,
            {**BOOT, "chargingStation": {"model": "M" * 21, "vendorName": "V"}},
        ),
        (TransactionEventRequest, {**EVENT, "timestamp": "2024-05-01T12:30:00"}),
        (TransactionEventRequest, {**EVENT, "seqNo": "four"}),
    ],
    ids=["unknown-enum-value", "too-long", "naive-timestamp", "string-for-integer"],
)
def test_out_of_spec_values_are_refused(model: type[BaseModel], payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(payload)


def test_timestamps_are_timezone_aware_datetimes() -> None:
    event = TransactionEventRequest.model_validate(REALISTIC[5][1])
    assert event.timestamp.utcoffset() is not None
    assert event.meter_value is not None
    assert event.meter_value[0].sampled_value[0].value == 1234.5
