"""ID tokens, local lists and reservations end to end (interface.md §10.2-§10.4): REST and the
message API on one side, a simulated charger over a real WebSocket on the other."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.helpers import eventually
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.sim.station import SimulatedStation

from .conftest import StationFactory

TOKENS = "/data/evdriver/authorization"
RESERVATION = "/data/evdriver/reservation"
SEND_LIST = "/ocpp/2.0.1/evdriver/sendLocalList"


async def command(
    api: httpx.AsyncClient, path: str, payload: JsonObject, station: str = "cp001"
) -> dict[str, Any]:
    response = await api.post(path, params={"identifier": station, "wait": "true"}, json=payload)
    assert response.status_code == 200, response.text
    [result] = response.json()
    return result  # type: ignore[no-any-return]


def actions(station: SimulatedStation) -> list[str]:
    return [action for action, _ in station.received_calls]


async def test_tokens_issued_over_rest_are_authorized_at_the_charger(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp001")
    await station.boot()
    query = {"idToken": "04A2B3C4", "type": "ISO14443"}
    token = {"idToken": query["idToken"], "type": "ISO14443"}
    group = {"idToken": "FLEET", "type": "Central"}
    issued = await api.put(
        TOKENS,
        params=query,
        json={"idToken": token, "idTokenInfo": {"status": "Accepted", "groupIdToken": group}},
    )
    assert issued.status_code == 200, issued.text

    assert await station.authorize("04a2b3c4") == {"status": "Accepted", "groupIdToken": group}
    assert await station.authorize("0000000000000A") == {"status": "Unknown"}
    # Malformed for its type: a business answer, not a CALLERROR.
    assert await station.authorize("04A2B3C") == {"status": "Invalid"}
    assert await station.authorize("", "NoAuthorization") == {"status": "Accepted"}

    await api.put(
        TOKENS, params=query, json={"idToken": token, "idTokenInfo": {"status": "Blocked"}}
    )

    assert await station.authorize("04A2B3C4") == {"status": "Blocked"}


async def test_local_list_full_update_version_mismatch_and_size_limit(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp001")
    await station.boot()
    limit = await api.put(
        "/data/monitoring/variableAttribute",
        params={"stationId": "cp001"},
        json={
            "component": {"name": "LocalAuthListCtrlr"},
            "variable": {"name": "Entries"},
            "variableAttribute": [{"value": "0"}],
            "variableCharacteristics": {
                "dataType": "integer",
                "maxLimit": 2,
                "supportsMonitoring": False,
            },
        },
    )
    assert limit.status_code == 200, limit.text
    answers = iter(["Accepted", "VersionMismatch"])
    station.on("SendLocalList", lambda payload: {"status": next(answers)})
    station.on("GetLocalListVersion", lambda payload: {"versionNumber": 4})
    entry = {
        "idToken": {"idToken": "04A2B3C4", "type": "ISO14443"},
        "idTokenInfo": {"status": "Accepted"},
    }

    full = await command(
        api,
        SEND_LIST,
        {"versionNumber": 1, "updateType": "Full", "localAuthorizationList": [entry]},
    )
    assert full["payload"] == {"status": "Accepted"}
    stored = await api.get("/data/evdriver/localListVersion", params={"stationId": "cp001"})
    assert stored.json() == {"stationId": "cp001", "versionNumber": 1, "authorizations": [entry]}

    mismatch = await command(api, SEND_LIST, {"versionNumber": 2, "updateType": "Differential"})
    assert mismatch["payload"] == {"status": "VersionMismatch"}
    await eventually(lambda: actions(station)[-1:] == ["GetLocalListVersion"])

    async def version() -> Any:
        answer = await api.get("/data/evdriver/localListVersion", params={"stationId": "cp001"})
        return answer.json()

    for _ in range(100):
        if (await version())["versionNumber"] == 4:
            break
        await asyncio.sleep(0.02)
    assert await version() == {"stationId": "cp001", "versionNumber": 4, "authorizations": []}

    many = [
        {
            "idToken": {"idToken": f"0000000{n}", "type": "ISO14443"},
            "idTokenInfo": {"status": "Accepted"},
        }
        for n in range(3)
    ]
    sent_before = len(station.received_calls)
    too_big = await command(
        api, SEND_LIST, {"versionNumber": 5, "updateType": "Full", "localAuthorizationList": many}
    )
    assert too_big == {
        "success": False,
        "payload": "the list would hold 3 entries, over LocalAuthListCtrlr.Entries maxLimit 2",
    }
    assert len(station.received_calls) == sent_before


async def test_reservations_are_stored_answered_cancelled_and_reported(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp001")
    await station.boot()
    answers = iter(["Rejected", "Accepted", "Accepted"])
    station.on("ReserveNow", lambda payload: {"status": next(answers)})
    station.on("CancelReservation", lambda payload: {"status": "Accepted"})
    token = {"idToken": "04A2B3C4", "type": "ISO14443"}

    def reserve(reservation_id: int) -> JsonObject:
        return {
            "id": reservation_id,
            "expiryDateTime": "2099-01-01T00:00:00Z",
            "idToken": token,
            "evseId": 1,
        }

    async def shown(reservation_id: int) -> tuple[Any, Any]:
        answer = await api.get(
            RESERVATION, params={"stationId": "cp001", "id": str(reservation_id)}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["reserveStatus"], answer.json()["isActive"]

    rejected = await command(api, "/ocpp/2.0.1/evdriver/reserveNow", reserve(1))
    assert rejected["payload"] == {"status": "Rejected"}
    assert await shown(1) == ("Rejected", False)
    await command(api, "/ocpp/2.0.1/evdriver/reserveNow", reserve(2))
    await command(api, "/ocpp/2.0.1/evdriver/reserveNow", reserve(3))
    assert await shown(2) == ("Accepted", True)

    unknown = await command(api, "/ocpp/2.0.1/evdriver/cancelReservation", {"reservationId": 9})
    assert unknown == {"success": False, "payload": "Reservation 9 not found for station cp001"}
    assert "CancelReservation" not in actions(station)
    cancelled = await command(api, "/ocpp/2.0.1/evdriver/cancelReservation", {"reservationId": 2})
    assert cancelled["payload"] == {"status": "Accepted"}
    assert await shown(2) == ("Accepted", False)

    assert await station.reservation_status_update(3, "Expired") == {}
    assert await station.reservation_status_update(99, "Removed") == {}
    assert await shown(3) == ("Accepted", False)
    active = await api.get(RESERVATION, params={"stationId": "cp001", "isActive": "true"})
    assert active.json() == []
