"""DELETE /data/ocpprouter/connection (interface.md §2.8, §8.2)."""

from __future__ import annotations

import httpx

from tourmaline.api.deps import ApiDeps

from .conftest import FakeLink, error_of


async def test_disconnect_closes_the_live_socket(
    client: httpx.AsyncClient, deps: ApiDeps, live_link: FakeLink
) -> None:
    response = await client.delete("/data/ocpprouter/connection", params={"stationId": "cp-live"})
    assert response.status_code == 200
    assert response.json() is True
    assert live_link.closed_with == (1000, "Disconnected by admin request")
    assert not await deps.connections.is_connected("cp-live")


async def test_disconnect_without_a_connection_is_404(client: httpx.AsyncClient) -> None:
    response = await client.delete("/data/ocpprouter/connection", params={"stationId": "cp-gone"})
    assert response.status_code == 404
    assert error_of(response) == {
        "statusCode": 404,
        "error": "Not Found",
        "code": "station_not_connected",
        "message": "Charging station cp-gone is not connected",
    }


async def test_disconnect_twice_is_404_the_second_time(
    client: httpx.AsyncClient, live_link: FakeLink
) -> None:
    first = await client.delete("/data/ocpprouter/connection", params={"stationId": "cp-live"})
    second = await client.delete("/data/ocpprouter/connection", params={"stationId": "cp-live"})
    assert (first.status_code, second.status_code) == (200, 404)


async def test_disconnect_needs_a_station_id(client: httpx.AsyncClient) -> None:
    response = await client.delete("/data/ocpprouter/connection")
    assert response.status_code == 400
    assert error_of(response)["details"] == [
        {"path": "query.stationId", "message": "Field required", "type": "missing"}
    ]
