"""Handshake verdicts (interface.md §2.2 steps 2-5, §2.4), one test per rule."""

from __future__ import annotations

import base64

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.db.models import StationCredential
from tourmaline.services.authenticator import StationAuthenticatorImpl, parse_basic_authorization
from tourmaline.services.credentials import CredentialService, UnreadableCredentialError
from tourmaline.services.stations import StationService, StationWrite
from tourmaline.transport.ports import Admission, HandshakeRequest, ListenerInfo

PASSWORD = "s3cret:with-a-colon"
OPEN = ListenerInfo(id="0", security_profile=0, allow_unknown_stations=True)
CLOSED_SP0 = ListenerInfo(id="0c", security_profile=0, allow_unknown_stations=False)
SP1 = ListenerInfo(id="1", security_profile=1, allow_unknown_stations=False)
SP2 = ListenerInfo(id="2", security_profile=2, allow_unknown_stations=False)
SP3 = ListenerInfo(id="3", security_profile=3, allow_unknown_stations=False)


def basic(user: str, password: str, scheme: str = "Basic") -> str:
    return f"{scheme} " + base64.b64encode(f"{user}:{password}".encode()).decode()


def failures(reason: str) -> float:
    value = REGISTRY.get_sample_value("tourmaline_auth_failures_total", {"reason": reason})
    return value or 0.0


@pytest.fixture
def authenticator(
    stations: StationService, credentials: CredentialService
) -> StationAuthenticatorImpl:
    return StationAuthenticatorImpl(stations, credentials)


@pytest.fixture
async def known(stations: StationService, credentials: CredentialService) -> str:
    await stations.upsert("cp001", StationWrite())
    await credentials.set_password("cp001", PASSWORD)
    return "cp001"


async def admit(
    authenticator: StationAuthenticatorImpl,
    listener: ListenerInfo,
    station_id: str = "cp001",
    authorization: str | None = None,
    cn: str | None = None,
) -> Admission:
    request = HandshakeRequest(station_id, listener, authorization, client_certificate_cn=cn)
    return await authenticator.admit(request)


async def test_unknown_station_is_allowed_only_where_the_listener_allows_it(
    authenticator: StationAuthenticatorImpl,
) -> None:
    before = failures("unknown_station")

    assert await admit(authenticator, OPEN, "cp-new") is Admission.ALLOW
    assert await admit(authenticator, CLOSED_SP0, "cp-new") is Admission.UNKNOWN_STATION
    assert await admit(authenticator, SP1, "cp-new", basic("cp-new", PASSWORD)) is (
        Admission.UNKNOWN_STATION
    )
    assert failures("unknown_station") == before + 2


async def test_known_station_on_profile_0_needs_no_credentials(
    authenticator: StationAuthenticatorImpl, known: str
) -> None:
    assert await admit(authenticator, CLOSED_SP0, known) is Admission.ALLOW


async def test_minimum_security_profile_above_the_listener_is_refused(
    authenticator: StationAuthenticatorImpl, stations: StationService, known: str
) -> None:
    await stations.upsert(known, StationWrite(min_security_profile=2))
    before = failures("security_profile_too_low")

    assert await admit(authenticator, OPEN, known) is Admission.UNAUTHORIZED
    assert await admit(authenticator, SP1, known, basic(known, PASSWORD)) is Admission.UNAUTHORIZED
    assert await admit(authenticator, SP2, known, basic(known, PASSWORD)) is Admission.ALLOW
    assert failures("security_profile_too_low") == before + 2


@pytest.mark.parametrize("scheme", ["Basic", "basic", "BASIC"])
async def test_right_password_is_allowed_on_profiles_1_and_2(
    authenticator: StationAuthenticatorImpl, known: str, scheme: str
) -> None:
    header = basic(known, PASSWORD, scheme)

    assert await admit(authenticator, SP1, known, header) is Admission.ALLOW
    assert await admit(authenticator, SP2, known, header) is Admission.ALLOW


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing_or_malformed_authorization"),
        ("Bearer abc", "missing_or_malformed_authorization"),
        ("Basic !!!not-base64!!!", "missing_or_malformed_authorization"),
        (
            "Basic " + base64.b64encode(b"no-colon-here").decode(),
            "missing_or_malformed_authorization",
        ),
        ("Basic " + base64.b64encode(b"\xff\xfe:x").decode(), "missing_or_malformed_authorization"),
        (basic("cp002", PASSWORD), "user_mismatch"),
        (basic("cp001", "wrong-password-123"), "invalid_credentials"),
        (basic("cp001", "s3cret"), "invalid_credentials"),
    ],
)
async def test_bad_credentials_are_refused_and_counted(
    authenticator: StationAuthenticatorImpl, known: str, header: str | None, reason: str
) -> None:
    before = failures(reason)

    assert await admit(authenticator, SP1, known, header) is Admission.UNAUTHORIZED
    assert failures(reason) == before + 1


async def test_station_without_a_stored_credential_is_refused(
    authenticator: StationAuthenticatorImpl, stations: StationService
) -> None:
    await stations.upsert("cp-nopw", StationWrite())

    verdict = await admit(authenticator, SP1, "cp-nopw", basic("cp-nopw", PASSWORD))

    assert verdict is Admission.UNAUTHORIZED


async def test_unreadable_stored_credential_raises_for_a_500(
    authenticator: StationAuthenticatorImpl,
    stations: StationService,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
) -> None:
    await stations.upsert("cp-bad", StationWrite())
    async with sessionmaker.begin() as session:
        session.add(
            StationCredential(station_id="cp-bad", password_hash="???", updated_at=clock.now())
        )

    with pytest.raises(UnreadableCredentialError):
        await admit(authenticator, SP1, "cp-bad", basic("cp-bad", PASSWORD))


async def test_profile_3_compares_the_certificate_cn_with_the_station_id(
    authenticator: StationAuthenticatorImpl, known: str
) -> None:
    assert await admit(authenticator, SP3, known, cn=known) is Admission.ALLOW
    assert await admit(authenticator, SP3, known, cn="cp002") is Admission.UNAUTHORIZED
    assert await admit(authenticator, SP3, known, cn=None) is Admission.UNAUTHORIZED


def test_basic_header_splits_at_the_first_colon() -> None:
    header = basic("cp001", "a:b:c")

    assert parse_basic_authorization(header) == ("cp001", "a:b:c")
    assert parse_basic_authorization("  basic   " + header.split()[1]) == ("cp001", "a:b:c")
