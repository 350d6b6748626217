"""Issue 5 end to end, over real sockets and the REST app: station certificates signed on request,
certificates installed/listed/deleted through the message API, security events, the ISO 15118
certificate providers, and moving a station to a higher security profile (OCPP A02-A05, M;
interface.md §7.4, §11). The signing CA is a test CA; the OCSP provider a local stub."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.x509.oid import NameOID
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from tests.certificate_stubs import OCSP_RESULT
from tests.helpers import eventually, running
from tests.pki import TestCa, make_csr, self_signed_certificate
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.runtime import Runtime, build_runtime
from tourmaline.services.certificate_hash import certificate_hash_data
from tourmaline.settings import CertificateSettings
from tourmaline.sim.station import SimulatedStation

from .conftest import AUTH, OPEN, StationFactory, make_settings

PASSWORD = "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L"


@pytest.fixture
def ca() -> TestCa:
    return TestCa()


@pytest.fixture
async def runtime(database_url: str, tmp_path: Path, ca: TestCa) -> AsyncIterator[Runtime]:
    """The suite's runtime with a signing CA and a stub OCSP provider (no contract CA)."""
    settings = make_settings(database_url)
    settings.certificates = CertificateSettings(
        status_provider="tests.certificate_stubs:stub_factory"
    )
    async with running(build_runtime(settings, certificate_signer=ca)) as rt:
        yield rt


