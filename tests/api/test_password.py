"""POST /data/configuration/password rows that need no station answer (interface.md §6): each
refusal is followed by a check that nothing changed. The SetVariables rows run against a
simulated station in tests/integration/test_password_flow.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from tourmaline.api.deps import ApiDeps
from tourmaline.services.credentials import CredentialService
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.stations import StationWrite

from .conftest import FixedClock, error_of

ROUTE = "/data/configuration/password"
ATTRIBUTES = "/data/monitoring/variableAttribute"
PASSWORD = "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L"
EARLIER = "earlier-password-0123456789"


@pytest.fixture
def credentials(sessionmaker: async_sessionmaker[AsyncSession]) -> CredentialService:
    return CredentialService(sessionmaker, FixedClock())


@pytest.fixture
async def deps(
    deps: ApiDeps, sessionmaker: async_sessionmaker[AsyncSession], credentials: CredentialService
) -> AsyncIterator[ApiDeps]:
    deps.device_model = DeviceModelService(sessionmaker, FixedClock(), credentials)
    await deps.stations.upsert("cp001", StationWrite())
    await credentials.set_password("cp001", EARLIER)
    yield deps


async def assert_unchanged(client: httpx.AsyncClient, credentials: CredentialService) -> None:
    assert await credentials.verify("cp001", EARLIER)
    assert not await credentials.verify("cp001", PASSWORD)
    listed = await client.get(ATTRIBUTES, params={"stationId": "cp001"})
    assert listed.json() == []


async def test_set_on_charger_stores_the_password(
    client: httpx.AsyncClient, credentials: CredentialService
) -> None:
    with capture_logs() as logs:
        answer = await client.post(
            ROUTE, json={"stationId": "cp001", "password": PASSWORD, "setOnCharger": True}
        )

    assert answer.status_code == 200
    assert answer.json() == {"success": True, "payload": "Updated 1 attributes"}
    assert await credentials.verify("cp001", PASSWORD)
    assert not await credentials.verify("cp001", EARLIER)
    [view] = (await client.get(ATTRIBUTES, params={"stationId": "cp001"})).json()
    assert (view["variable"]["name"], view["mutability"], view["secret"]) == (
        "BasicAuthPassword",
        "WriteOnly",
        True,
    )
    assert [s["statusInfo"] for s in view["statuses"]] == [{"reasonCode": "SetOnCharger"}]
    assert PASSWORD not in repr(logs)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"stationId": "cp001", "password": "too-short", "setOnCharger": True},
            400,
            "invalid_password",
        ),
        ({"stationId": "cp001", "password": PASSWORD + "ä"}, 400, "invalid_password"),
        ({"stationId": "cp001", "setOnCharger": True}, 400, "password_required"),
        (
            {"stationId": "ghost", "password": PASSWORD, "setOnCharger": True},
            404,
            "station_not_found",
        ),
        ({"stationId": "cp001", "password": PASSWORD}, 409, "station_not_connected"),
        ({"stationId": "cp001"}, 409, "station_not_connected"),
        ({"stationId": "cp001", "password": PASSWORD, "other": 1}, 400, "validation_failed"),
        (
            {"stationId": "cp001", "password": PASSWORD, "setOnCharger": "true"},
            400,
            "validation_failed",
        ),
        ({"password": PASSWORD, "setOnCharger": True}, 400, "validation_failed"),
    ],
)
async def test_refusals_change_nothing(
    client: httpx.AsyncClient,
    credentials: CredentialService,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    answer = await client.post(ROUTE, json=body)

    assert answer.status_code == status
    assert error_of(answer)["code"] == code
    assert PASSWORD not in answer.text
    await assert_unchanged(client, credentials)
