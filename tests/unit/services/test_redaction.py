"""services.redaction: secrets never leave in frame text (interface.md §5.3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tourmaline.ocpp.framelog import FrameRecord
from tourmaline.services.redaction import redact_frame, redact_record


def _set_variables(name: str, value: str) -> str:
    data = [
        {
            "component": {"name": "SecurityCtrlr"},
            "variable": {"name": name},
            "attributeValue": value,
        }
    ]
    return json.dumps([2, "m1", "SetVariables", {"setVariableData": data}])


def test_basic_auth_password_value_is_masked() -> None:
    redacted = json.loads(redact_frame(_set_variables("BasicAuthPassword", "s3cret-value-1234")))
    assert redacted[3]["setVariableData"][0]["attributeValue"] == "***"


def test_other_variables_in_the_same_frame_are_kept() -> None:
    data = [
        {
            "component": {"name": "SecurityCtrlr"},
            "variable": {"name": "BasicAuthPassword"},
            "attributeValue": "pw-pw-pw-pw-pw-pw",
        },
        {
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": "HeartbeatInterval"},
            "attributeValue": "60",
        },
    ]
    text = json.dumps([2, "m1", "SetVariables", {"setVariableData": data}])
    values = [
        entry["attributeValue"] for entry in json.loads(redact_frame(text))[3]["setVariableData"]
    ]
    assert values == ["***", "60"]


def test_reported_values_are_masked_too() -> None:
    result = json.dumps(
        [
            3,
            "m1",
            {
                "getVariableResult": [
                    {
                        "attributeStatus": "Accepted",
                        "attributeValue": "leak",
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                    }
                ]
            },
        ]
    )
    report = json.dumps(
        [
            2,
            "m2",
            "NotifyReport",
            {
                "requestId": 1,
                "generatedAt": "2025-01-01T00:00:00Z",
                "seqNo": 0,
                "reportData": [
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                        "variableAttribute": [{"value": "leak"}],
                    }
                ],
            },
        ]
    )
    assert "leak" not in redact_frame(result)
    assert "leak" not in redact_frame(report)


def test_frames_without_secrets_are_returned_unchanged() -> None:
    plain = _set_variables("HeartbeatInterval", "60")
    garbage = "BasicAuthPassword [not json"
    assert redact_frame(plain) is plain
    assert redact_frame(garbage) is garbage


def test_record_is_copied_only_when_redacted() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    plain = FrameRecord("cp", "csms", _set_variables("HeartbeatInterval", "60"), now)
    secret = FrameRecord(
        "cp", "csms", _set_variables("BasicAuthPassword", "pw-pw-pw-pw-pw-pw"), now
    )
    assert redact_record(plain) is plain
    assert "pw-pw" not in redact_record(secret).text


def test_network_profile_passwords_are_masked_in_frames() -> None:
    connection = {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": "wss://csms.example/",
        "messageTimeout": 30,
        "securityProfile": 2,
        "ocppInterface": "Wireless0",
        "apn": {"apn": "internet", "apnPassword": "apn-pw", "apnAuthentication": "PAP"},
        "vpn": {"server": "v", "user": "u", "password": "vpn-pw", "key": "k", "type": "IPSec"},
    }
    frame = json.dumps(
        [2, "m1", "SetNetworkProfile", {"configurationSlot": 1, "connectionData": connection}]
    )

    redacted = json.loads(redact_frame(frame))

    sent = redacted[3]["connectionData"]
    assert (sent["apn"]["apnPassword"], sent["vpn"]["password"]) == ("***", "***")
    assert sent == {
        **connection,
        "apn": {**connection["apn"], "apnPassword": "***"},
        "vpn": {**connection["vpn"], "password": "***"},
    }
    plain = json.dumps([2, "m2", "SetNetworkProfile", {"connectionData": {"securityProfile": 1}}])
    assert redact_frame(plain) is plain
