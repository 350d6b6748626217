"""Issue 5, "done when": a lab charger is moved from profile 1 to 2 to 3 with only Tourmaline's
commands and API (OCPP A05 / TC_A_19, A02 / TC_A_11), against the real local CA made by
`certs init` and the real security-event store, on SQLite and PostgreSQL.

1. profile 1: password through the password endpoint, Basic auth on the profile-1 listener;
2. SetNetworkProfile for listener "2", the charger reconnects over TLS with its password, and
   from then on the profile-1 listener refuses it;
3. certificate renewal: TriggerMessage(SignChargingStationCertificate) → SignCertificate with a
   CSR → CertificateSigned from the local station CA; the charger uses that certificate;
4. SetNetworkProfile for listener "3", the charger reconnects with mutual TLS, and the
   profile-2 listener refuses it; the refusals are listed as a CSMS-side security event.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from websockets.exceptions import InvalidStatus

from tests.helpers import api_client, eventually, running
from tests.pki import make_csr
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.runtime import Runtime, build_runtime
from tourmaline.sim.station import SimulatedStation

from .conftest import PASSWORD, SP1, SP2, SP3, Pki, client_context, tls_settings

STATION = "cp-lab"


@pytest.fixture
async def runtime(migrated_database_url: str, pki: Pki) -> AsyncIterator[Runtime]:
    """Listeners 1, 2, 3 with the `certs init` directory; no test sink: events are stored."""
    async with running(
        build_runtime(tls_settings(migrated_database_url, pki.directory.path))
    ) as rt:
        yield rt


@pytest.fixture
async def api(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(runtime) as client:
        yield client


class LabCharger:
    """One charger that keeps its key and certificate across reconnects, as a real one does."""

    def __init__(self, runtime: Runtime, pki: Pki, folder: Path) -> None:
        self.runtime = runtime
        self.pki = pki
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.certificate_chain: str | None = None
        self.station: SimulatedStation | None = None
        self.network_profiles: list[JsonObject] = []
        self.sign_requests: list[asyncio.Task[JsonObject]] = []

    def context(self) -> ssl.SSLContext:
        context = client_context(self.pki)
        if self.certificate_chain is not None:
            chain, key = self.folder / "chain.pem", self.folder / "key.pem"
            chain.write_text(self.certificate_chain)
            key.write_bytes(
                self.key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            context.load_cert_chain(chain, key)
        return context

    async def connect(self, listener: str) -> SimulatedStation:
        """Close the current connection (a reboot) and connect on `listener`."""
        await self.close()
        url = self.runtime.station_url(listener, STATION)
        secure = url.startswith("wss://")
        station = SimulatedStation(
            url,
            STATION,
            password=None if listener == SP3 else PASSWORD,
            ssl_context=self.context() if secure else None,
        )
        await station.connect()
        self.station = station
        station.on("SetNetworkProfile", self._store_profile)
        station.on("TriggerMessage", self._send_csr)
        station.on("CertificateSigned", self._install_certificate)
        station.on("Reset", lambda payload: {"status": "Accepted"})
        assert (await station.boot())["status"] == "Accepted"
        return station

    async def refused_on(self, listener: str) -> int:
        url = self.runtime.station_url(listener, STATION)
        context = self.context() if url.startswith("wss://") else None
        attempt = SimulatedStation(url, STATION, password=PASSWORD, ssl_context=context)
        with pytest.raises(InvalidStatus) as refused:
            await attempt.connect()
        return refused.value.response.status_code

    async def close(self) -> None:
        if self.station is not None:
            await self.station.close()
            self.station = None

    def _store_profile(self, payload: JsonObject) -> JsonObject:
        self.network_profiles.append(payload)
        return {"status": "Accepted"}

    def _send_csr(self, payload: JsonObject) -> JsonObject:
        assert payload == {"requestedMessage": "SignChargingStationCertificate"}
        csr = make_csr(STATION, self.key)
        request = {"csr": csr, "certificateType": "ChargingStationCertificate"}
        assert self.station is not None
        # Sent while the trigger's answer goes out, as a station sends a triggered message.
        sent = asyncio.create_task(self.station.call("SignCertificate", request))
        self.sign_requests.append(sent)
        return {"status": "Accepted"}

    def _install_certificate(self, payload: JsonObject) -> JsonObject:
        self.certificate_chain = str(payload["certificateChain"])
        return {"status": "Accepted"}


async def send(api: httpx.AsyncClient, path: str, body: JsonObject, **query: str) -> JsonObject:
    response = await api.post(
        f"/ocpp/2.0.1/{path}",
        params={"identifier": STATION, "wait": "true", "timeout": "5", **query},
        json=body,
    )
    assert response.status_code == 200, response.text
    [element] = response.json()
    assert element["success"], element
    payload: JsonObject = element["payload"]
    return payload


def profile_for(runtime: Runtime, listener: str, security_profile: int) -> JsonObject:
    return {
        "configurationSlot": security_profile + 1,
        "connectionData": {
            "ocppVersion": "OCPP20",
            "ocppTransport": "JSON",
            "ocppInterface": "Wired0",
            "ocppCsmsUrl": runtime.station_url(listener, "").rstrip("/"),
            "messageTimeout": 30,
            "securityProfile": security_profile,
        },
    }


async def minimum_profile(api: httpx.AsyncClient) -> int:
    station = await api.get("/data/configuration/chargingStation", params={"stationId": STATION})
    value: int = station.json()["minSecurityProfile"]
    return value


async def move_to(
    api: httpx.AsyncClient, runtime: Runtime, charger: LabCharger, listener: str, profile: int
) -> None:
    """OCPP A05: the profile for the higher listener, then a reboot onto it."""
    answer = await send(
        api,
        "configuration/setNetworkProfile",
        profile_for(runtime, listener, profile),
        websocketServerConfigId=listener,
    )
    assert answer == {"status": "Accepted"}
    await send(api, "configuration/reset", {"type": "OnIdle"})
    await charger.connect(listener)

    async def raised() -> bool:
        return await minimum_profile(api) == profile

    await eventually(raised)


async def test_a_lab_charger_moves_from_profile_1_to_2_to_3(
    runtime: Runtime, api: httpx.AsyncClient, pki: Pki, tmp_path: Path
) -> None:
    created = await api.put(
        "/data/configuration/chargingStation", params={"stationId": STATION}, json={}
    )
    assert created.status_code == 200
    stored = await api.post(
        "/data/configuration/password",
        json={"stationId": STATION, "password": PASSWORD, "setOnCharger": True},
    )
    assert stored.status_code == 200, stored.text
    charger = LabCharger(runtime, pki, tmp_path)
    try:
        await charger.connect(SP1)

        await move_to(api, runtime, charger, SP2, 2)
        assert await charger.refused_on(SP1) == 401

        renewal = {"requestedMessage": "SignChargingStationCertificate"}
        assert await send(api, "configuration/triggerMessage", renewal) == {"status": "Accepted"}

        async def signed() -> str | None:
            return charger.certificate_chain

        await eventually(signed)
        assert await charger.sign_requests[0] == {"status": "Accepted"}
        await move_to(api, runtime, charger, SP3, 3)
        assert await charger.refused_on(SP2) == 401
    finally:
        await charger.close()

    assert [p["connectionData"]["securityProfile"] for p in charger.network_profiles] == [2, 3]
    requests = await api.get("/data/certificates/signingRequests", params={"stationId": STATION})
    assert [r["status"] for r in requests.json()] == ["accepted"]

    async def refusals() -> list[dict[str, Any]]:
        listed = await api.get(
            "/data/reporting/securityEvent", params={"stationId": STATION, "origin": "csms"}
        )
        return [e for e in listed.json() if e["type"] == "FailedToAuthenticateAtCsms"]

    # Refusals of one kind are folded into one event a minute, so the first one stands for both.
    [event] = await eventually(refusals)
    assert event["techInfo"].startswith("listener 1 (profile 1): listener profile below")
