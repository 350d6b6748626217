"""/data/monitoring/variableAttribute (interface.md §8.2, §5.2, §5.3) on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.api.deps import ApiDeps
from tourmaline.services.credentials import CredentialService
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.stations import StationWrite

from .conftest import FixedClock, error_of

ROUTE = "/data/monitoring/variableAttribute"
PASSWORD = "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L"


@pytest.fixture
def credentials(sessionmaker: async_sessionmaker[AsyncSession]) -> CredentialService:
    return CredentialService(sessionmaker, FixedClock())


@pytest.fixture
async def deps(
    deps: ApiDeps, sessionmaker: async_sessionmaker[AsyncSession], credentials: CredentialService
) -> AsyncIterator[ApiDeps]:
    deps.device_model = DeviceModelService(sessionmaker, FixedClock(), credentials)
    await deps.stations.upsert("cp001", StationWrite())
    yield deps


def report(
    component: dict[str, Any], variable: dict[str, Any], *attributes: dict[str, Any]
) -> dict[str, Any]:
    return {"component": component, "variable": variable, "variableAttribute": list(attributes)}


async def put(client: httpx.AsyncClient, body: Any, **params: Any) -> httpx.Response:
    return await client.put(ROUTE, params={"stationId": "cp001", **params}, json=body)


async def test_put_returns_the_stored_attributes_and_get_finds_them(
    client: httpx.AsyncClient,
) -> None:
    body = report(
        {"name": "EVSE", "evse": {"id": 1}},
        {"name": "Power"},
        {"value": "11000", "mutability": "ReadOnly"},
    )
    body["variableCharacteristics"] = {
        "dataType": "decimal",
        "unit": "W",
        "supportsMonitoring": True,
    }

    put_answer = await put(client, body, setOnCharger="true")
    got = await client.get(ROUTE, params={"stationId": "cp001", "component_evse_id": "1"})

    assert put_answer.status_code == 200
    [stored] = put_answer.json()
    assert stored["value"] == "11000"
    assert stored["component"]["evse"] == {"id": 1}
    assert stored["variable"]["variableCharacteristics"]["unit"] == "W"
    assert [s["statusInfo"] for s in stored["statuses"]] == [{"reasonCode": "SetOnCharger"}]
    assert got.status_code == 200
    assert got.json() == [stored]


async def test_put_without_set_on_charger_adds_no_status_row(client: httpx.AsyncClient) -> None:
    answer = await put(client, report({"name": "Clock"}, {"name": "TimeSource"}, {"value": "NTP"}))

    assert answer.status_code == 200
    assert answer.json()[0]["statuses"] == []


async def test_put_unknown_station_is_404(client: httpx.AsyncClient) -> None:
    body = report({"name": "Clock"}, {"name": "TimeSource"}, {"value": "NTP"})

    answer = await client.put(ROUTE, params={"stationId": "ghost"}, json=body)

    assert answer.status_code == 404
    assert error_of(answer)["code"] == "station_not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"component": {"name": "Clock"}, "variable": {"name": "X"}},
        {**report({"name": "Clock"}, {"name": "X"}, {"value": 5})},
        {**report({"name": "Clock"}, {"name": "X"}, {"value": "5"}), "extra": 1},
        {**report({"name": "Clock"}, {"name": "X"}, {"type": "Nonsense"})},
    ],
)
async def test_put_body_is_validated_strictly(client: httpx.AsyncClient, body: Any) -> None:
    answer = await put(client, body)

    assert answer.status_code == 400
    assert error_of(answer)["code"] == "validation_failed"
    assert (await client.get(ROUTE, params={"stationId": "cp001"})).json() == []


async def test_put_basic_auth_password_sets_the_credential_and_never_returns_it(
    client: httpx.AsyncClient, credentials: CredentialService
) -> None:
    body = report({"name": "SecurityCtrlr"}, {"name": "BasicAuthPassword"}, {"value": PASSWORD})

    answer = await put(client, body, setOnCharger="true")
    listed = await client.get(ROUTE, params={"stationId": "cp001"})

    assert answer.status_code == 200
    assert PASSWORD not in answer.text and PASSWORD not in listed.text
    [view] = listed.json()
    assert view["secret"] is True and "value" not in view
    assert await credentials.verify("cp001", PASSWORD)


async def test_put_invalid_secret_value_is_400_and_changes_nothing(
    client: httpx.AsyncClient, credentials: CredentialService
) -> None:
    body = report({"name": "SecurityCtrlr"}, {"name": "BasicAuthPassword"}, {"value": "short"})

    answer = await put(client, body)

    assert answer.status_code == 400
    assert error_of(answer)["code"] == "invalid_password"
    assert not await credentials.has_password("cp001")
    assert (await client.get(ROUTE, params={"stationId": "cp001"})).json() == []


async def test_get_filters_and_delete_counts(client: httpx.AsyncClient) -> None:
    for connector, state in ((1, "Available"), (2, "Faulted")):
        component = {"name": "Connector", "evse": {"id": 1, "connectorId": connector}}
        body = report(component, {"name": "AvailabilityState"}, {"value": state})
        assert (await put(client, body)).status_code == 200
    query = {"stationId": "cp001", "component_evse_connectorId": "2"}

    found = await client.get(ROUTE, params=query)
    deleted = await client.delete(ROUTE, params=query)
    remaining = await client.get(ROUTE, params={"stationId": "cp001"})

    assert [view["value"] for view in found.json()] == ["Faulted"]
    assert deleted.json() == "1 rows successfully deleted from VariableAttribute"
    assert [view["value"] for view in remaining.json()] == ["Available"]


@pytest.mark.parametrize(
    "params",
    [{}, {"stationId": "cp001", "component_evse_id": "1.0"}, {"stationId": "cp001", "type": "x"}],
)
async def test_bad_queries_are_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    answer = await client.get(ROUTE, params=params)

    assert answer.status_code == 400
    assert error_of(answer)["code"] == "validation_failed"
