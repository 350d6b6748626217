"""Failed-attempt limit and CSMS-side security events of the handshake authenticator
(issue 5 item 4), with real credentials on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.helpers import CountingHasher, FakeClock
from tourmaline.services.auth_throttle import FailedAuthLimiter
from tourmaline.services.authenticator import StationAuthenticatorImpl
from tourmaline.services.credentials import CredentialService
from tourmaline.services.security_audit import SecurityAudit
from tourmaline.services.stations import StationService, StationWrite
from tourmaline.transport.ports import Admission, HandshakeRequest, ListenerInfo

from .test_services_authenticator import PASSWORD, SP1, SP3, basic

LIMIT = 3
WINDOW = 60.0
Event = tuple[str | None, str, str | None]


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def authenticator(
    stations: StationService, credentials: CredentialService, clock: FakeClock, events: list[Event]
) -> StationAuthenticatorImpl:
    audit = SecurityAudit(clock, lambda *event: events.append(event))
    limiter = FailedAuthLimiter(clock, limit=LIMIT, window=WINDOW)
    return StationAuthenticatorImpl(stations, credentials, audit=audit, limiter=limiter)


@pytest.fixture
async def known(stations: StationService, credentials: CredentialService) -> str:
    await stations.upsert("cp001", StationWrite())
    await credentials.set_password("cp001", PASSWORD)
    return "cp001"


async def attempt(
    authenticator: StationAuthenticatorImpl,
    password: str,
    listener: ListenerInfo = SP1,
    station_id: str = "cp001",
) -> Admission:
    return await authenticator.admit(
        HandshakeRequest(station_id, listener, basic(station_id, password))
    )


async def test_after_the_limit_even_the_right_password_waits_and_costs_no_hashing(
    authenticator: StationAuthenticatorImpl,
    known: str,
    hasher: CountingHasher,
    clock: FakeClock,
    events: list[Event],
) -> None:
    for _ in range(LIMIT):
        assert await attempt(authenticator, "wrong-password-123") is Admission.UNAUTHORIZED
    hashed = hasher.verifications

    assert await attempt(authenticator, PASSWORD) is Admission.UNAUTHORIZED
    assert hasher.verifications == hashed
    clock.advance(WINDOW)
    assert await attempt(authenticator, PASSWORD) is Admission.ALLOW

    assert [info for _, _, info in events] == [
        "listener 1 (profile 1): wrong password",
        "listener 1: too many failed Basic-auth attempts; further attempts refused for 60 s",
        "listener 1 (profile 1): refused: too many failed attempts",
    ]
    assert {station for station, _, _ in events} == {known}


async def test_a_locked_station_whose_password_was_verified_recently_still_gets_in(
    authenticator: StationAuthenticatorImpl, known: str, hasher: CountingHasher
) -> None:
    assert await attempt(authenticator, PASSWORD) is Admission.ALLOW
    for _ in range(LIMIT):
        await attempt(authenticator, "wrong-password-123")
    hashed = hasher.verifications

    assert await attempt(authenticator, PASSWORD) is Admission.ALLOW
    assert hasher.verifications == hashed
    assert await attempt(authenticator, "another-wrong-one-1") is Admission.UNAUTHORIZED


async def test_unknown_station_ids_fold_into_one_event_without_a_station(
    authenticator: StationAuthenticatorImpl, events: list[Event]
) -> None:
    for station_id in ("nobody-1", "nobody-2", "nobody-3"):
        verdict = await attempt(authenticator, PASSWORD, station_id=station_id)
        assert verdict is Admission.UNKNOWN_STATION

    assert events == [
        (None, "FailedToAuthenticateAtCsms", "listener 1 (profile 1): unknown station 'nobody-1'")
    ]


async def test_profile_too_low_and_certificate_mismatch_are_recorded(
    authenticator: StationAuthenticatorImpl,
    stations: StationService,
    known: str,
    events: list[Event],
) -> None:
    await stations.upsert(known, StationWrite(min_security_profile=3))

    await attempt(authenticator, PASSWORD)
    await authenticator.admit(HandshakeRequest(known, SP3, None, client_certificate_cn="cp002"))

    assert events == [
        (
            known,
            "FailedToAuthenticateAtCsms",
            "listener 1 (profile 1): listener profile below the station's minimum security profile",
        ),
        (
            known,
            "InvalidChargingStationCertificate",
            "listener 3 (profile 3): client certificate CN does not name the station (CN 'cp002')",
        ),
    ]
