"""The seed document (connecting-a-charger.txt), sentence by sentence, against a real runtime:
a simulated charger over real sockets, the REST calls exactly as the document prints them
(ports aside), and what the charger and the operator see at each step."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from tests.helpers import eventually
from tourmaline.runtime import Runtime
from tourmaline.sim.station import SimulatedStation

from .conftest import AUTH, OPEN, StationFactory, expect_error

SEED_PASSWORD = "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L"


def report_part(
    request_id: int, seq_no: int, tbc: bool, data: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "requestId": request_id,
        "generatedAt": "2026-11-23T10:00:00Z",
        "seqNo": seq_no,
        "tbc": tbc,
        "reportData": data,
    }


def variable(component: str, name: str, value: str, evse: int | None = None) -> dict[str, Any]:
    comp: dict[str, Any] = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse}
    return {
        "component": comp,
        "variable": {"name": name},
        "variableAttribute": [{"type": "Actual", "value": value, "mutability": "ReadOnly"}],
    }


def answer_base_report_with(station: SimulatedStation, parts: list[list[dict[str, Any]]]) -> None:
    """The charger accepts GetBaseReport and then sends its device model in several parts."""

    async def send_parts(request_id: int) -> None:
        await asyncio.sleep(0.05)
        for seq_no, data in enumerate(parts):
            tbc = seq_no < len(parts) - 1
            assert (
                await station.call("NotifyReport", report_part(request_id, seq_no, tbc, data)) == {}
            )

    def on_get_base_report(payload: dict[str, Any]) -> dict[str, Any]:
        assert payload["reportBase"] == "FullInventory"
        asyncio.get_running_loop().create_task(send_parts(payload["requestId"]))
        return {"status": "Accepted"}

    station.on("GetBaseReport", on_get_base_report)


def accept_password_changes(station: SimulatedStation) -> None:
    """The charger accepts SetVariables on SecurityCtrlr.BasicAuthPassword (OCPP A01)."""
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


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def test_a_charger_connects_without_any_set_up(connect: StationFactory) -> None:
    """'connect a charger … without any set up, just point the charger to ws://localhost:8081'
    (with the station id appended to the URL)."""
    station = await connect("cp001", listener=OPEN)

    assert (await station.boot())["status"] == "Accepted"


async def test_pending_boot_fetches_the_device_model_then_accepts(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    """Boot table Pending + 'Get Base Report On Pending': Pending, GetBaseReport, NotifyReport
    series, and 'after the full report has been sent, the next attempted boot … Accepted'."""
    put = await api.put(
        "/data/configuration/boot", params={"stationId": "cp001"}, json={"status": "Pending"}
    )
    assert put.status_code == 200, put.text
    station = await connect("cp001")
    answer_base_report_with(
        station,
        [
            [variable("SecurityCtrlr", "SecurityProfile", "1")],
            [
                variable("EVSE", "Power", "22000", evse=1),
                variable("EVSE", "Power", "11000", evse=2),
            ],
            [variable("OCPPCommCtrlr", "HeartbeatInterval", "60")],
        ],
    )

    first = await station.boot()
    assert first["status"] == "Pending"
    assert first["interval"] == 15

    async def report_stored() -> bool:
        response = await api.get(
            "/data/monitoring/variableAttribute",
            params={"stationId": "cp001", "component_name": "OCPPCommCtrlr"},
        )
        return response.status_code == 200 and len(response.json()) == 1

    await eventually(report_stored)
    powers = await api.get(
        "/data/monitoring/variableAttribute",
        params={"stationId": "cp001", "component_name": "EVSE", "variable_name": "Power"},
    )
    assert sorted(row["value"] for row in powers.json()) == ["11000", "22000"]

    async def next_boot_accepted() -> bool:
        return (await station.boot())["status"] == "Accepted"

    await eventually(next_boot_accepted)
    boot = (await api.get("/data/configuration/boot", params={"stationId": "cp001"})).json()
    assert boot["status"] == "Accepted"
    assert boot["lastBootTime"] is not None


async def test_a_pending_station_may_not_send_other_messages(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    await api.put(
        "/data/configuration/boot", params={"stationId": "cp-pend"}, json={"status": "Pending"}
    )
    station = await connect("cp-pend")
    station.on("GetBaseReport", lambda payload: {"status": "Rejected"})
    assert (await station.boot())["status"] == "Pending"

    error = await expect_error(station, "Heartbeat", {})

    assert error.code == "SecurityError"


async def test_the_seed_password_request_pushes_the_password_to_the_charger(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The seed's curl, as printed (its callback host is outside and has no scheme: the API
    answer does not depend on it). setOnCharger false runs OCPP A01 with SetVariables."""
    station = await connect("cp001")
    await station.boot()
    accept_password_changes(station)

    response = await api.post(
        "/data/configuration/password",
        params={"callbackUrl": "csms.pro/api/notifications"},
        json={"stationId": "cp001", "password": SEED_PASSWORD, "setOnCharger": False},
    )

    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    [(_, payload)] = [c for c in station.received_calls if c[0] == "SetVariables"]
    [data] = payload["setVariableData"]
    assert data["component"]["name"] == "SecurityCtrlr"
    assert data["variable"]["name"] == "BasicAuthPassword"
    assert data["attributeValue"] == SEED_PASSWORD
    secure = await connect("cp001", listener=AUTH, password=SEED_PASSWORD)
    assert (await secure.heartbeat())["currentTime"]


