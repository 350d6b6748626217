"""The password endpoint with setOnCharger false (OCPP A01, interface.md §6) against a simulated
station over real sockets: every station answer, then a profile-1 login with the old and the new
password. The console's "Also set it on the charger" takes the same path."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from tests.api.console.conftest import Browser
from tourmaline.runtime import Runtime
from tourmaline.sim.station import ReplyWithCallError, SimulatedStation

from .conftest import AUTH, StationFactory
from .webhook_receiver import WebhookReceiver

ROUTE = "/data/configuration/password"
OLD = "old-password-0123456789"
NEW = "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L"


def answering(status: str) -> Any:
    def handler(payload: dict[str, Any]) -> dict[str, Any]:
        [data] = payload["setVariableData"]
        result = {key: data[key] for key in ("component", "variable", "attributeType")}
        return {"setVariableResult": [{**result, "attributeStatus": status}]}

    return handler


async def booted(connect: StationFactory, runtime: Runtime) -> SimulatedStation:
    station = await connect("cp001")
    await station.boot()
    await runtime.credentials.set_password("cp001", OLD)
    return station


async def can_log_in(runtime: Runtime, password: str) -> bool:
    token = base64.b64encode(f"cp001:{password}".encode()).decode()
    try:
        async with ws_connect(
            runtime.station_url(AUTH, "cp001"),
            subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
            additional_headers={"Authorization": f"Basic {token}"},
            open_timeout=5,
        ):
            return True
    except InvalidStatus as refused:
        assert refused.response.status_code == 401
        return False


async def post(api: httpx.AsyncClient, **params: str) -> httpx.Response:
    return await api.post(ROUTE, params=params, json={"stationId": "cp001", "password": NEW})


async def test_accepted_stores_the_new_password_and_retires_the_old_one(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    station = await booted(connect, runtime)
    station.on("SetVariables", answering("Accepted"))

    async with WebhookReceiver() as receiver:
        answer = await post(api, callbackUrl=receiver.url)
        [callback] = await receiver.wait_for(1)

    assert answer.status_code == 200
    assert answer.json() == {"success": True, "payload": "Updated 1 attributes"}
    assert callback["setVariableResult"][0]["attributeStatus"] == "Accepted"
    [(_, sent)] = station.received_calls[-1:]
    assert sent["setVariableData"][0]["attributeValue"] == NEW
    assert not await can_log_in(runtime, OLD)
    assert await can_log_in(runtime, NEW)
    listed = await api.get(
        "/data/monitoring/variableAttribute",
        params={"stationId": "cp001", "variable_name": "BasicAuthPassword"},
    )
    assert NEW not in listed.text
    [view] = listed.json()
    assert (view["secret"], view["mutability"], view["dataType"]) == (
        True,
        "WriteOnly",
        "passwordString",
    )


async def test_reboot_required_stores_it_and_keeps_the_old_one_until_the_new_one_is_used(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    station = await booted(connect, runtime)
    station.on("SetVariables", answering("RebootRequired"))

    answer = await post(api)

    assert answer.status_code == 200
    assert answer.json() == {"success": True, "payload": "Updated 1 attributes (reboot required)"}
    assert await can_log_in(runtime, OLD)
    assert await can_log_in(runtime, NEW)
    assert not await can_log_in(runtime, OLD)


@pytest.mark.parametrize("status", ["Rejected", "UnknownVariable"])
async def test_a_refusal_is_502_and_changes_nothing(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime, status: str
) -> None:
    station = await booted(connect, runtime)
    station.on("SetVariables", answering(status))

    answer = await post(api)

    assert answer.status_code == 502
    body = answer.json()
    assert body["code"] == "charger_rejected"
    assert body["details"]["attributeStatus"] == status
    assert await can_log_in(runtime, OLD)
    assert not await can_log_in(runtime, NEW)


async def test_a_call_error_is_502_with_its_fields(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    station = await booted(connect, runtime)

    def refuse(payload: dict[str, Any]) -> dict[str, Any]:
        raise ReplyWithCallError("InternalError", "busy", {"retry": True})

    station.on("SetVariables", refuse)

    answer = await post(api)

    assert answer.status_code == 502
    body = answer.json()
    assert body["code"] == "charger_error"
    assert body["details"] == {
        "errorCode": "InternalError",
        "errorDescription": "busy",
        "errorDetails": {"retry": True},
    }
    assert await can_log_in(runtime, OLD)
    assert not await can_log_in(runtime, NEW)


async def test_no_answer_is_504_and_changes_nothing(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    station = await booted(connect, runtime)
    never = asyncio.Event()

    async def silent(payload: dict[str, Any]) -> dict[str, Any]:
        await never.wait()
        return {}

    station.on("SetVariables", silent)

    answer = await post(api)

    assert answer.status_code == 504
    assert answer.json()["code"] == "charger_timeout"
    assert await can_log_in(runtime, OLD)
    assert not await can_log_in(runtime, NEW)


async def test_a_generated_password_is_pushed_and_never_returned(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    station = await booted(connect, runtime)
    station.on("SetVariables", answering("Accepted"))

    answer = await api.post(ROUTE, json={"stationId": "cp001"})

    assert answer.status_code == 200
    [(_, sent)] = station.received_calls[-1:]
    generated = sent["setVariableData"][0]["attributeValue"]
    assert len(generated) == 40
    assert generated not in answer.text
    assert await can_log_in(runtime, generated)
    assert not await can_log_in(runtime, OLD)


async def test_the_console_sets_the_password_on_the_charger_the_same_way(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    station = await booted(connect, runtime)
    station.on("SetVariables", answering("Accepted"))
    browser = Browser(api)
    form = {
        "min_security_profile": "1",
        "password_mode": "set",
        "password": NEW,
        "set_on_charger": "on",
    }

    answer = await browser.post("/ui/stations/cp001", form)

    assert answer.status_code == 303, answer.text
    [(_, sent)] = station.received_calls[-1:]
    assert sent["setVariableData"][0]["attributeValue"] == NEW
    assert not await can_log_in(runtime, OLD)
    assert await can_log_in(runtime, NEW)
