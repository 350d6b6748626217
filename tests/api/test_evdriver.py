"""/data/evdriver/* (interface.md §8.2): ID token CRUD with its errors, restrictions, the
local-list version and reservations, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.api.deps import ApiDeps
from tourmaline.services.local_lists import LocalListService
from tourmaline.services.reservations import ReservationService
from tourmaline.services.tokens import TokenStore

from .conftest import FixedClock, error_of

ROUTE = "/data/evdriver/authorization"
RESTRICTIONS = "/data/evdriver/authorizationRestrictions"
RFID = {"idToken": "04A2B3C4", "type": "ISO14443"}
QUERY = {"idToken": "04A2B3C4", "type": "ISO14443"}


@pytest.fixture
async def deps(
    deps: ApiDeps, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[ApiDeps]:
    deps.tokens = TokenStore(sessionmaker, FixedClock())
    deps.local_lists = LocalListService(sessionmaker, FixedClock())
    deps.reservations = ReservationService(sessionmaker, FixedClock())
    yield deps


def body(token: dict[str, Any] = RFID, **info: Any) -> dict[str, Any]:
    return {"idToken": token, "idTokenInfo": {"status": "Accepted", **info}}


async def put(
    client: httpx.AsyncClient, payload: Any, query: dict[str, str] = QUERY
) -> httpx.Response:
    return await client.put(ROUTE, params=query, json=payload)


async def test_an_operator_issues_reads_blocks_and_deletes_a_token(
    client: httpx.AsyncClient,
) -> None:
    created = await put(
        client,
        {
            **body(groupIdToken={"idToken": "FLEET-1", "type": "Central"}, language1="de"),
            "concurrentTransaction": True,
        },
    )
    assert created.status_code == 200, created.text
    stored = created.json()
    assert stored["idToken"] == RFID
    assert stored["idTokenInfo"] == {
        "status": "Accepted",
        "language1": "de",
        "groupIdToken": {"idToken": "FLEET-1", "type": "Central"},
    }
    assert stored["concurrentTransaction"] is True

    blocked = await put(client, body() | {"idTokenInfo": {"status": "Blocked"}})
    assert blocked.json()["idTokenInfo"] == {"status": "Blocked"}
    assert blocked.json()["id"] == stored["id"]
    assert blocked.json()["concurrentTransaction"] is True  # absent: kept

    fetched = await client.get(ROUTE, params={"idToken": "04a2b3c4", "type": "ISO14443"})
    assert fetched.status_code == 200
    assert fetched.json()["idTokenInfo"]["status"] == "Blocked"

    deleted = await client.delete(ROUTE, params=QUERY)
    assert deleted.status_code == 200
    assert deleted.json()["id"] == stored["id"]
    missing = await client.get(ROUTE, params=QUERY)
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "authorization_not_found"
    assert (await client.delete(ROUTE, params=QUERY)).status_code == 404


async def test_the_list_filters_by_status_type_and_search(client: httpx.AsyncClient) -> None:
    tokens = [
        ({"idToken": "04A2B3C4", "type": "ISO14443"}, "Accepted"),
        ({"idToken": "04FFFFFF", "type": "ISO14443"}, "Blocked"),
        ({"idToken": "fleet_04", "type": "Central"}, "Accepted"),
    ]
    for token, status in tokens:
        response = await put(client, body(token) | {"idTokenInfo": {"status": status}}, token)
        assert response.status_code == 200, response.text

    async def listed(**params: Any) -> list[str]:
        response = await client.get(ROUTE, params=params)
        assert response.status_code == 200, response.text
        return [item["idToken"]["idToken"] for item in response.json()]

    assert await listed() == ["04A2B3C4", "04FFFFFF", "fleet_04"]
    assert await listed(status="Accepted") == ["04A2B3C4", "fleet_04"]
    assert await listed(type="Central") == ["fleet_04"]
    assert await listed(search="04") == ["04A2B3C4", "04FFFFFF", "fleet_04"]
    assert await listed(search="T_0") == ["fleet_04"]
    assert await listed(search="%") == []
    assert await listed(limit=1, offset=1) == ["04FFFFFF"]
    assert await listed(idToken="04A2B3C4") == ["04A2B3C4"]


BAD_PUTS = [
    (body({"idToken": "04A2B3C5", "type": "ISO14443"}), QUERY, "body.idToken.idToken"),
    (body({"idToken": "04A2B3C4", "type": "Local"}), QUERY, "body.idToken.type"),
    (body(RFID, status="Fine"), QUERY, "body.idTokenInfo.status"),
    (body(RFID, chargingPriority=10), QUERY, "body.idTokenInfo.chargingPriority"),
    (body(RFID, chargingPriority="1"), QUERY, "body.idTokenInfo.chargingPriority"),
    (body(RFID, language2="en"), QUERY, "body.idTokenInfo"),
    (
        body(RFID, cacheExpiryDateTime="2026-01-01T00:00:00"),
        QUERY,
        "body.idTokenInfo.cacheExpiryDateTime",
    ),
    (
        body(RFID, groupIdToken={"idToken": "123", "type": "ISO15693"}),
        QUERY,
        "body.idTokenInfo.groupIdToken",
    ),
    (
        body(RFID, personalMessage={"format": "Morse", "content": "..."}),
        QUERY,
        "body.idTokenInfo.personalMessage.format",
    ),
    (body(RFID) | {"extra": 1}, QUERY, "body.extra"),
    (
        body({"idToken": "04A2B3C", "type": "ISO14443"}),
        {"idToken": "04A2B3C", "type": "ISO14443"},
        "body.idToken",
    ),
    (body(), {"idToken": "04A2B3C4", "type": "RFID"}, "query.type"),
    (body(), {"idToken": "04A2B3C4"}, "query.type"),
]


async def test_bad_puts_are_400_and_store_nothing(client: httpx.AsyncClient) -> None:
    for payload, query, path in BAD_PUTS:
        response = await put(client, payload, query)

        assert response.status_code == 400, response.text
        error = error_of(response)
        assert error["code"] == "validation_failed"
        details: list[dict[str, str]] = error["details"]  # type: ignore[assignment]
        assert path in [detail["path"] for detail in details], (path, error)
    assert (await client.get(ROUTE)).json() == []


async def test_restrictions_are_set_cleared_and_validated(client: httpx.AsyncClient) -> None:
    missing = await client.put(RESTRICTIONS, params=QUERY, json={})
    assert missing.status_code == 404
    await put(client, body())

    restricted = await client.put(
        RESTRICTIONS,
        params=QUERY,
        json={"allowedConnectorTypes": ["cCCS2", "cGBT"], "disallowedEvseIdPrefixes": ["NL*"]},
    )
    assert restricted.status_code == 200, restricted.text
    assert restricted.json()["allowedConnectorTypes"] == ["cCCS2", "cGBT"]
    assert restricted.json()["disallowedEvseIdPrefixes"] == ["NL*"]
    # Replacing the token's authorization data keeps its restrictions.
    assert (await put(client, body())).json()["allowedConnectorTypes"] == ["cCCS2", "cGBT"]

    for bad in ({"allowedConnectorTypes": []}, {"allowedConnectorTypes": "cCCS2"}, {"x": None}):
        response = await client.put(RESTRICTIONS, params=QUERY, json=bad)
        assert response.status_code == 400, bad

    cleared = await client.put(RESTRICTIONS, params=QUERY, json={})
    assert cleared.json()["allowedConnectorTypes"] is None


async def test_local_list_version_is_null_until_a_list_was_accepted(
    client: httpx.AsyncClient, deps: ApiDeps
) -> None:
    query = {"stationId": "cp001"}
    empty = await client.get("/data/evdriver/localListVersion", params=query)
    assert (empty.status_code, empty.json()) == (200, None)

    assert deps.local_lists is not None
    await deps.local_lists.on_version_result("cp001", {"versionNumber": 0})

    known = await client.get("/data/evdriver/localListVersion", params=query)
    assert known.json() == {"stationId": "cp001", "versionNumber": 0, "authorizations": []}
    bad = await client.get("/data/evdriver/localListVersion")
    assert bad.status_code == 400


async def test_reservations_are_listed_and_missing_ones_are_404(
    client: httpx.AsyncClient, deps: ApiDeps
) -> None:
    assert deps.reservations is not None
    payload = {"id": 3, "expiryDateTime": "2025-03-01T13:00:00Z", "idToken": RFID, "evseId": 1}
    assert await deps.reservations.check_outbound("cp001", "ReserveNow", payload) is None
    await deps.reservations.on_reserve_result("cp001", payload, {"status": "Accepted"})

    one = await client.get("/data/evdriver/reservation", params={"stationId": "cp001", "id": "3"})
    assert one.status_code == 200
    assert one.json() | {"createdAt": None, "updatedAt": None} == {
        "id": 3,
        "stationId": "cp001",
        "expiryDateTime": "2025-03-01T13:00:00Z",
        "connectorType": None,
        "evseId": 1,
        "idToken": RFID,
        "groupIdToken": None,
        "reserveStatus": "Accepted",
        "isActive": True,
        "endedReason": None,
        "terminatedByTransaction": None,
        "createdAt": None,
        "updatedAt": None,
    }
    active = await client.get(
        "/data/evdriver/reservation", params={"stationId": "cp001", "isActive": "true"}
    )
    assert [item["id"] for item in active.json()] == [3]
    missing = await client.get(
        "/data/evdriver/reservation", params={"stationId": "cp001", "id": "4"}
    )
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "reservation_not_found"
    bad = await client.get(
        "/data/evdriver/reservation", params={"stationId": "cp001", "isActive": "1"}
    )
    assert bad.status_code == 400