async def test_set_on_charger_true_only_updates_tourmaline(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    """'Set setOnCharger to true if the password has already been updated on the charger'."""
    await (await connect("cp002")).boot()

    response = await api.post(
        "/data/configuration/password",
        json={"stationId": "cp002", "password": SEED_PASSWORD, "setOnCharger": True},
    )

    assert response.status_code == 200, response.text
    station = await connect("cp002", listener=AUTH, password=SEED_PASSWORD)
    assert (await station.boot())["status"] == "Accepted"
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(
            runtime.station_url(AUTH, "cp002"),
            subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
            additional_headers=basic("cp002", "Wrong-password-123456"),
        ):
            pass
    assert refused.value.response.status_code == 401


async def test_password_is_mandatory_only_with_set_on_charger(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    """'Providing a password is mandatory only when setOnCharger is true' and 'If you do not
    provide a password, it will be automatically generated.'"""
    station = await connect("cp003")
    await station.boot()
    accept_password_changes(station)

    missing = await api.post(
        "/data/configuration/password", json={"stationId": "cp003", "setOnCharger": True}
    )
    generated = await api.post(
        "/data/configuration/password", json={"stationId": "cp003", "setOnCharger": False}
    )

    assert missing.status_code == 400
    assert missing.json()["code"] == "password_required"
    assert generated.status_code == 200, generated.text
    [(_, payload)] = [c for c in station.received_calls if c[0] == "SetVariables"]
    new_password = payload["setVariableData"][0]["attributeValue"]
    assert len(new_password) == 40
    secure = await connect("cp003", listener=AUTH, password=new_password)
    assert (await secure.heartbeat())["currentTime"]


async def test_a_given_password_must_comply_with_ocpp(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    """'If you do provide one, it must comply with the OCPP specification.'"""
    await (await connect("cp004")).boot()

    response = await api.post(
        "/data/configuration/password",
        json={"stationId": "cp004", "password": "too short", "setOnCharger": True},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_password"


async def test_password_set_through_the_variable_attribute_endpoint(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    """'You can set this VariableAttribute on the CSMS side using the Variable Attribute CRUD
    endpoints on the Monitoring module.'"""
    await (await connect("cp005")).boot()

    response = await api.put(
        "/data/monitoring/variableAttribute",
        params={"stationId": "cp005", "setOnCharger": "true"},
        json={
            "component": {"name": "SecurityCtrlr"},
            "variable": {"name": "BasicAuthPassword"},
            "variableAttribute": [{"type": "Actual", "value": SEED_PASSWORD}],
        },
    )

    assert response.status_code == 200, response.text
    assert SEED_PASSWORD not in response.text
    station = await connect("cp005", listener=AUTH, password=SEED_PASSWORD)
    assert (await station.heartbeat())["currentTime"]


async def test_set_variables_through_the_monitoring_message_api(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    """'You can set this VariableAttribute on the Charging Station side using the SetVariables
    message, which can be sent … using the Monitoring module's message API.'"""
    station = await connect("cp006")
    await station.boot()
    accept_password_changes(station)

    response = await api.post(
        "/ocpp/2.0.1/monitoring/setVariables",
        params={"identifier": "cp006", "wait": "true"},
        json={
            "setVariableData": [
                {
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "BasicAuthPassword"},
                    "attributeValue": SEED_PASSWORD,
                }
            ]
        },
    )

    assert response.status_code == 200, response.text
    [element] = response.json()
    assert element["success"] is True
    secure = await connect("cp006", listener=AUTH, password=SEED_PASSWORD)
    assert (await secure.heartbeat())["currentTime"]


async def test_unknown_station_is_refused_on_the_profile_1_listener(runtime: Runtime) -> None:
    """The station id 'is not known' → refused at the upgrade on :8082 (HTTP 404)."""
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(
            runtime.station_url(AUTH, "nobody"),
            subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
            additional_headers=basic("nobody", SEED_PASSWORD),
        ):
            pass
    assert refused.value.response.status_code == 404
