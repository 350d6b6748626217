"""Sending an OCPP call from the console and describing the station's answer.

Calls take the message API's path (services/message_api.py `MessageSender`, then
CommandService): the same schema check, route preconditions, Pending/Rejected gating, batching
by the station's limits and secret redaction in the log. The console always waits for the
answer, up to the configured call timeout, so the operator sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tourmaline.api.deps import ApiDeps
from tourmaline.ocpp.errors import OcppError
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.commands import CommandResult
from tourmaline.services.message_api import MessageRequest, MessageSender

__all__ = ["Answer", "schema_problems", "send_and_wait"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What the console shows after a call: a one-line summary and the payload in full."""

    ok: bool
    summary: str
    payload: Any = None
    message_id: str | None = None


def schema_problems(deps: ApiDeps, action: str, payload: JsonObject) -> list[str]:
    """The official schema's objections to `payload` (empty when it is valid)."""
    try:
        deps.schemas.validate_request(action, payload)
    except OcppError as error:
        entries = error.details.get("errors") or [{"path": "$", "kind": error.code}]
        return [f"{entry.get('path', '$')}: {entry.get('kind', error.code)}" for entry in entries]
    return []


async def send_and_wait(deps: ApiDeps, station_id: str, action: str, payload: JsonObject) -> Answer:
    timeout = deps.settings.ocpp.call_timeout
    request = MessageRequest(action, payload, True, timeout, None)
    sender = MessageSender(deps.commands, deps.batch_limits)
    (result,) = await sender.send_all([station_id], request)
    return describe(action, result, timeout)


def describe(action: str, result: CommandResult, timeout: float) -> Answer:
    if result.timed_out:
        return Answer(False, f"The station did not answer within {timeout:g} s.", None)
    if not result.success:
        if isinstance(result.payload, dict):
            code = result.payload.get("errorCode", "CALLERROR")
            description = result.payload.get("errorDescription") or ""
            return Answer(False, f"CALLERROR {code} {description}".strip(), result.payload)
        return Answer(False, str(result.payload), None, result.message_id)
    payload = result.payload if isinstance(result.payload, dict) else {}
    return Answer(True, f"{action}: {_status_text(payload)}", payload, result.message_id)


def _status_text(payload: JsonObject) -> str:
    if isinstance(payload.get("status"), str):
        return str(payload["status"])
    for key in ("setVariableResult", "getVariableResult"):
        results = payload.get(key)
        if isinstance(results, list) and results:
            return ", ".join(str(item.get("attributeStatus")) for item in results)
    return "answered"
