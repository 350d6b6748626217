"""Secret values out of logged and delivered frames (interface.md §5.3, §9).

A SetVariables CALL that sets `SecurityCtrlr.BasicAuthPassword` carries the station's password in
clear; the message log, webhooks and application logs must only ever see `"***"`. Stations that
report the value back (GetVariables results, NotifyReport) are redacted the same way. Recognition
is by variable name: the 2023-12 errata made the attribute a plain `string`, so the dataType
`passwordString` cannot be relied on.

A SetNetworkProfile CALL carries the APN and VPN passwords of its `connectionData`; they are
masked the same way, in frames and in the stored network profile.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tourmaline.ocpp.framelog import FrameRecord

__all__ = [
    "MASK",
    "SECRET_VARIABLE",
    "redact_connection_data",
    "redact_frame",
    "redact_record",
]

MASK = "***"
SECRET_VARIABLE = "BasicAuthPassword"  # noqa: S105 - a variable name, not a password

_CALL, _CALLRESULT = 2, 3
# OCPP 2.0.1 NetworkConnectionProfileType: apn.apnPassword and vpn.password.
_CONNECTION_DATA = "connectionData"
_NETWORK_SECRETS = (("apn", "apnPassword"), ("vpn", "password"))


def redact_record(record: FrameRecord) -> FrameRecord:
    """The record with its frame text redacted; the same object when nothing was secret."""
    text = redact_frame(record.text)
    return record if text is record.text else dataclasses.replace(record, text=text)


def redact_frame(text: str) -> str:
    """`text` with every secret attribute value replaced by `"***"`.

    Cheap on the hot path: only frames mentioning the secret variable are parsed, and the
    original string is returned unchanged (the same object) when there is nothing to hide.
    """
    if SECRET_VARIABLE not in text and _CONNECTION_DATA not in text:
        return text
    try:
        frame = json.loads(text)
    except ValueError:
        return text
    if not _redact_frame(frame):
        return text
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def _redact_frame(frame: Any) -> bool:
    if not isinstance(frame, list) or len(frame) < 3:
        return False
    if frame[0] == _CALL and len(frame) >= 4 and isinstance(frame[3], dict):
        return _redact_payload(frame[3])
    if frame[0] == _CALLRESULT and isinstance(frame[2], dict):
        return _redact_payload(frame[2])
    return False


def _redact_payload(payload: dict[str, Any]) -> bool:
    changed = False
    # SetVariablesRequest and GetVariablesResponse entries hold the value in `attributeValue`.
    for key in ("setVariableData", "getVariableResult"):
        for entry in _dicts(payload.get(key)):
            changed |= _mask_entry(entry, "attributeValue")
    # NotifyReportRequest: reportData[].variableAttribute[].value
    for report in _dicts(payload.get("reportData")):
        if _is_secret(report):
            for attribute in _dicts(report.get("variableAttribute")):
                changed |= _mask(attribute, "value")
    connection = payload.get(_CONNECTION_DATA)
    if isinstance(connection, dict):
        changed |= _mask_network_secrets(connection)
    return changed


def redact_connection_data(connection_data: dict[str, Any]) -> dict[str, Any]:
    """A copy of a SetNetworkProfile `connectionData` with its passwords masked."""
    copy: dict[str, Any] = json.loads(json.dumps(connection_data))
    _mask_network_secrets(copy)
    return copy


def _mask_network_secrets(connection: dict[str, Any]) -> bool:
    changed = False
    for parent, field in _NETWORK_SECRETS:
        holder = connection.get(parent)
        if isinstance(holder, dict):
            changed |= _mask(holder, field)
    return changed


def _mask_entry(entry: dict[str, Any], field: str) -> bool:
    return _is_secret(entry) and _mask(entry, field)


def _is_secret(entry: dict[str, Any]) -> bool:
    variable = entry.get("variable")
    return isinstance(variable, dict) and variable.get("name") == SECRET_VARIABLE


def _mask(holder: dict[str, Any], field: str) -> bool:
    if field not in holder or holder[field] == MASK:
        return False
    holder[field] = MASK
    return True


def _dicts(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]
