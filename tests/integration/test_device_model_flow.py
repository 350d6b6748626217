"""Device-model write paths driven over real sockets (interface.md §5.2): boot fields,
StatusNotification, NotifyEvent, and Get/SetVariables results of message-API calls."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import StationFactory

ATTRIBUTES = "/data/monitoring/variableAttribute"
CONNECTOR = {"name": "Connector", "evse": {"id": 1, "connectorId": 1}}
AVAILABILITY = {"name": "AvailabilityState"}


async def values(api: httpx.AsyncClient, **filters: str) -> dict[str, Any]:
    listed = await api.get(ATTRIBUTES, params={"stationId": "cp001", **filters})
    assert listed.status_code == 200
    return {view["variable"]["name"]: view.get("value") for view in listed.json()}


async def test_boot_status_and_event_update_the_device_model(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp001")
    await station.boot()
    put = await api.put(
        ATTRIBUTES,
        params={"stationId": "cp001"},
        json={"component": CONNECTOR, "variable": AVAILABILITY, "variableAttribute": [{}]},
    )
    assert put.status_code == 200

    await station.status_notification(1, 1, "Occupied")
    await station.call(
        "NotifyEvent",
        {
            "generatedAt": "2026-01-02T03:00:00Z",
            "seqNo": 0,
            "eventData": [
                {
                    "eventId": 1,
                    "timestamp": "2026-01-02T03:00:00Z",
                    "trigger": "Delta",
                    "actualValue": "Faulted",
                    "component": CONNECTOR,
                    "variable": AVAILABILITY,
                    "eventNotificationType": "HardWiredNotification",
                }
            ],
        },
    )

    assert (await values(api, component_name="ChargingStation")).keys() >= {"Model", "VendorName"}
    assert await values(api, component_name="Connector") == {"AvailabilityState": "Faulted"}


async def test_message_api_set_and_get_variables_results_are_applied(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp001")
    await station.boot()
    component, variable = {"name": "OCPPCommCtrlr"}, {"name": "HeartbeatInterval"}
    station.on(
        "SetVariables",
        lambda payload: {
            "setVariableResult": [
                {"attributeStatus": "Accepted", "component": component, "variable": variable}
            ]
        },
    )
    station.on(
        "GetVariables",
        lambda payload: {
            "getVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "attributeValue": "45",
                    "component": component,
                    "variable": variable,
                }
            ]
        },
    )
    set_data = {"component": component, "variable": variable, "attributeValue": "30"}

    answer = await api.post(
        "/ocpp/2.0.1/monitoring/setVariables",
        params={"identifier": "cp001", "wait": "true"},
        json={"setVariableData": [set_data]},
    )
    assert answer.status_code == 200, answer.text
    assert await values(api, component_name="OCPPCommCtrlr") == {"HeartbeatInterval": "30"}

    answer = await api.post(
        "/ocpp/2.0.1/monitoring/getVariables",
        params={"identifier": "cp001", "wait": "true"},
        json={"getVariableData": [{"component": component, "variable": variable}]},
    )
    assert answer.status_code == 200, answer.text
    assert await values(api, component_name="OCPPCommCtrlr") == {"HeartbeatInterval": "45"}
