"""InboundPipeline: context, answer, follow-ups after the answer, and no exception ever escapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.helpers import FakeClock
from tourmaline.ocpp.router import Router
from tourmaline.ocpp.rpc import Call, CallError, CallResult, JsonObject
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.services.boot import BootService
from tourmaline.services.context import StationContext
from tourmaline.services.inbound import InboundPipeline
from tourmaline.services.stations import StationService
from tourmaline.settings import Settings
from tourmaline.transport.ports import ListenerInfo, OutboundCall


@dataclass
class FakeLink:
    """The transport edge: a registered connection of one station."""

    station_id: str = "cp001"
    listener: ListenerInfo = field(
        default_factory=lambda: ListenerInfo(
            id="1", security_profile=1, allow_unknown_stations=False
        )
    )
    subprotocol: str = "ocpp2.0.1"

    def submit(self, action: str, payload: JsonObject, *, timeout: float) -> OutboundCall:
        raise AssertionError("no CSMS call expected")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        return None


@pytest.fixture
def schemas() -> SchemaRegistry:
    return SchemaRegistry()


@pytest.fixture
def router(schemas: SchemaRegistry) -> Router[StationContext]:
    return Router(schemas)


@pytest.fixture
def pipeline(
    router: Router[StationContext], clock: FakeClock, stations: StationService, boots: BootService
) -> InboundPipeline:
    return InboundPipeline(
        router=router, settings=Settings(env="test"), clock=clock, stations=stations, boots=boots
    )


AUTHORIZE = Call("m-1", "Authorize", {"idToken": {"idToken": "abc", "type": "Central"}})
ACCEPTED = {"idTokenInfo": {"status": "Accepted"}}


async def test_dispatch_gives_the_handler_its_context_and_returns_the_answer(
    pipeline: InboundPipeline, router: Router[StationContext]
) -> None:
    seen: list[tuple[str, int | None, str | None]] = []

    async def on_authorize(ctx: StationContext, request: dict[str, Any]) -> dict[str, Any]:
        seen.append((ctx.station_id, ctx.security_profile, ctx.message_id))
        return ACCEPTED

    router.add_call_route("Authorize", None, on_authorize)

    reply = await pipeline.dispatch(FakeLink(), AUTHORIZE)

    assert reply.frame == CallResult("m-1", ACCEPTED)
    assert reply.follow_up is None
    assert seen == [("cp001", 1, "m-1")]


async def test_follow_ups_run_only_when_started_in_order_and_past_failures(
    pipeline: InboundPipeline, router: Router[StationContext]
) -> None:
    ran: list[str] = []

    async def first() -> None:
        ran.append("first")
        raise RuntimeError("boom")

    async def second() -> None:
        ran.append("second")

    async def on_authorize(ctx: StationContext, request: dict[str, Any]) -> dict[str, Any]:
        ctx.after_reply(first)
        ctx.after_reply(second)
        return ACCEPTED

    router.add_call_route("Authorize", None, on_authorize)

    reply = await pipeline.dispatch(FakeLink(), AUTHORIZE)
    assert ran == []
    assert reply.follow_up is not None
    await reply.follow_up()

    assert ran == ["first", "second"]


async def test_a_failing_handler_gives_internal_error_and_drops_its_follow_ups(
    pipeline: InboundPipeline, router: Router[StationContext]
) -> None:
    async def never() -> None:
        raise AssertionError("must not run")

    async def on_authorize(ctx: StationContext, request: dict[str, Any]) -> dict[str, Any]:
        ctx.after_reply(never)
        raise RuntimeError("database is on fire")

    router.add_call_route("Authorize", None, on_authorize)

    reply = await pipeline.dispatch(FakeLink(), AUTHORIZE)

    assert reply.frame == CallError(
        "m-1", "InternalError", "Internal error while handling Authorize"
    )
    assert reply.follow_up is None


async def test_a_broken_router_still_gives_an_answer(
    clock: FakeClock, stations: StationService, boots: BootService, schemas: SchemaRegistry
) -> None:
    class BrokenRouter(Router[StationContext]):
        async def dispatch(self, ctx: StationContext, call: Call, **_: Any) -> Any:
            raise RuntimeError("bug")

    pipeline = InboundPipeline(
        router=BrokenRouter(schemas),
        settings=Settings(env="test"),
        clock=clock,
        stations=stations,
        boots=boots,
    )

    reply = await pipeline.dispatch(FakeLink(), AUTHORIZE)

    assert reply.frame == CallError(
        "m-1", "InternalError", "Internal error while handling Authorize"
    )


async def test_handle_result_runs_the_result_route_and_its_follow_ups(
    pipeline: InboundPipeline, router: Router[StationContext]
) -> None:
    calls: list[tuple[str, JsonObject, JsonObject]] = []

    async def on_reset_result(
        ctx: StationContext, request: JsonObject, response: JsonObject
    ) -> None:
        calls.append((ctx.station_id, request, response))

        async def follow_up() -> None:
            calls.append(("follow-up", {}, {}))

        ctx.after_reply(follow_up)

    router.add_result_route("Reset", on_reset_result)

    await pipeline.handle_result("cp001", "Reset", {"type": "Immediate"}, {"status": "Accepted"})

    assert calls == [
        ("cp001", {"type": "Immediate"}, {"status": "Accepted"}),
        ("follow-up", {}, {}),
    ]


async def test_handle_result_swallows_handler_failures(
    pipeline: InboundPipeline, router: Router[StationContext]
) -> None:
    async def on_reset_result(
        ctx: StationContext, request: JsonObject, response: JsonObject
    ) -> None:
        raise RuntimeError("bug")

    router.add_result_route("Reset", on_reset_result)

    await pipeline.handle_result("cp001", "Reset", {"type": "Immediate"}, {"status": "Accepted"})
