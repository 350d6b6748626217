"""Router.dispatch: every branch of ocpp-rules §2.2 after framing, with real schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from tourmaline.ocpp import errors
from tourmaline.ocpp.router import Router
from tourmaline.ocpp.rpc import Call, CallError, CallResult, JsonObject
from tourmaline.ocpp.schemas import SchemaRegistry


class ChargingStation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    vendor_name: str = Field(alias="vendorName")
    serial_number: str | None = Field(default=None, alias="serialNumber")


class BootRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str
    charging_station: ChargingStation = Field(alias="chargingStation")


class BootResponse(BaseModel):
    current_time: str = Field(alias="currentTime")
    interval: int
    status: str
    status_info: dict[str, Any] | None = Field(default=None, alias="statusInfo")


class StrictHeartbeat(BaseModel):
    """Disagrees with the schema on purpose: the schema has no required properties."""

    model_config = ConfigDict(extra="forbid")
    must_exist: int


@dataclass
class Context:
    station_id: str = "CP1"
    seen: list[Any] = field(default_factory=list)


@dataclass
class Errors:
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, event: str, /, **fields: Any) -> None:
        self.seen.append((event, fields))


BOOT = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}


async def on_boot(ctx: Context, request: BootRequest) -> BootResponse:
    ctx.seen.append(request)
    return BootResponse(currentTime="2024-01-01T00:00:00Z", interval=300, status="Accepted")


async def on_heartbeat_dict(ctx: Context, request: JsonObject) -> JsonObject:
    ctx.seen.append(request)
    return {"currentTime": "2024-01-01T00:00:00Z"}


async def on_heartbeat_bad_answer(ctx: Context, request: JsonObject) -> JsonObject:
    return {"currentTime": "yesterday"}


async def on_heartbeat_crash(ctx: Context, request: JsonObject) -> JsonObject:
    raise RuntimeError("database is down: password=hunter2")


async def on_heartbeat_refuse(ctx: Context, request: JsonObject) -> JsonObject:
    raise errors.SecurityError("Action Heartbeat not allowed")


@pytest.fixture(scope="module")
def schemas() -> SchemaRegistry:
    return SchemaRegistry()


@pytest.fixture
def failures() -> Errors:
    return Errors()


@pytest.fixture
def router(schemas: SchemaRegistry, failures: Errors) -> Router[Context]:
    router: Router[Context] = Router(schemas, on_error=failures)
    router.add_call_route("BootNotification", BootRequest, on_boot)
    return router


async def test_a_routed_call_gets_the_dumped_model(router: Router[Context]) -> None:
    ctx = Context()
    answer = await router.dispatch(ctx, Call("1", "BootNotification", BOOT))
    assert answer == CallResult(
        "1", {"currentTime": "2024-01-01T00:00:00Z", "interval": 300, "status": "Accepted"}
    )
    assert ctx.seen == [BootRequest.model_validate(BOOT)]


async def test_the_handler_gets_the_normalised_payload(router: Router[Context]) -> None:
    ctx = Context()
    station = {"model": "M", "vendorName": "V", "serialNumber": None}
    await router.dispatch(ctx, Call("1", "BootNotification", {**BOOT, "chargingStation": station}))
    assert ctx.seen[0].charging_station.serial_number is None


async def test_dict_handlers_without_a_model(router: Router[Context]) -> None:
    router.add_call_route("Heartbeat", None, on_heartbeat_dict)
    ctx = Context()
    answer = await router.dispatch(ctx, Call("h", "Heartbeat", {}))
    assert answer == CallResult("h", {"currentTime": "2024-01-01T00:00:00Z"})
    assert ctx.seen == [{}]


async def test_unknown_action_is_not_implemented(router: Router[Context]) -> None:
    answer = await router.dispatch(Context(), Call("1", "FlyToTheMoon", {}))
    assert isinstance(answer, CallError)
    assert (answer.message_id, answer.code) == ("1", "NotImplemented")


async def test_csms_only_action_is_not_supported(router: Router[Context]) -> None:
    answer = await router.dispatch(Context(), Call("1", "Reset", {"type": "Immediate"}))
    assert isinstance(answer, CallError)
    assert answer.code == "NotSupported"


async def test_station_action_without_a_route_is_not_supported_yet(
    router: Router[Context],
) -> None:
    answer = await router.dispatch(Context(), Call("1", "Heartbeat", {}))
    assert answer == CallError("1", "NotSupported", "Action Heartbeat is not supported yet")


async def test_schema_failure_comes_before_the_gate(router: Router[Context]) -> None:
    gated: list[Call] = []

    def gate(call: Call) -> errors.OcppError | None:
        gated.append(call)
        return errors.SecurityError(f"Action {call.action} not allowed")

    answer = await router.dispatch(
        Context(), Call("1", "BootNotification", {"reason": "PowerUp"}), gate=gate
    )
    assert isinstance(answer, CallError)
    assert answer.code == "OccurrenceConstraintViolation"
    assert gated == []
    answer = await router.dispatch(Context(), Call("2", "BootNotification", BOOT), gate=gate)
    assert answer == CallError("2", "SecurityError", "Action BootNotification not allowed")


async def test_gate_applies_before_the_missing_route_check(router: Router[Context]) -> None:
    answer = await router.dispatch(
        Context(), Call("1", "Heartbeat", {}), gate=lambda call: errors.SecurityError()
    )
    assert isinstance(answer, CallError)
    assert answer.code == "SecurityError"
    allowed = await router.dispatch(
        Context(), Call("2", "BootNotification", BOOT), gate=lambda _: None
    )
    assert isinstance(allowed, CallResult)


async def test_handler_exception_is_a_generic_internal_error(
    router: Router[Context], failures: Errors
) -> None:
    router.add_call_route("Heartbeat", None, on_heartbeat_crash)
    answer = await router.dispatch(Context(), Call("h", "Heartbeat", {}))
    assert answer == CallError("h", "InternalError", "Internal error while handling Heartbeat")
    assert "hunter2" not in repr(answer)
    [(event, fields)] = failures.seen
    assert event == "ocpp_handler_failed"
    assert fields["action"] == "Heartbeat"
    assert fields["message_id"] == "h"
    assert isinstance(fields["exc_info"], RuntimeError)


async def test_handler_may_refuse_with_an_ocpp_error(router: Router[Context]) -> None:
    router.add_call_route("Heartbeat", None, on_heartbeat_refuse)
    answer = await router.dispatch(Context(), Call("h", "Heartbeat", {}))
    assert answer == CallError("h", "SecurityError", "Action Heartbeat not allowed")


async def test_model_disagreeing_with_the_schema_is_an_internal_error(
    router: Router[Context], failures: Errors
) -> None:
    router.add_call_route("Heartbeat", StrictHeartbeat, on_heartbeat_dict)
    answer = await router.dispatch(Context(), Call("h", "Heartbeat", {}))
    assert isinstance(answer, CallError)
    assert answer.code == "InternalError"
    assert failures.seen[0][0] == "ocpp_model_mismatch"


async def test_invalid_response_is_an_internal_error_when_validated(
    schemas: SchemaRegistry, failures: Errors
) -> None:
    checked: Router[Context] = Router(schemas, on_error=failures)
    checked.add_call_route("Heartbeat", None, on_heartbeat_bad_answer)
    answer = await checked.dispatch(Context(), Call("h", "Heartbeat", {}))
    assert isinstance(answer, CallError)
    assert answer.code == "InternalError"
    assert failures.seen[0][0] == "ocpp_invalid_response"

    unchecked: Router[Context] = Router(schemas, validate_responses=False, on_error=failures)
    unchecked.add_call_route("Heartbeat", None, on_heartbeat_bad_answer)
    answer = await unchecked.dispatch(Context(), Call("h", "Heartbeat", {}))
    assert answer == CallResult("h", {"currentTime": "yesterday"})


async def test_result_routes_get_request_and_response(router: Router[Context]) -> None:
    received: list[tuple[str, JsonObject, JsonObject]] = []

    async def on_reset_result(ctx: Context, request: JsonObject, response: JsonObject) -> None:
        received.append((ctx.station_id, request, response))

    router.add_result_route("Reset", on_reset_result)
    await router.handle_result(Context(), "Reset", {"type": "Immediate"}, {"status": "Accepted"})
    await router.handle_result(Context(), "ClearCache", {}, {"status": "Accepted"})
    assert received == [("CP1", {"type": "Immediate"}, {"status": "Accepted"})]
    assert router.has_result_route("Reset")
    assert not router.has_result_route("ClearCache")


def test_route_tables_refuse_wrong_directions_and_duplicates(router: Router[Context]) -> None:
    with pytest.raises(ValueError):
        router.add_call_route("Reset", None, on_heartbeat_dict)
    with pytest.raises(ValueError):
        router.add_call_route("BootNotification", None, on_heartbeat_dict)

    async def noop(ctx: Context, request: JsonObject, response: JsonObject) -> None:
        return None

    with pytest.raises(ValueError):
        router.add_result_route("Heartbeat", noop)
    router.add_result_route("DataTransfer", noop)
    router.add_call_route("DataTransfer", None, on_heartbeat_dict)
