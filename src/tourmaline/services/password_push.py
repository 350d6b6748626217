"""Setting a station's Basic-auth password on the charger, OCPP use case A01 (interface.md §6):
shared by `POST /data/configuration/password` with `setOnCharger` false and the console's
station form, so it is written once.

SetVariables(SecurityCtrlr.BasicAuthPassword) goes to the connected station through
CommandService, and the station's answer decides. The credential is stored by the SetVariables
result route (the same path as a message-API SetVariables) only when the station accepted it
(`RebootRequired` keeps the previous password valid until the new one is used), so it is stored
exactly once, on the instance holding the socket. The password is never logged or returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.commands import CommandResult, CommandService, not_connected_text
from tourmaline.services.connections import ConnectionManager

__all__ = ["PasswordPush", "PushOutcome", "push_password", "set_password_request"]

PushOutcome = Literal[
    "Accepted", "RebootRequired", "Rejected", "CallError", "Timeout", "NotConnected", "NotSent"
]
_STORED: frozenset[str] = frozenset({"Accepted", "RebootRequired"})


@dataclass(frozen=True, slots=True)
class PasswordPush:
    """The station's answer: its `setVariableResult` entry (Accepted, RebootRequired, Rejected
    for any other attributeStatus), its CALLERROR object, or why the call was not sent."""

    outcome: PushOutcome
    detail: Any = None

    @property
    def stored(self) -> bool:
        return self.outcome in _STORED


def set_password_request(password: str) -> JsonObject:
    data = {
        "component": {"name": "SecurityCtrlr"},
        "variable": {"name": "BasicAuthPassword"},
        "attributeType": "Actual",
        "attributeValue": password,
    }
    return {"setVariableData": [data]}


async def push_password(
    commands: CommandService,
    connections: ConnectionManager,
    station_id: str,
    password: str,
    *,
    timeout: float,  # noqa: ASYNC109 - the station's deadline, not ours
    callback_url: str | None = None,
    tenant_id: int = 1,
) -> PasswordPush:
    """Send the password (already checked against the passwordString pattern) and wait for the
    station's answer; nothing is stored unless `stored` is true."""
    if not await connections.is_connected(station_id):
        return PasswordPush("NotConnected")
    result = await commands.send(
        station_id,
        "SetVariables",
        set_password_request(password),
        wait=True,
        timeout=timeout,
        callback_url=callback_url,
        tenant_id=tenant_id,
    )
    return _outcome(station_id, tenant_id, result)


def _outcome(station_id: str, tenant_id: int, result: CommandResult) -> PasswordPush:
    if result.timed_out:
        return PasswordPush("Timeout")
    if not result.success:
        if isinstance(result.payload, dict):
            return PasswordPush("CallError", result.payload)
        # Connected a moment ago, gone by the time the call was queued.
        if result.payload == not_connected_text(station_id, tenant_id):
            return PasswordPush("NotConnected")
        return PasswordPush("NotSent", str(result.payload))
    results = result.payload.get("setVariableResult") or [{}]
    status = results[0].get("attributeStatus")
    if status in _STORED:
        return PasswordPush(status, results[0])
    return PasswordPush("Rejected", results[0])
