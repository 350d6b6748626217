"""Explicit route tables from a station CALL to its handler, and from a CALLRESULT to its handler.

`dispatch()` turns one station CALL into exactly one answer and never raises; the order of checks
is the table of ocpp-rules §2.2 and interface.md §3 (design.md §4 steps 5-9):

1. action not in OCPP 2.0.1 → NotImplemented
2. action only ever sent by the CSMS → NotSupported
3. request schema → its code (Occurrence/Type/Property/FormatViolation)
4. `gate(call)` (Pending/Rejected gating) → the error it returns, e.g. SecurityError
5. no route registered → NotSupported
6. request model, handler, response dump and (optionally) response schema → CALLRESULT;
   a failure in this step is ours → InternalError with a generic description, except an
   OcppError raised by the handler itself, which is a deliberate answer and sent as it is.

A CALLRESULT route receives `(ctx, request payload, response payload)` (maeve's call-result routes):
the request is never dug out of a cache.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from tourmaline.ocpp.errors import (
    ActionNotImplemented,
    InternalError,
    NotSupported,
    OcppError,
)
from tourmaline.ocpp.rpc import Call, CallError, CallResult, JsonObject
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.ocpp.v201.actions import ALL_ACTIONS, CSMS_ACTIONS, STATION_ACTIONS

__all__ = ["CallHandler", "CallRoute", "ErrorHook", "Gate", "ResultHandler", "Router"]

C = TypeVar("C")

CallHandler = Callable[[C, Any], Awaitable[BaseModel | JsonObject]]
ResultHandler = Callable[[C, JsonObject, JsonObject], Awaitable[None]]
Gate = Callable[[Call], OcppError | None]
ErrorHook = Callable[..., None]
"""Called as `on_error(event, *, action, message_id, exc_info)`; a structlog `error` method fits."""

_stdlib_log = logging.getLogger(__name__)


def _log_to_stdlib(event: str, /, **fields: Any) -> None:
    exc_info = fields.pop("exc_info", None)
    _stdlib_log.error("%s %s", event, fields, exc_info=exc_info)


@dataclass(frozen=True, slots=True)
class CallRoute(Generic[C]):
    action: str
    request_model: type[BaseModel] | None
    handler: CallHandler[C]


class Router(Generic[C]):
    """Routes for one OCPP version; `C` is the handler context (station id, services, clock)."""

    def __init__(
        self,
        schemas: SchemaRegistry,
        *,
        validate_responses: bool = True,
        on_error: ErrorHook | None = None,
    ) -> None:
        self._schemas = schemas
        self._validate_responses = validate_responses
        self._on_error = on_error or _log_to_stdlib
        self._call_routes: dict[str, CallRoute[C]] = {}
        self._result_routes: dict[str, ResultHandler[C]] = {}

    @property
    def schemas(self) -> SchemaRegistry:
        return self._schemas

    def add_call_route(
        self, action: str, request_model: type[BaseModel] | None, handler: CallHandler[C]
    ) -> None:
        """Handle station CALLs of `action`; the handler gets the model (or the dict if None)."""
        if action not in STATION_ACTIONS:
            raise ValueError(f"{action} is not an action a station sends")
        if action in self._call_routes:
            raise ValueError(f"a call route for {action} exists already")
        self._call_routes[action] = CallRoute(action, request_model, handler)

    def add_result_route(self, action: str, handler: ResultHandler[C]) -> None:
        """Handle the station's CALLRESULT to a CSMS call of `action`."""
        if action not in CSMS_ACTIONS:
            raise ValueError(f"{action} is not an action the CSMS sends")
        if action in self._result_routes:
            raise ValueError(f"a result route for {action} exists already")
        self._result_routes[action] = handler

    def has_call_route(self, action: str) -> bool:
        return action in self._call_routes

    def has_result_route(self, action: str) -> bool:
        return action in self._result_routes

    async def dispatch(
        self, ctx: C, call: Call, *, gate: Gate | None = None
    ) -> CallResult | CallError:
        """The answer to one station CALL (see the module docstring); never raises."""
        try:
            payload = self._admit(call, gate)
        except OcppError as error:
            return error.to_frame(call.message_id)
        return await self._run(ctx, self._call_routes[call.action], call, payload)

    def _admit(self, call: Call, gate: Gate | None) -> JsonObject:
        """Steps 1-5: the validated payload of a CALL that has a route, or an OcppError."""
        if call.action not in ALL_ACTIONS:
            raise ActionNotImplemented()
        if call.action not in STATION_ACTIONS:
            raise NotSupported(f"Action {call.action} is not sent by a charging station")
        payload = self._schemas.validate_request(call.action, call.payload)
        refusal = gate(call) if gate is not None else None
        if refusal is not None:
            raise refusal
        if call.action not in self._call_routes:
            raise NotSupported(f"Action {call.action} is not supported yet")
        return payload

    async def _run(
        self, ctx: C, route: CallRoute[C], call: Call, payload: JsonObject
    ) -> CallResult | CallError:
        try:
            request = _to_request(route, payload)
        except Exception as exc:  # the payload passed the official schema: our model disagrees
            return self._internal_error(call, exc, "ocpp_model_mismatch")
        try:
            result = await route.handler(ctx, request)
        except OcppError as error:  # a deliberate refusal by the handler
            return error.to_frame(call.message_id)
        except Exception as exc:
            return self._internal_error(call, exc, "ocpp_handler_failed")
        try:
            response = _to_payload(result)
            if self._validate_responses:
                response = self._schemas.validate_response(call.action, response)
        except Exception as exc:  # our own answer is malformed
            return self._internal_error(call, exc, "ocpp_invalid_response")
        return CallResult(call.message_id, response)

    def _internal_error(self, call: Call, exc: Exception, event: str) -> CallError:
        # The traceback goes to the log only; the station gets a generic description (design §4.11).
        self._on_error(event, action=call.action, message_id=call.message_id, exc_info=exc)
        return InternalError(f"Internal error while handling {call.action}").to_frame(
            call.message_id
        )

    async def handle_result(
        self, ctx: C, action: str, request: JsonObject, response: JsonObject
    ) -> None:
        """Run the CALLRESULT route of `action`, if any. Raises what the handler raises."""
        handler = self._result_routes.get(action)
        if handler is not None:
            await handler(ctx, request, response)


def _to_request(route: CallRoute[Any], payload: JsonObject) -> Any:
    if route.request_model is None:
        return payload
    return route.request_model.model_validate(payload)


def _to_payload(result: BaseModel | JsonObject) -> JsonObject:
    if isinstance(result, BaseModel):
        return result.model_dump(by_alias=True, exclude_none=True, mode="json")
    if isinstance(result, dict):
        return result
    raise TypeError(f"handler returned {type(result).__name__}, not a model or a dict")
