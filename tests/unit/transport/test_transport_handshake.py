"""Station identity, handshake refusals and subprotocol selection (interface.md §1, §2.1-§2.3)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from tests.unit.transport.fakes import Harness
from tourmaline.transport.identity import InvalidStationId, station_id_from_path
from tourmaline.transport.ports import Admission

CHALLENGE = 'Basic realm="Access to the WebSocket", charset="UTF-8"'


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/cp001", "cp001"),
        ("/ocpp/v201/cp001", "cp001"),
        ("/ocpp/cp%20001", "cp 001"),
        ("/ocpp/cp001?tenant=1&x=/y", "cp001"),
        ("/CP001", "CP001"),
        ("/" + "x" * 48, "x" * 48),
        ("/caf%C3%A9", "café"),
    ],
)
def test_station_id_is_the_decoded_last_segment(path: str, expected: str) -> None:
    assert station_id_from_path(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/ocpp/",
        "/" + "x" * 49,
        "/a:b",
        "/a%3Ab",
        "/a%2Fb",
        "/cp%0A1",
        "/cp%7F",
        "/%FF",
        "/?x=1",
    ],
)
def test_unusable_station_ids_are_refused(path: str) -> None:
    with pytest.raises(InvalidStationId):
        station_id_from_path(path)


async def refusal(url: str, **kwargs: object) -> tuple[int, Headers, bytes]:
    with pytest.raises(InvalidStatus) as caught:
        async with connect(url, open_timeout=5, **kwargs):  # type: ignore[arg-type]
            pass
    response = caught.value.response
    return response.status_code, response.headers, bytes(response.body)


async def test_prefix_query_and_percent_encoding_name_the_station(harness: Harness) -> None:
    async with harness.station("/some/prefix/cp%20001?tenantId=1"):
        pass

    assert harness.hooks.links[0].station_id == "cp 001"
    assert harness.authenticator.requests[0].station_id == "cp 001"


@pytest.mark.parametrize("path", ["/ocpp/" + "x" * 49, "/ocpp/a:b", "/ocpp/a%3Ab"])
async def test_invalid_station_id_gets_400_before_authentication(
    harness: Harness, path: str
) -> None:
    status, _, _ = await refusal(harness.url(path), subprotocols=["ocpp2.0.1"])

    assert status == 400
    assert harness.authenticator.requests == []


async def test_unknown_station_gets_404_with_empty_body(harness: Harness) -> None:
    harness.authenticator.verdicts["cp001"] = Admission.UNKNOWN_STATION

    status, _, body = await refusal(harness.url(), subprotocols=["ocpp2.0.1"])

    assert (status, body) == (404, b"")
    assert harness.hooks.links == []


async def test_unauthorized_station_gets_401_with_basic_challenge(harness: Harness) -> None:
    harness.authenticator.verdicts["cp001"] = Admission.UNAUTHORIZED

    status, headers, _ = await refusal(
        harness.url(),
        subprotocols=["ocpp2.0.1"],
        additional_headers={"Authorization": "Basic Y3AwMDE6d3Jvbmc="},
    )

    assert status == 401
    assert headers["WWW-Authenticate"] == CHALLENGE
    assert harness.authenticator.requests[0].authorization == "Basic Y3AwMDE6d3Jvbmc="


async def test_authentication_is_checked_before_the_subprotocol(harness: Harness) -> None:
    harness.authenticator.verdicts["cp001"] = Admission.UNAUTHORIZED

    status, _, _ = await refusal(harness.url(), subprotocols=["ocpp1.6"])

    assert status == 401


async def test_authenticator_failure_gets_500(harness: Harness) -> None:
    harness.authenticator.fail = True

    status, _, _ = await refusal(harness.url(), subprotocols=["ocpp2.0.1"])

    assert status == 500


async def test_profile_0_listener_still_asks_the_authenticator(harness: Harness) -> None:
    async with harness.station():
        pass

    (request,) = harness.authenticator.requests
    assert request.listener.security_profile == 0
    assert request.authorization is None
    assert request.client_certificate_cn is None


async def test_syntactically_invalid_subprotocol_header_gets_400(harness: Harness) -> None:
    status, _, _ = await refusal(
        harness.url(), additional_headers={"Sec-WebSocket-Protocol": "ocpp 2.0.1"}
    )

    assert status == 400


@pytest.mark.parametrize("offered", [None, ["ocpp1.6"], ["OCPP2.0.1"]])
async def test_unsupported_subprotocol_completes_then_closes_1002(
    harness: Harness, offered: list[str] | None
) -> None:
    async with connect(harness.url(), subprotocols=offered, open_timeout=5) as client:  # type: ignore[arg-type]
        assert client.subprotocol is None
        assert "Sec-WebSocket-Protocol" not in client.response.headers
        with pytest.raises(ConnectionClosedError):
            await asyncio.wait_for(client.recv(), 5)

    assert client.close_code == 1002
    assert client.close_reason == "Unsupported subprotocol"
    assert harness.hooks.links == []
    assert harness.hooks.closes == []


async def test_ocpp201_is_selected_among_other_offers(harness: Harness) -> None:
    async with harness.station(subprotocols=["ocpp1.6", "ocpp2.0.1"]) as client:
        assert client.subprotocol == "ocpp2.0.1"
        assert harness.hooks.link.subprotocol == "ocpp2.0.1"


async def test_plain_http_health_and_not_found(harness: Harness) -> None:
    base = f"http://127.0.0.1:{harness.server.port}"
    async with httpx.AsyncClient() as client:
        health = await client.get(f"{base}/health")
        other = await client.get(f"{base}/ocpp/cp001")

    assert (health.status_code, health.json()) == (200, {"status": "healthy"})
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/json"
    assert "error" in other.json()
    assert harness.authenticator.requests == []
