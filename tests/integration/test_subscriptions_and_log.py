"""Webhook subscriptions, the message-log route and secret redaction over real sockets
(interface.md §5.3, §8.5, §9)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tourmaline.runtime import Runtime

from .conftest import StationFactory
from .webhook_receiver import WebhookReceiver

SUBSCRIPTION = "/data/ocpprouter/subscription"
MESSAGES = "/data/ocpprouter/messages"
SECRET = "Sup3rSecretPassw0rd-42"


def _set_password_body() -> dict[str, Any]:
    return {
        "setVariableData": [
            {
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
                "attributeValue": SECRET,
            }
        ]
    }


async def _subscribe(api: httpx.AsyncClient, **fields: Any) -> int:
    response = await api.post(SUBSCRIPTION, json=fields)
    assert response.status_code == 200, response.text
    new_id = response.json()
    assert isinstance(new_id, int)
    return new_id


async def test_subscription_crud(api: httpx.AsyncClient) -> None:
    first = await _subscribe(api, stationId="cp-s", url="http://127.0.0.1:9/a", onConnect=True)
    second = await _subscribe(
        api,
        stationId="cp-s",
        url="http://127.0.0.1:9/b",
        onMessage=True,
        messageRegexFilter="Heart",
    )

    listed = (await api.get(SUBSCRIPTION, params={"stationId": "cp-s"})).json()
    deleted = await api.delete(SUBSCRIPTION, params={"id": str(first)})
    remaining = (await api.get(SUBSCRIPTION, params={"stationId": "cp-s"})).json()

    assert [entry["id"] for entry in listed] == [first, second]
    assert listed[1] == {
        "id": second,
        "stationId": "cp-s",
        "url": "http://127.0.0.1:9/b",
        "messageRegexFilter": "Heart",
        "onConnect": False,
        "onClose": False,
        "onMessage": True,
        "sentMessage": False,
    }
    assert deleted.status_code == 200 and deleted.json() is True
    assert [entry["id"] for entry in remaining] == [second]


async def test_subscription_needs_a_flag_a_valid_regex_and_no_extras(
    api: httpx.AsyncClient,
) -> None:
    cases = [
        {"stationId": "cp-s", "url": "http://127.0.0.1:9/"},
        {
            "stationId": "cp-s",
            "url": "http://127.0.0.1:9/",
            "onClose": True,
            "messageRegexFilter": "(",
        },
        {"stationId": "cp-s", "url": "http://127.0.0.1:9/", "onClose": "true"},
        {"stationId": "cp-s", "url": "http://127.0.0.1:9/", "onClose": True, "extra": 1},
    ]
    for body in cases:
        response = await api.post(SUBSCRIPTION, json=body)
        assert response.status_code == 400, body
        assert response.json()["code"] == "validation_failed"
    listed = await api.get(SUBSCRIPTION, params={"stationId": "cp-s"})
    assert listed.json() == []


async def test_events_are_delivered(connect: StationFactory, api: httpx.AsyncClient) -> None:
    async with WebhookReceiver() as receiver:
        await _subscribe(
            api,
            stationId="cp-w",
            url=receiver.url,
            onConnect=True,
            onClose=True,
            onMessage=True,
            sentMessage=True,
        )
        station = await connect("cp-w")
        await station.heartbeat()
        await station.close()
        bodies = await receiver.wait_for(4)

    events = sorted((body["event"], body.get("origin")) for body in bodies)
    assert events == [("closed", None), ("connected", None), ("message", "cs"), ("message", "csms")]
    inbound = next(body for body in bodies if body.get("origin") == "cs")
    frame = json.loads(inbound["message"])
    assert frame[2] == "Heartbeat"
    assert inbound["stationId"] == "cp-w"
    assert inbound["info"]["correlationId"] == frame[1]
    assert inbound["info"]["protocol"] == "ocpp2.0.1"
    assert inbound["info"]["action"] == "Heartbeat"
    assert inbound["info"]["timestamp"].endswith("Z")


async def test_regex_filter_selects_frames(connect: StationFactory, api: httpx.AsyncClient) -> None:
    async with WebhookReceiver() as receiver:
        await _subscribe(
            api, stationId="cp-r", url=receiver.url, onMessage=True, messageRegexFilter="Status"
        )
        station = await connect("cp-r")
        await station.heartbeat()
        await station.status_notification(1, 1, "Available")
        [body] = await receiver.wait_for(1)
        await station.heartbeat()
        await asyncio.sleep(0.2)

    assert json.loads(body["message"])[2] == "StatusNotification"
    assert len(receiver.bodies) == 1


async def test_deleted_subscription_stops_at_once(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    async with WebhookReceiver() as receiver:
        subscription = await _subscribe(api, stationId="cp-d", url=receiver.url, onMessage=True)
        station = await connect("cp-d")
        await station.heartbeat()
        await receiver.wait_for(1)
        await api.delete(SUBSCRIPTION, params={"id": str(subscription)})
        await station.heartbeat()
        await asyncio.sleep(0.2)

    assert len(receiver.bodies) == 1


async def test_dead_endpoint_does_not_slow_ocpp(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    async with WebhookReceiver(hang=True) as dead:
        await _subscribe(api, stationId="cp-x", url=dead.url, onMessage=True, onConnect=True)
        station = await connect("cp-x")
        await asyncio.wait_for(dead.started.wait(), 5)
        # Every webhook request is hanging; the station is answered regardless.
        for _ in range(3):
            assert (await station.heartbeat())["currentTime"]


async def test_secret_is_redacted_in_log_and_webhooks(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    station = await connect("cp-p")
    station.on(
        "SetVariables",
        lambda payload: {
            "setVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "BasicAuthPassword"},
                }
            ]
        },
    )
    async with WebhookReceiver() as receiver:
        await _subscribe(api, stationId="cp-p", url=receiver.url, sentMessage=True)
        response = await api.post(
            "/ocpp/2.0.1/monitoring/setVariables",
            params={"identifier": "cp-p", "wait": "true"},
            json=_set_password_body(),
        )
        assert response.json()[0]["success"] is True
        [hook] = await receiver.wait_for(1)
    await runtime.writer.flush()

    # The station itself received the real value.
    assert station.received_calls[0][1] == _set_password_body()
    assert SECRET not in hook["message"]
    assert '"attributeValue":"***"' in hook["message"]
    log = (await api.get(MESSAGES, params={"stationId": "cp-p", "action": "SetVariables"})).json()
    assert SECRET not in json.dumps(log)
    call = next(entry for entry in log if entry["messageTypeId"] == 2)
    assert call["message"][3]["setVariableData"][0]["attributeValue"] == "***"


async def test_message_log_filters_and_paging(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    station = await connect("cp-l")
    await station.heartbeat()
    await station.status_notification(1, 1, "Available")
    other = await connect("cp-other")
    await other.heartbeat()
    await runtime.writer.flush()

    everything = (await api.get(MESSAGES, params={"stationId": "cp-l"})).json()
    inbound = (await api.get(MESSAGES, params={"stationId": "cp-l", "origin": "cs"})).json()
    heartbeats = (await api.get(MESSAGES, params={"action": "Heartbeat", "limit": "100"})).json()
    page = (
        await api.get(
            MESSAGES, params={"stationId": "cp-l", "limit": "1", "before": str(everything[0]["id"])}
        )
    ).json()
    bad = await api.get(MESSAGES, params={"from": "yesterday"})
    future = (await api.get(MESSAGES, params={"from": "2999-01-01T00:00:00Z"})).json()

    assert [entry["id"] for entry in everything] == sorted(
        (entry["id"] for entry in everything), reverse=True
    )
    assert {entry["stationId"] for entry in everything} == {"cp-l"}
    newest = everything[0]
    assert set(newest) >= {"id", "stationId", "origin", "messageTypeId", "messageId", "action"}
    assert newest["action"] == "StatusNotification" and newest["origin"] == "csms"
    assert isinstance(newest["message"], list)
    assert {entry["origin"] for entry in inbound} == {"cs"}
    assert {entry["stationId"] for entry in heartbeats} == {"cp-l", "cp-other"}
    assert [entry["id"] for entry in page] == [everything[1]["id"]]
    assert bad.status_code == 400
    assert future == []
