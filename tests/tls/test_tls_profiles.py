"""Security profiles 2 and 3 over real TLS handshakes (interface.md §2.2 steps 0-5, §2.5;
OCTT TC_A_01-03 over TLS, TC_A_07, TC_A_08), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64

import pytest
from websockets.exceptions import InvalidMessage, InvalidStatus

from tourmaline.ocpp.security_events import (
    FAILED_TO_AUTHENTICATE_AT_CSMS,
    INVALID_CHARGING_STATION_CERTIFICATE,
)
from tourmaline.runtime import Runtime

from .conftest import (
    OTHER_STATION,
    PASSWORD,
    SP1,
    SP2,
    SP3,
    STATION,
    ClientCertificate,
    Pki,
    SecurityEvents,
    StationOpener,
    add_station,
    client_context,
)

WRONG_PASSWORD = "WrongPassword-0000000000"


async def test_profile_2_accepts_the_right_password_over_tls(
    runtime: Runtime, open_station: StationOpener, pki: Pki
) -> None:
    await add_station(runtime, STATION)

    station = await open_station(runtime, SP2, STATION, client_context(pki), password=PASSWORD)

    assert (await station.boot())["status"] == "Accepted"
    assert station.url.startswith("wss://")


async def test_profile_2_refuses_a_wrong_password_with_401_and_records_it(
    runtime: Runtime, open_station: StationOpener, pki: Pki, security_events: SecurityEvents
) -> None:
    await add_station(runtime, STATION)

    with pytest.raises(InvalidStatus) as refused:
        await open_station(runtime, SP2, STATION, client_context(pki), password=WRONG_PASSWORD)

    assert refused.value.response.status_code == 401
    [(station_id, _, tech_info)] = security_events.of_type(FAILED_TO_AUTHENTICATE_AT_CSMS)
    assert station_id == STATION
    assert tech_info == "listener 2 (profile 2): wrong password"


async def test_profile_3_accepts_a_certificate_for_this_station(
    runtime: Runtime, open_station: StationOpener, pki: Pki
) -> None:
    await add_station(runtime, STATION, password=None)

    station = await open_station(runtime, SP3, STATION, client_context(pki, pki.valid))

    assert (await station.boot())["status"] == "Accepted"


async def test_profile_3_refuses_a_certificate_of_another_station_with_401(
    runtime: Runtime, open_station: StationOpener, pki: Pki, security_events: SecurityEvents
) -> None:
    await add_station(runtime, STATION, password=None)

    with pytest.raises(InvalidStatus) as refused:
        await open_station(runtime, SP3, STATION, client_context(pki, pki.other_station))

    assert refused.value.response.status_code == 401
    [(station_id, _, tech_info)] = security_events.of_type(INVALID_CHARGING_STATION_CERTIFICATE)
    assert station_id == STATION
    assert tech_info is not None and repr(OTHER_STATION) in tech_info


@pytest.mark.parametrize(
    ("certificate", "reason"),
    [
        ("expired", "client certificate: certificate has expired"),
        ("unknown_ca", "client certificate: self-signed certificate in certificate chain"),
        (None, "no client certificate"),
    ],
)
async def test_profile_3_ends_the_tls_handshake_for_an_unusable_certificate(
    runtime: Runtime,
    open_station: StationOpener,
    pki: Pki,
    security_events: SecurityEvents,
    certificate: str | None,
    reason: str,
) -> None:
    await add_station(runtime, STATION, password=None)
    presented: ClientCertificate | None = getattr(pki, certificate) if certificate else None

    # TLS 1.3 clients finish their side of the handshake before the server has judged their
    # certificate, so the refusal shows up as a connection closed before any HTTP answer.
    with pytest.raises((InvalidMessage, OSError)):
        await open_station(runtime, SP3, STATION, client_context(pki, presented))

    assert security_events.events == [
        (None, INVALID_CHARGING_STATION_CERTIFICATE, f"listener {SP3}: {reason}")
    ]


async def test_a_station_moves_from_profile_1_to_2_to_3_and_cannot_fall_back(
    runtime: Runtime, open_station: StationOpener, pki: Pki
) -> None:
    """The lab story of issue 5: the same station on each listener in turn; once its minimum
    profile is raised, the lower listeners refuse it (interface.md §2.2 step 3)."""
    await add_station(runtime, STATION)
    url_sp1 = runtime.station_url(SP1, STATION)
    assert url_sp1.startswith("ws://")

    station = await open_station(runtime, SP2, STATION, client_context(pki), password=PASSWORD)
    assert (await station.boot())["status"] == "Accepted"
    await station.close()
    await add_station(runtime, STATION, password=None, min_profile=3)

    with pytest.raises(InvalidStatus) as refused:
        await open_station(runtime, SP2, STATION, client_context(pki), password=PASSWORD)
    assert refused.value.response.status_code == 401
    station = await open_station(runtime, SP3, STATION, client_context(pki, pki.valid))
    assert (await station.heartbeat())["currentTime"]


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