async def listed(api: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def booted(connect: StationFactory, station_id: str = "cp001") -> SimulatedStation:
    station = await connect(station_id)
    await station.boot()
    return station


# -- SignCertificate → CertificateSigned ---------------------------------------------------------


async def test_a_triggered_certificate_renewal_is_signed_and_delivered(
    connect: StationFactory, api: httpx.AsyncClient, ca: TestCa
) -> None:
    """OCTT TC_A_11: TriggerMessage(SignChargingStationCertificate) → SignCertificate with a
    real CSR → Accepted → CertificateSigned with a chain from the CA."""
    station = await booted(connect)
    delivered: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
    sign_answers: list[asyncio.Task[JsonObject]] = []

    def trigger(payload: JsonObject) -> JsonObject:
        assert payload == {"requestedMessage": "SignChargingStationCertificate"}
        csr = {"csr": make_csr("cp001"), "certificateType": "ChargingStationCertificate"}
        # Sent after this answer, as a station does with a triggered message.
        sign_answers.append(asyncio.create_task(station.call("SignCertificate", csr)))
        return {"status": "Accepted"}

    def certificate_signed(payload: JsonObject) -> JsonObject:
        delivered.set_result(payload)
        return {"status": "Accepted"}

    station.on("TriggerMessage", trigger)
    station.on("CertificateSigned", certificate_signed)

    triggered = await api.post(
        "/ocpp/2.0.1/configuration/triggerMessage",
        params={"identifier": "cp001", "wait": "true", "timeout": "5"},
        json={"requestedMessage": "SignChargingStationCertificate"},
    )

    assert triggered.json()[0]["payload"] == {"status": "Accepted"}
    payload = await asyncio.wait_for(delivered, 5)
    assert await sign_answers[0] == {"status": "Accepted"}
    assert payload["certificateType"] == "ChargingStationCertificate"
    leaf = ca.verified_leaf(payload["certificateChain"])
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "cp001"

    async def accepted() -> list[dict[str, Any]]:
        requests = await listed(api, "/data/certificates/signingRequests", stationId="cp001")
        return [r for r in requests if r["status"] == "accepted"]

    [request] = await eventually(accepted)
    assert request["certificateChain"] == payload["certificateChain"]


async def test_an_invalid_csr_is_accepted_then_refused_without_a_certificate(
    connect: StationFactory, api: httpx.AsyncClient, ca: TestCa
) -> None:
    station = await booted(connect)
    station.on("CertificateSigned", lambda payload: {"status": "Accepted"})

    answer = await station.call("SignCertificate", {"csr": make_csr("not-cp001")})

    assert answer == {"status": "Accepted"}

    async def refused() -> list[dict[str, Any]]:
        requests = await listed(api, "/data/certificates/signingRequests", stationId="cp001")
        return [r for r in requests if r["status"] == "refused"]

    [request] = await eventually(refused)
    assert request["reason"].startswith("subject CN must be the station id")

    async def csms_events() -> list[dict[str, Any]]:
        return await listed(api, "/data/reporting/securityEvent", stationId="cp001", origin="csms")

    [event] = await eventually(csms_events)
    assert (event["type"], event["techInfo"]) == (
        "InvalidCertificateSigningRequest",
        request["reason"],
    )
    assert [action for action, _ in station.received_calls] == []
    assert ca.signed == []


# -- InstallCertificate, GetInstalledCertificateIds, DeleteCertificate ---------------------------


def message_api(api: httpx.AsyncClient, path: str, body: JsonObject) -> Awaitable[httpx.Response]:
    return api.post(
        f"/ocpp/2.0.1/certificates/{path}",
        params={"identifier": "cp001", "wait": "true", "timeout": "5"},
        json=body,
    )


async def test_certificates_are_installed_listed_and_deleted_through_the_message_api(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await booted(connect)
    root = self_signed_certificate("Operator CSMS Root")
    root_hash = certificate_hash_data(root)
    assert root_hash is not None
    manufacturer = {**root_hash, "serialNumber": "abc123"}
    station.on("InstallCertificate", lambda payload: {"status": "Accepted"})
    station.on("DeleteCertificate", lambda payload: {"status": "Accepted"})
    station.on(
        "GetInstalledCertificateIds",
        lambda payload: {
            "status": "Accepted",
            "certificateHashDataChain": [
                {"certificateType": "CSMSRootCertificate", "certificateHashData": root_hash},
                {
                    "certificateType": "ManufacturerRootCertificate",
                    "certificateHashData": manufacturer,
                },
            ],
        },
    )

    installed = await message_api(
        api, "installCertificate", {"certificateType": "CSMSRootCertificate", "certificate": root}
    )

    assert installed.status_code == 200
    assert installed.json()[0]["payload"] == {"status": "Accepted"}
    [entry] = await listed(api, "/data/certificates/installedCertificates", stationId="cp001")
    assert (entry["certificateType"], entry["source"]) == ("CSMSRootCertificate", "installed")
    assert entry["certificateHashData"] == root_hash

    reported = await message_api(api, "getInstalledCertificateIds", {})

    assert reported.json()[0]["success"] is True
    entries = await listed(api, "/data/certificates/installedCertificates", stationId="cp001")
    assert [(e["certificateType"], e["source"]) for e in entries] == [
        ("CSMSRootCertificate", "reported"),
        ("ManufacturerRootCertificate", "reported"),
    ]

    deleted = await message_api(api, "deleteCertificate", {"certificateHashData": root_hash})

    assert deleted.json()[0]["payload"] == {"status": "Accepted"}
    entries = await listed(api, "/data/certificates/installedCertificates", stationId="cp001")
    assert [e["certificateHashData"] for e in entries] == [manufacturer]
    operations = await listed(api, "/data/certificates/certificateOperations", stationId="cp001")
    assert [(op["action"], op["status"]) for op in operations] == [
        ("DeleteCertificate", "Accepted"),
        ("InstallCertificate", "Accepted"),
    ]


async def test_certificate_routes_name_unknown_stations(api: httpx.AsyncClient) -> None:
    for path in ("installedCertificates", "signingRequests", "certificateOperations"):
        response = await api.get(f"/data/certificates/{path}", params={"stationId": "ghost"})
        assert response.status_code == 404
        assert response.json()["code"] == "station_not_found"
    missing = await api.get("/data/certificates/installedCertificates")
    assert missing.status_code == 400
    assert missing.json()["code"] == "validation_failed"


# -- SecurityEventNotification ---------------------------------------------------------------------


async def test_security_events_are_stored_and_listed(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await booted(connect)
    for minute, event_type in enumerate(
        ["StartupOfTheDevice", "SettingSystemTime", "ResetOrReboot"]
    ):
        payload = {"type": event_type, "timestamp": f"2026-03-01T12:0{minute}:00Z"}
        assert await station.call("SecurityEventNotification", payload) == {}

    newest_first = await listed(api, "/data/reporting/securityEvent", stationId="cp001")
    assert [e["type"] for e in newest_first] == [
        "ResetOrReboot",
        "SettingSystemTime",
        "StartupOfTheDevice",
    ]
    page = await listed(api, "/data/reporting/securityEvent", limit=1, offset=1, origin="cs")
    assert [e["type"] for e in page] == ["SettingSystemTime"]
    window = await listed(
        api,
        "/data/reporting/securityEvent",
        **{"from": "2026-03-01T12:00:30Z", "to": "2026-03-01T12:02:00Z", "type": "ResetOrReboot"},
    )
    assert [e["timestamp"] for e in window] == ["2026-03-01T12:02:00Z"]
    bad = await api.get("/data/reporting/securityEvent", params={"from": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["details"][0]["path"] == "query.from"


# -- GetCertificateStatus, Get15118EVCertificate ---------------------------------------------------


async def test_certificate_status_comes_from_the_provider_and_ev_certificates_fail(
    connect: StationFactory,
) -> None:
    station = await booted(connect)
    ocsp = {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": "aa",
        "issuerKeyHash": "bb",
        "serialNumber": "1",
        "responderURL": "http://ocsp.example",
    }

    status = await station.call("GetCertificateStatus", {"ocspRequestData": ocsp})
    ev = await station.call(
        "Get15118EVCertificate",
        {
            "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef",
            "action": "Install",
            "exiRequest": "AA",
        },
    )

    assert status == {"status": "Accepted", "ocspResult": OCSP_RESULT}
    assert ev == {"status": "Failed", "exiResponse": ""}


# -- SetNetworkProfile: profile 0 → 1 -------------------------------------------------------------


def network_profile(security_profile: int) -> JsonObject:
    return {
        "configurationSlot": 2,
        "connectionData": {
            "ocppVersion": "OCPP20",
            "ocppTransport": "JSON",
            "ocppCsmsUrl": "ws://csms.example:8082/",
            "messageTimeout": 30,
            "securityProfile": security_profile,
            "ocppInterface": "Wireless0",
            "apn": {"apn": "internet", "apnPassword": "apn-secret-1", "apnAuthentication": "AUTO"},
        },
    }


async def set_network_profile(api: httpx.AsyncClient, listener: str) -> httpx.Response:
    return await api.post(
        "/ocpp/2.0.1/configuration/setNetworkProfile",
        params={
            "identifier": "cp001",
            "websocketServerConfigId": listener,
            "wait": "true",
            "timeout": "5",
        },
        json=network_profile(1),
    )


async def opens(runtime: Runtime, listener: str, password: str | None = None) -> bool:
    headers = {}
    if password is not None:
        token = base64.b64encode(f"cp001:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    try:
        async with ws_connect(
            runtime.station_url(listener, "cp001"),
            subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
            additional_headers=headers,
            open_timeout=5,
        ):
            return True
    except InvalidStatus as refused:
        assert refused.response.status_code == 401
        return False


async def reconnect_on_auth(
    runtime: Runtime, connect: StationFactory, station: SimulatedStation
) -> SimulatedStation:
    """The station reboots onto its new profile; once it has been answered, the upgrade check
    of its connection has been started and can be waited for."""
    await station.close()
    upgraded = await connect("cp001", AUTH, password=PASSWORD)
    await upgraded.heartbeat()
    profiles = runtime.security.network_profiles

    async def settled() -> bool:
        return profiles.checks_running == 0

    await eventually(settled)
    return upgraded


async def minimum(api: httpx.AsyncClient) -> int:
    station = await api.get("/data/configuration/chargingStation", params={"stationId": "cp001"})
    value: int = station.json()["minSecurityProfile"]
    return value


async def test_an_accepted_profile_upgrade_locks_out_the_lower_listener(
    runtime: Runtime, connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await booted(connect)
    await runtime.credentials.set_password("cp001", PASSWORD)
    station.on("SetNetworkProfile", lambda payload: {"status": "Accepted"})

    answer = await set_network_profile(api, AUTH)

    assert answer.json()[0]["payload"] == {"status": "Accepted"}
    [record] = await listed(api, "/data/configuration/networkProfile", stationId="cp001")
    assert (record["status"], record["websocketServerConfigId"]) == ("Accepted", AUTH)
    assert record["connectionData"]["apn"]["apnPassword"] == "***"
    assert "appliedAt" not in record
    assert await minimum(api) == 0

    await reconnect_on_auth(runtime, connect, station)

    assert await minimum(api) == 1
    [record] = await listed(api, "/data/configuration/networkProfile", stationId="cp001")
    assert "appliedAt" in record
    assert not await opens(runtime, OPEN)
    await runtime.writer.flush()
    [logged] = await listed(
        api, "/data/ocpprouter/messages", action="SetNetworkProfile", origin="csms"
    )
    assert logged["message"][3]["connectionData"]["apn"]["apnPassword"] == "***"


async def test_a_rejected_profile_changes_nothing(
    runtime: Runtime, connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await booted(connect)
    await runtime.credentials.set_password("cp001", PASSWORD)
    station.on("SetNetworkProfile", lambda payload: {"status": "Rejected"})

    answer = await set_network_profile(api, AUTH)

    assert answer.json()[0]["payload"] == {"status": "Rejected"}
    await reconnect_on_auth(runtime, connect, station)
    assert await minimum(api) == 0
    [record] = await listed(api, "/data/configuration/networkProfile", stationId="cp001")
    assert (record["status"], "appliedAt" in record) == ("Rejected", False)
    assert await opens(runtime, OPEN)


async def test_a_profile_for_an_offline_station_is_not_recorded(api: httpx.AsyncClient) -> None:
    await api.put("/data/configuration/chargingStation", params={"stationId": "cp001"}, json={})

    answer = await set_network_profile(api, AUTH)

    assert answer.json() == [
        {"success": False, "payload": "No connection found for identifier: 1:cp001"}
    ]
    assert await listed(api, "/data/configuration/networkProfile", stationId="cp001") == []
