"""The message API's work behind the route (interface.md §7.2, §7.4; design.md §5).

`MessageSender.send_all` sends one OCPP call per identifier, concurrently, through
CommandService and returns the answers in identifier order. Per station it applies the route
preconditions of §7.4 and splits list-carrying requests by the station's
`DeviceDataCtrlr.ItemsPerMessage[<Action>]`, refusing parts over `BytesPerMessage[<Action>]`;
with `wait` the result lists of the parts are concatenated in order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.commands import CommandResult, CommandService

__all__ = [
    "BATCHED_LISTS",
    "LimitLookup",
    "MessageRequest",
    "MessageSender",
    "check_preconditions",
]

log = structlog.get_logger(__name__)

LimitLookup = Callable[[str, str, str, str | None], Awaitable[str | None]]
"""(station_id, component, variable, instance) -> stored value; DeviceModelService.get_limit."""

LIMITS_COMPONENT = "DeviceDataCtrlr"

# interface.md §7.4 "batched": the request list that is split, and the response list to join.
BATCHED_LISTS: dict[str, tuple[str, str | None]] = {
    "GetVariables": ("getVariableData", "getVariableResult"),
    "SetVariables": ("setVariableData", "setVariableResult"),
    "SetVariableMonitoring": ("setMonitoringData", "setMonitoringResult"),
    "GetReport": ("componentVariable", None),
    "GetMonitoringReport": ("componentVariable", None),
}


@dataclass(frozen=True, slots=True)
class MessageRequest:
    action: str
    payload: JsonObject
    wait: bool
    timeout: float
    callback_url: str | None
    tenant_id: int = 1


def check_preconditions(action: str, payload: JsonObject) -> tuple[JsonObject, str | None]:
    """The payload to send, or the reason it may not be sent (interface.md §7.4)."""
    if action == "RequestStartTransaction":
        return _start_transaction(payload)
    return payload, None


def _start_transaction(payload: JsonObject) -> tuple[JsonObject, str | None]:
    profile = payload.get("chargingProfile")
    if not isinstance(profile, dict):
        return payload, None
    purpose = profile.get("chargingProfilePurpose")
    if purpose != "TxProfile":
        # OCPP 2.0.1 F01.FR.08: a remote start may only carry a TxProfile.
        return payload, f"chargingProfile must have chargingProfilePurpose TxProfile, not {purpose}"
    # F01.FR.09: the transaction does not exist yet, so the profile names none.
    cleaned = {key: value for key, value in profile.items() if key != "transactionId"}
    return {**payload, "chargingProfile": cleaned}, None


class MessageSender:
    def __init__(self, commands: CommandService, limits: LimitLookup | None = None) -> None:
        self._commands = commands
        self._limits = limits

    async def send_all(
        self, identifiers: Sequence[str], request: MessageRequest
    ) -> list[CommandResult]:
        payload, refusal = check_preconditions(request.action, request.payload)
        if refusal is not None:
            return list(
                await asyncio.gather(*(self._refuse(sid, request, refusal) for sid in identifiers))
            )
        prepared = MessageRequest(
            request.action,
            payload,
            request.wait,
            request.timeout,
            request.callback_url,
            request.tenant_id,
        )
        return list(await asyncio.gather(*(self.send_one(sid, prepared) for sid in identifiers)))

    async def send_one(self, station_id: str, request: MessageRequest) -> CommandResult:
        parts = await self._parts(station_id, request)
        if isinstance(parts, str):
            return await self._refuse(station_id, request, parts)
        if len(parts) == 1:
            return await self._send(station_id, request, parts[0], request.timeout)
        return await self._send_parts(station_id, request, parts)

    async def _send(
        self, station_id: str, request: MessageRequest, payload: JsonObject, seconds: float
    ) -> CommandResult:
        return await self._commands.send(
            station_id,
            request.action,
            payload,
            wait=request.wait,
            timeout=seconds,
            callback_url=request.callback_url,
            tenant_id=request.tenant_id,
        )

    async def _refuse(self, station_id: str, request: MessageRequest, reason: str) -> CommandResult:
        return await self._commands.refuse(
            station_id, request.action, request.payload, reason, tenant_id=request.tenant_id
        )

    # -- batching -------------------------------------------------------------------------------

    async def _parts(self, station_id: str, request: MessageRequest) -> list[JsonObject] | str:
        """The payloads to send in order, or why the request cannot be sent."""
        lists = BATCHED_LISTS.get(request.action)
        items = request.payload.get(lists[0]) if lists else None
        if lists is None or not isinstance(items, list) or self._limits is None:
            return [request.payload]
        size = await self._limit(station_id, "ItemsPerMessage", request.action)
        chunk = size if size and size > 0 else len(items) or 1
        parts = [
            {**request.payload, lists[0]: items[start : start + chunk]}
            for start in range(0, len(items), chunk)
        ] or [request.payload]
        max_bytes = await self._limit(station_id, "BytesPerMessage", request.action)
        return _refuse_oversized(parts, max_bytes, request.action) or parts

    async def _limit(self, station_id: str, variable: str, action: str) -> int | None:
        assert self._limits is not None
        try:
            value = await self._limits(station_id, LIMITS_COMPONENT, variable, action)
        except Exception:
            log.exception("batching limit lookup failed", station_id=station_id, variable=variable)
            return None
        if value is None or not value.strip().isdigit():
            return None
        return int(value)

    async def _send_parts(
        self, station_id: str, request: MessageRequest, parts: list[JsonObject]
    ) -> CommandResult:
        loop = asyncio.get_running_loop()
        # interface.md §7.2: the deadline covers the whole request, every part included.
        deadline = loop.time() + request.timeout
        results: list[CommandResult] = []
        for part in parts:
            remaining = max(deadline - loop.time(), 0.001)
            result = await self._send(station_id, request, part, remaining)
            results.append(result)
            if not result.success:
                return result
        return _joined(request, results)


def _refuse_oversized(parts: list[JsonObject], max_bytes: int | None, action: str) -> str | None:
    if not max_bytes:
        return None
    for part in parts:
        size = len(json.dumps(part, separators=(",", ":")).encode())
        if size > max_bytes:
            return f"{action} payload of {size} bytes exceeds BytesPerMessage {max_bytes}"
    return None


def _joined(request: MessageRequest, results: list[CommandResult]) -> CommandResult:
    first = results[0]
    result_list = BATCHED_LISTS[request.action][1]
    if not request.wait or result_list is None or not isinstance(first.payload, dict):
        return first
    joined: list[Any] = []
    for result in results:
        if isinstance(result.payload, dict):
            joined.extend(result.payload.get(result_list, []))
    return CommandResult(True, {**first.payload, result_list: joined}, first.message_id)
