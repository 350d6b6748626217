"""The message API: `POST /ocpp/2.0.1/<module>/<action>` and its `/ocpp/<module>/<action>` alias
for every CSMS-initiated action (interface.md §7; design.md §5).

Routes are generated from `ocpp/v201/actions.py`. The generated request model documents each
body in /docs; the official JSON schema is the validation truth, so the raw body is checked
against it again (no coercion) and a failure is 400 `validation_failed`, never 422 or 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any, Protocol

import structlog
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tourmaline.api.deps import STATION_ID_PATTERN, DepsDep, StrictBool, StrictInt, TenantDep
from tourmaline.api.errors import GatewayTimeout, MalformedJson, ValidationFailed
from tourmaline.api.schemas import BAD_REQUEST, ErrorBody
from tourmaline.ocpp.errors import OcppError
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.ocpp.v201.actions import message_api_routes
from tourmaline.ocpp.v201.models import REQUEST_MODELS
from tourmaline.services.commands import CommandResult
from tourmaline.services.message_api import MessageRequest, MessageSender
from tourmaline.services.network_profiles import NetworkProfileRequests

__all__ = ["ChargerTimeout", "MessageConfirmation", "router"]

log = structlog.get_logger(__name__)

MAX_TIMEOUT = 300
DEFAULT_TIMEOUT = 30


class ChargerTimeout(GatewayTimeout):
    """wait=true and no station answered in time (interface.md §7.2)."""

    code = "charger_timeout"


class MessageConfirmation(BaseModel):
    """One element of the answer array, per identifier, in the order given (interface.md §7.2)."""

    model_config = ConfigDict(populate_by_name=True)

    success: bool
    payload: Any | None = Field(
        default=None, description="CALLRESULT payload, CALLERROR object or the refusal text"
    )
    message_id: str | None = Field(default=None, alias="messageId")


StationIdentifier = Annotated[str, StringConstraints(pattern=STATION_ID_PATTERN)]


class MessageQuery(BaseModel):
    identifiers: list[str]
    tenant_id: int
    callback_url: str | None
    wait: bool
    timeout: int


def _message_query(
    tenant_id: TenantDep,
    identifier: Annotated[
        list[StationIdentifier],
        Query(description="Station id; repeat the parameter to send to several stations."),
    ],
    callback_url: Annotated[
        str | None,
        Query(alias="callbackUrl", pattern=r"^https?://\S+$", max_length=2048),
    ] = None,
    wait: Annotated[
        StrictBool, Query(description="Answer with the station's response (or a timeout).")
    ] = False,
    timeout: Annotated[
        StrictInt, Query(ge=1, le=MAX_TIMEOUT, description="Seconds to wait with wait=true.")
    ] = DEFAULT_TIMEOUT,
) -> MessageQuery:
    return MessageQuery(
        identifiers=identifier,
        tenant_id=tenant_id,
        callback_url=callback_url,
        wait=wait,
        timeout=timeout,
    )


MessageQueryDep = Annotated[MessageQuery, Depends(_message_query)]


class SendBracket(Protocol):
    """Work an action needs around its send, from its extra query parameters: `before` runs
    before any call is queued, `after` with the results in identifier order."""

    async def before(self, identifiers: Sequence[str], payload: JsonObject) -> None: ...

    async def after(self, results: Sequence[CommandResult]) -> None: ...


def _no_extras() -> None:
    return None


def _network_profile_extras(
    deps: DepsDep,
    websocket_server_config_id: Annotated[
        str | None,
        Query(
            alias="websocketServerConfigId",
            description="Id of the listener the configuration slot points at.",
        ),
    ] = None,
) -> SendBracket | None:
    """interface.md §7.4: the slot's listener is recorded with the profile before sending."""
    known = {listener.id for listener in deps.settings.listeners}
    if websocket_server_config_id is not None and websocket_server_config_id not in known:
        failure = {
            "path": "query.websocketServerConfigId",
            "message": f"Unknown listener id; configured: {', '.join(sorted(known))}",
            "type": "unknown_listener",
        }
        raise ValidationFailed([failure])
    if deps.security is None:
        return None
    return NetworkProfileRequests(deps.security.network_profiles, websocket_server_config_id)


