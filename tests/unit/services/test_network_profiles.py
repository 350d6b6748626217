"""SetNetworkProfile records and the security-profile upgrade on a real database (OCPP A05,
OCTT TC_A_19; interface.md §7.4 `configuration/setNetworkProfile`, §2.2 step 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.services.network_profiles import NetworkProfileRequests, NetworkProfileService
from tourmaline.services.stations import StationService, StationWrite

STATION = "cp001"


@dataclass
class Queued:
    """What the message API got back for one identifier (a CommandResult's message id)."""

    message_id: str | None


def profile_request(security_profile: int, slot: int = 1) -> dict[str, Any]:
    return {
        "configurationSlot": slot,
        "connectionData": {
            "ocppVersion": "OCPP20",
            "ocppTransport": "JSON",
            "ocppCsmsUrl": "wss://csms.example:8443/",
            "messageTimeout": 30,
            "securityProfile": security_profile,
            "ocppInterface": "Wired0",
            "apn": {"apn": "internet", "apnPassword": "apn-secret", "apnAuthentication": "AUTO"},
            "vpn": {
                "server": "vpn.example",
                "user": "cp",
                "password": "vpn-secret",
                "key": "k",
                "type": "IPSec",
            },
        },
    }


@pytest.fixture
def profiles(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> NetworkProfileService:
    return NetworkProfileService(sessionmaker, clock)


@pytest.fixture
async def station(stations: StationService) -> StationService:
    await stations.upsert(STATION, StationWrite())
    return stations


async def minimum(stations: StationService) -> int | None:
    return await stations.min_security_profile(STATION)


async def sent_and_answered(
    profiles: NetworkProfileService, listener: str | None, status: str, security_profile: int = 1
) -> None:
    request = profile_request(security_profile)
    await profiles.record_requests([STATION], request, listener)
    await profiles.on_answer(STATION, request, {"status": status})


async def test_the_record_keeps_no_secrets(profiles: NetworkProfileService) -> None:
    await sent_and_answered(profiles, "2", "Accepted", 2)

    [record] = await profiles.search(STATION)
    connection = record["connectionData"]
    assert connection["apn"]["apnPassword"] == "***"
    assert connection["vpn"]["password"] == "***"
    assert connection["vpn"]["user"] == "cp"
    assert record == {
        "id": record["id"],
        "stationId": STATION,
        "configurationSlot": 1,
        "securityProfile": 2,
        "connectionData": connection,
        "requestedAt": "2026-01-02T03:04:05Z",
        "websocketServerConfigId": "2",
        "status": "Accepted",
        "answeredAt": "2026-01-02T03:04:05Z",
    }


async def test_connecting_on_the_accepted_listener_raises_the_minimum_once(
    profiles: NetworkProfileService, station: StationService
) -> None:
    await sent_and_answered(profiles, "1", "Accepted")

    assert await profiles.apply_upgrade(STATION, "1", 1) == 1
    assert await minimum(station) == 1
    [record] = await profiles.search(STATION)
    assert record["appliedAt"] == "2026-01-02T03:04:05Z"
    assert await profiles.apply_upgrade(STATION, "1", 1) is None


async def test_another_listener_does_not_raise_the_minimum(
    profiles: NetworkProfileService, station: StationService
) -> None:
    await sent_and_answered(profiles, "2", "Accepted")

    assert await profiles.apply_upgrade(STATION, "1", 1) is None
    assert await minimum(station) == 0


@pytest.mark.parametrize("status", ["Rejected", "Failed"])
async def test_a_refused_profile_changes_nothing(
    profiles: NetworkProfileService, station: StationService, status: str
) -> None:
    await sent_and_answered(profiles, "1", status)

    assert await profiles.apply_upgrade(STATION, "1", 1) is None
    assert await minimum(station) == 0


async def test_without_a_listener_the_profile_number_decides(
    profiles: NetworkProfileService, station: StationService
) -> None:
    await sent_and_answered(profiles, None, "Accepted", security_profile=2)

    assert await profiles.apply_upgrade(STATION, "1", 1) is None
    assert await profiles.apply_upgrade(STATION, "tls", 2) == 2
    assert await minimum(station) == 2


async def test_the_minimum_is_never_lowered(
    profiles: NetworkProfileService, stations: StationService
) -> None:
    await stations.upsert(STATION, StationWrite(min_security_profile=2))
    await sent_and_answered(profiles, "1", "Accepted")

    assert await profiles.apply_upgrade(STATION, "1", 1) is None
    assert await minimum(stations) == 2


async def test_an_answer_to_a_call_sent_elsewhere_is_recorded_without_a_listener(
    profiles: NetworkProfileService,
) -> None:
    await profiles.on_answer(STATION, profile_request(1, slot=2), {"status": "Accepted"})

    [record] = await profiles.search(STATION)
    assert (record["configurationSlot"], record["status"]) == (2, "Accepted")
    assert "websocketServerConfigId" not in record


async def test_calls_that_were_never_sent_are_forgotten(profiles: NetworkProfileService) -> None:
    bracket = NetworkProfileRequests(profiles, "1")
    await bracket.before(["cp001", "cp002"], profile_request(1))

    await bracket.after([Queued("m-1"), Queued(None)])

    assert len(await profiles.search("cp001")) == 1
    assert await profiles.search("cp002") == []
