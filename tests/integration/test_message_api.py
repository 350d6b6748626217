"""The message API against simulated stations over real sockets (interface.md §7)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tourmaline.runtime import Runtime
from tourmaline.sim.station import ReplyWithCallError

from .conftest import StationFactory
from .webhook_receiver import WebhookReceiver, closed_port_url

RESET = "/ocpp/2.0.1/configuration/reset"
GET_VARIABLES = "/ocpp/2.0.1/monitoring/getVariables"
ACCEPTED = {"status": "Accepted"}


def _get_variables(*names: str) -> dict[str, Any]:
    return {
        "getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": name}} for name in names
        ]
    }


async def test_wait_returns_the_callresult_payload(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-a")
    station.on("Reset", lambda payload: ACCEPTED)

    response = await api.post(
        RESET, params={"identifier": "cp-a", "wait": "true"}, json={"type": "Immediate"}
    )

    assert response.status_code == 200
    [element] = response.json()
    assert element["success"] is True
    assert element["payload"] == ACCEPTED
    assert isinstance(element["messageId"], str)
    assert station.received_calls == [("Reset", {"type": "Immediate"})]


async def test_without_wait_the_call_is_only_queued(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-a")
    station.on("Reset", lambda payload: ACCEPTED)

    response = await api.post(RESET, params={"identifier": "cp-a"}, json={"type": "OnIdle"})

    [element] = response.json()
    assert set(element) == {"success", "messageId"}
    assert element["success"] is True


async def test_callerror_becomes_an_error_object(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-a")

    def refuse(payload: dict[str, Any]) -> dict[str, Any]:
        raise ReplyWithCallError("NotSupported", "no resets here", {"hint": "x"})

    station.on("Reset", refuse)
    response = await api.post(
        RESET, params={"identifier": "cp-a", "wait": "true"}, json={"type": "Immediate"}
    )

    [element] = response.json()
    assert element["success"] is False
    assert element["payload"] == {
        "errorCode": "NotSupported",
        "errorDescription": "no resets here",
        "errorDetails": {"hint": "x"},
    }


async def test_every_identifier_timed_out_is_504(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-a")
    never = asyncio.Event()

    async def silent(payload: dict[str, Any]) -> dict[str, Any]:
        await never.wait()
        return ACCEPTED

    station.on("Reset", silent)
    response = await api.post(
        RESET,
        params={"identifier": "cp-a", "wait": "true", "timeout": "1"},
        json={"type": "Immediate"},
    )

    assert response.status_code == 504
    body = response.json()
    assert body["code"] == "charger_timeout"
    [element] = body["details"]
    assert element["success"] is False
    assert element["payload"] == "Timed out after 1 s"


async def test_two_identifiers_answer_in_order(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-b")
    station.on("Reset", lambda payload: {"status": "Scheduled"})

    response = await api.post(
        RESET,
        params=[("identifier", "cp-missing"), ("identifier", "cp-b"), ("wait", "true")],
        json={"type": "OnIdle"},
    )

    assert response.status_code == 200
    missing, answered = response.json()
    assert missing == {
        "success": False,
        "payload": "No connection found for identifier: 1:cp-missing",
    }
    assert answered["payload"] == {"status": "Scheduled"}


async def test_alias_path_sends_the_same_call(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-a")
    station.on("Reset", lambda payload: ACCEPTED)

    response = await api.post(
        "/ocpp/configuration/reset",
        params={"identifier": "cp-a", "wait": "true"},
        json={"type": "Immediate"},
    )

    assert response.json()[0]["payload"] == ACCEPTED


async def test_invalid_body_is_400_with_details(api: httpx.AsyncClient) -> None:
    response = await api.post(RESET, params={"identifier": "cp-a"}, json={"type": "Sometime"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert any(detail["path"].startswith("body") for detail in body["details"])


async def test_a_string_where_a_number_belongs_is_not_coerced(api: httpx.AsyncClient) -> None:
    response = await api.post(
        RESET, params={"identifier": "cp-a"}, json={"type": "Immediate", "evseId": "1"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"


async def test_missing_identifier_and_bad_timeout_are_400(api: httpx.AsyncClient) -> None:
    no_identifier = await api.post(RESET, json={"type": "Immediate"})
    bad_timeout = await api.post(
        RESET, params={"identifier": "cp-a", "timeout": "301"}, json={"type": "Immediate"}
    )

    assert no_identifier.status_code == bad_timeout.status_code == 400
    assert no_identifier.json()["details"][0]["path"] == "query.identifier"


async def test_unknown_and_station_only_and_ocpp16_routes_are_404(api: httpx.AsyncClient) -> None:
    for path in (
        "/ocpp/2.0.1/configuration/doesNotExist",
        "/ocpp/2.0.1/smartcharging/clearedChargingLimit",
        "/ocpp/1.6/configuration/reset",
    ):
        response = await api.post(path, params={"identifier": "cp-a"}, json={})
        assert response.status_code == 404, path


async def test_request_start_transaction_refuses_a_non_tx_profile(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-a")
    station.on("RequestStartTransaction", lambda payload: {"status": "Accepted"})
    profile = {
        "id": 1,
        "stackLevel": 0,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [
            {
                "id": 1,
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
            }
        ],
    }
    base = {"idToken": {"idToken": "T1", "type": "Central"}, "remoteStartId": 7}
    path = "/ocpp/2.0.1/evdriver/requestStartTransaction"
    params = {"identifier": "cp-a", "wait": "true"}

    refused = await api.post(
        path,
        params=params,
        json={**base, "chargingProfile": {**profile, "chargingProfilePurpose": "TxDefaultProfile"}},
    )
    sent = await api.post(
        path,
        params=params,
        json={
            **base,
            "chargingProfile": {
                **profile,
                "chargingProfilePurpose": "TxProfile",
                "transactionId": "tx-1",
            },
        },
    )

    assert refused.json()[0]["success"] is False
    assert "TxProfile" in refused.json()[0]["payload"]
    assert sent.json()[0]["success"] is True
    [(_, payload)] = station.received_calls
    assert "transactionId" not in payload["chargingProfile"]


async def test_callback_receives_the_payload(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-a")
    station.on("Reset", lambda payload: ACCEPTED)

    async with WebhookReceiver() as receiver:
        response = await api.post(
            RESET,
            params={"identifier": "cp-a", "callbackUrl": receiver.url},
            json={"type": "Immediate"},
        )
        assert response.json()[0]["success"] is True
        assert await receiver.wait_for(1) == [ACCEPTED]
        assert receiver.headers[0]["content-type"] == "application/json"
        assert "authorization" not in receiver.headers[0]


async def test_callback_receives_a_callerror_object(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-a")

    def refuse(payload: dict[str, Any]) -> dict[str, Any]:
        raise ReplyWithCallError("InternalError", "boom")

    station.on("Reset", refuse)
    async with WebhookReceiver() as receiver:
        await api.post(
            RESET,
            params={"identifier": "cp-a", "callbackUrl": receiver.url, "wait": "true"},
            json={"type": "Immediate"},
        )
        [body] = await receiver.wait_for(1)
    assert body == {"errorCode": "InternalError", "errorDescription": "boom", "errorDetails": {}}


async def test_unreachable_or_hanging_callback_changes_nothing(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-a")
    station.on("Reset", lambda payload: ACCEPTED)

    async with WebhookReceiver(hang=True) as hanging:
        for url in (await closed_port_url(), hanging.url):
            response = await api.post(
                RESET,
                params={"identifier": "cp-a", "callbackUrl": url, "wait": "true"},
                json={"type": "Immediate"},
            )
            assert response.status_code == 200
            assert response.json()[0]["payload"] == ACCEPTED
        await asyncio.wait_for(hanging.started.wait(), 5)
        # The callback is still hanging, yet the station is served as usual.
        assert (await station.heartbeat())["currentTime"]


async def test_get_variables_is_split_by_items_per_message(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    async def limits(
        station_id: str, component: str, variable: str, instance: str | None
    ) -> str | None:
        if (component, variable, instance) == (
            "DeviceDataCtrlr",
            "ItemsPerMessage",
            "GetVariables",
        ):
            return "2"
        return None

    runtime.api.state.deps.batch_limits = limits
    station = await connect("cp-a")

    def answer(payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "getVariableResult": [
                {"attributeStatus": "Accepted", "attributeValue": "1", **entry}
                for entry in payload["getVariableData"]
            ]
        }

    station.on("GetVariables", answer)
    response = await api.post(
        GET_VARIABLES,
        params={"identifier": "cp-a", "wait": "true"},
        json=_get_variables("A", "B", "C"),
    )

    assert [len(p["getVariableData"]) for _, p in station.received_calls] == [2, 1]
    results = response.json()[0]["payload"]["getVariableResult"]
    assert [result["variable"]["name"] for result in results] == ["A", "B", "C"]


async def test_a_failing_pre_send_check_refuses_the_call_and_sends_nothing(
    runtime: Runtime, connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-a")
    station.on("Reset", lambda payload: ACCEPTED)

    async def broken_check(station_id: str, action: str, payload: dict[str, Any]) -> str | None:
        raise RuntimeError("the database went away")

    runtime.outbound_checks.append(broken_check)
    response = await api.post(
        RESET, params={"identifier": "cp-a", "wait": "true"}, json={"type": "Immediate"}
    )

    assert response.status_code == 200
    assert response.json() == [
        {"success": False, "payload": "Reset not sent: internal error while preparing it"}
    ]
    assert station.received_calls == []