_EXTRAS: dict[str, Callable[..., SendBracket | None]] = {
    "SetNetworkProfile": _network_profile_extras
}


async def _payload(request: Request, schemas: SchemaRegistry, action: str) -> JsonObject:
    try:
        payload = json.loads(await request.body())
    except ValueError as error:
        raise MalformedJson() from error
    try:
        validated: JsonObject = schemas.validate_request(action, payload)
    except OcppError as error:
        raise ValidationFailed(
            _schema_failures(error), f"{action}Request validation failed"
        ) from None
    return validated


def _schema_failures(error: OcppError) -> list[dict[str, str]]:
    entries = error.details.get("errors") or [{"path": "$", "kind": error.code}]
    return [
        {
            "path": "body" + str(entry.get("path", "$")).removeprefix("$"),
            "message": f"{error.code}: {entry.get('kind')}",
            "type": str(entry.get("kind")),
        }
        for entry in entries
    ]


def _wire(result: CommandResult) -> dict[str, Any]:
    element: dict[str, Any] = {"success": result.success}
    if result.payload is not None:
        element["payload"] = result.payload
    if result.message_id is not None:
        element["messageId"] = result.message_id
    return element


Endpoint = Callable[..., Coroutine[Any, Any, JSONResponse]]


def _endpoint(action: str, model: type[BaseModel]) -> Endpoint:
    async def send_message(
        request: Request, deps: DepsDep, query: MessageQueryDep, body: Any, extras: Any
    ) -> JSONResponse:
        payload = await _payload(request, deps.schemas, action)
        sender = MessageSender(deps.commands, deps.batch_limits)
        message = MessageRequest(
            action, payload, query.wait, float(query.timeout), query.callback_url, query.tenant_id
        )
        bracket: SendBracket | None = extras
        if bracket is not None:
            await bracket.before(query.identifiers, payload)
        results = await sender.send_all(query.identifiers, message)
        if bracket is not None:
            await bracket.after(results)
        array = [_wire(result) for result in results]
        if query.wait and all(result.timed_out for result in results):
            raise ChargerTimeout(
                f"No charging station answered {action} within {query.timeout} s", details=array
            )
        return JSONResponse(array)

    # FastAPI reads these to document the body and to add the action-specific query parameters.
    send_message.__annotations__ = {
        **send_message.__annotations__,
        "body": Annotated[model, Body(description=f"OCPP 2.0.1 {action}Request")],
        "extras": Annotated[Any, Depends(_EXTRAS.get(action, _no_extras))],
    }
    return send_message


_RESPONSES: dict[int | str, dict[str, Any]] = {
    **BAD_REQUEST,
    200: {"model": list[MessageConfirmation], "description": "One element per identifier"},
    504: {"model": ErrorBody, "description": "wait=true and every identifier timed out"},
}


def build_router() -> APIRouter:
    router = APIRouter(tags=["messages"])
    for module, path, action in message_api_routes():
        endpoint = _endpoint(action, REQUEST_MODELS[action])
        common: dict[str, Any] = {
            "methods": ["POST"],
            "response_class": JSONResponse,
            "responses": _RESPONSES,
        }
        router.add_api_route(
            f"/ocpp/2.0.1/{module}/{path}",
            endpoint,
            summary=f"Send {action} to stations",
            tags=[module],
            operation_id=f"send{action}",
            **common,
        )
        # CitrineOS <= 1.5 paths, kept as an undocumented alias (interface.md §7.1).
        router.add_api_route(f"/ocpp/{module}/{path}", endpoint, include_in_schema=False, **common)
    return router


router = build_router()
