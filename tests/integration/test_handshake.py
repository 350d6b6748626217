"""The upgrade request is refused or accepted exactly as interface.md §2 says."""

from __future__ import annotations

import asyncio
import base64

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tourmaline.runtime import Runtime

from .conftest import AUTH, OPEN, StationFactory

PASSWORD = "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def refusal_status(url: str, **kwargs: object) -> tuple[int, Headers]:
    with pytest.raises(InvalidStatus) as caught:
        async with ws_connect(url, open_timeout=5, **kwargs):
            pass
    response = caught.value.response
    return response.status_code, response.headers


async def add_station(runtime: Runtime, station_id: str, password: str | None) -> None:
    from tourmaline.admin import add_station as admin_add

    await admin_add(runtime.settings, station_id, password, False, 0)


async def test_unknown_station_is_refused_with_404_on_the_auth_listener(runtime: Runtime) -> None:
    status, _ = await refusal_status(
        runtime.station_url(AUTH, "stranger"),
        subprotocols=["ocpp2.0.1"],
        additional_headers={"Authorization": basic("stranger", PASSWORD)},
    )
    assert status == 404


async def test_right_password_connects_on_the_auth_listener(
    runtime: Runtime, connect: StationFactory
) -> None:
    await add_station(runtime, "cp-auth", PASSWORD)

    station = await connect("cp-auth", listener=AUTH, password=PASSWORD)

    assert (await station.boot())["status"] == "Accepted"


@pytest.mark.parametrize(
    ("user", "password"),
    [("cp-auth", "WrongPassword0000000000"), ("someone-else", PASSWORD), ("cp-auth", "")],
)
async def test_wrong_credentials_get_401_with_basic_challenge(
    runtime: Runtime, user: str, password: str
) -> None:
    await add_station(runtime, "cp-auth", PASSWORD)

    status, headers = await refusal_status(
        runtime.station_url(AUTH, "cp-auth"),
        subprotocols=["ocpp2.0.1"],
        additional_headers={"Authorization": basic(user, password)},
    )

    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="Access to the WebSocket", charset="UTF-8"'


async def test_missing_authorization_gets_401(runtime: Runtime) -> None:
    await add_station(runtime, "cp-auth", PASSWORD)

    status, _ = await refusal_status(
        runtime.station_url(AUTH, "cp-auth"), subprotocols=["ocpp2.0.1"]
    )

    assert status == 401


async def test_wrong_password_and_wrong_subprotocol_gives_401(runtime: Runtime) -> None:
    await add_station(runtime, "cp-auth", PASSWORD)

    status, _ = await refusal_status(
        runtime.station_url(AUTH, "cp-auth"),
        subprotocols=["ocpp1.6"],
        additional_headers={"Authorization": basic("cp-auth", "x" * 20)},
    )

    assert status == 401


@pytest.mark.parametrize("offered", [None, ["ocpp1.6"], ["OCPP2.0.1"]])
async def test_missing_or_wrong_subprotocol_is_closed_with_1002(
    runtime: Runtime, offered: list[str] | None
) -> None:
    kwargs = {"subprotocols": offered} if offered else {}
    async with ws_connect(runtime.station_url(OPEN, "cp-sub"), open_timeout=5, **kwargs) as ws:
        assert ws.subprotocol is None
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), timeout=5)
        assert ws.close_code == 1002
    assert await runtime.connections.is_connected("cp-sub") is False


async def test_station_id_is_the_last_percent_decoded_path_segment(
    runtime: Runtime, connect: StationFactory
) -> None:
    url = runtime.station_url(OPEN, "ocpp/v201/cp%20space")
    async with ws_connect(url + "?x=1", subprotocols=["ocpp2.0.1"], open_timeout=5) as ws:
        await ws.send('[2,"1","Heartbeat",{}]')
        answer = await asyncio.wait_for(ws.recv(), timeout=5)
        assert '"currentTime"' in str(answer)
        assert await runtime.connections.is_connected("cp space")


@pytest.mark.parametrize("station_id", ["a" * 49, "cp%3A1", "cp%01"])
async def test_invalid_station_id_gets_400(runtime: Runtime, station_id: str) -> None:
    status, _ = await refusal_status(
        runtime.station_url(OPEN, station_id), subprotocols=["ocpp2.0.1"]
    )
    assert status == 400


async def test_48_character_station_id_is_accepted(connect: StationFactory) -> None:
    station = await connect("c" * 48)
    assert (await station.boot())["status"] == "Accepted"


async def test_permessage_deflate_is_negotiated(runtime: Runtime) -> None:
    async with ws_connect(
        runtime.station_url(OPEN, "cp-zip"),
        subprotocols=["ocpp2.0.1"],
        open_timeout=5,
    ) as ws:
        assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
