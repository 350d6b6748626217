"""SignCertificate → CertificateSigned on a real database with a real test CA (interface.md §11
block A, OCTT TC_A_11/TC_A_14). The station side is a sender that records the call and, like the
command path, runs the CALLRESULT route before returning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tests.pki import TestCa, make_csr, with_broken_signature
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.certificates import (
    CERTIFICATE_REJECTED_EVENT,
    INVALID_CSR_EVENT,
    CertificateSigningService,
)

STATION = "cp001"


@dataclass
class Sent:
    success: bool
    payload: Any


class Station:
    """Answers CertificateSigned with `answer` (None: the call fails like a dead connection)."""

    def __init__(self, answer: JsonObject | None) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str, JsonObject]] = []
        self.service: CertificateSigningService | None = None

    async def send(
        self,
        station_id: str,
        action: str,
        payload: JsonObject,
        *,
        wait: bool = False,
        timeout: float | None = None,
    ) -> Sent:
        self.calls.append((station_id, action, payload))
        if self.answer is None:
            return Sent(False, f"No connection found for identifier: 1:{station_id}")
        assert self.service is not None
        await self.service.on_certificate_signed_answer(station_id, payload, self.answer)
        return Sent(True, self.answer)


class Events:
    def __init__(self) -> None:
        self.reported: list[tuple[str | None, str, str | None]] = []

    def __call__(self, station_id: str | None, event_type: str, tech_info: str | None) -> None:
        self.reported.append((station_id, event_type, tech_info))


@pytest.fixture
def ca() -> TestCa:
    return TestCa()


@pytest.fixture
def events() -> Events:
    return Events()


def make_service(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    station: Station,
    events: Events,
    signer: TestCa | None,
) -> CertificateSigningService:
    service = CertificateSigningService(
        sessionmaker, clock, signer=signer, sender=station, report_event=events
    )
    station.service = service
    return service


async def sign(service: CertificateSigningService, csr: str, kind: str | None = None) -> JsonObject:
    request_id = await service.receive(STATION, csr, kind)
    [pending] = await service.search(STATION)
    assert (pending["id"], pending["status"]) == (request_id, "pending")
    await service.process(STATION, request_id)
    [request] = await service.search(STATION)
    return request


async def test_a_usable_csr_is_signed_and_sent_back(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, ca: TestCa, events: Events
) -> None:
    station = Station({"status": "Accepted"})
    service = make_service(sessionmaker, clock, station, events, ca)

    request = await sign(service, make_csr(STATION))

    [(station_id, action, payload)] = station.calls
    assert (station_id, action, payload["certificateType"]) == (
        STATION,
        "CertificateSigned",
        "ChargingStationCertificate",
    )
    leaf = ca.verified_leaf(payload["certificateChain"])
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == STATION
    assert request["status"] == "accepted"
    assert request["certificateChain"] == payload["certificateChain"]
    assert request["answer"] == {"status": "Accepted"}
    assert (request["subject"], request["publicKey"]) == ("CN=cp001", "EC secp256r1")
    assert events.reported == []


@pytest.mark.parametrize(
    ("csr", "reason"),
    [
        pytest.param("garbage", "not a PEM-encoded", id="garbage"),
        pytest.param(with_broken_signature(make_csr(STATION)), "signature", id="bad-signature"),
        pytest.param(
            make_csr(STATION, rsa.generate_private_key(public_exponent=65537, key_size=1024)),
            "RSA key of 1024 bits",
            id="small-rsa",
        ),
        pytest.param(make_csr("cp002"), "subject CN must be the station id", id="wrong-cn"),
    ],
)
async def test_an_unusable_csr_is_refused_and_recorded_as_a_security_event(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    ca: TestCa,
    events: Events,
    csr: str,
    reason: str,
) -> None:
    station = Station({"status": "Accepted"})
    service = make_service(sessionmaker, clock, station, events, ca)

    request = await sign(service, csr)

    assert station.calls == []
    assert ca.signed == []
    assert request["status"] == "refused"
    assert reason in request["reason"]
    assert "certificateChain" not in request
    assert events.reported == [(STATION, INVALID_CSR_EVENT, request["reason"])]


async def test_a_type_the_signer_cannot_issue_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, ca: TestCa, events: Events
) -> None:
    station = Station({"status": "Accepted"})
    service = make_service(sessionmaker, clock, station, events, ca)

    request = await sign(service, make_csr("DE*ABC*E1"), "V2GCertificate")

    assert station.calls == []
    assert request["status"] == "refused"
    assert request["reason"] == "not signed: this test CA does not issue V2GCertificate"


async def test_a_rejected_certificate_is_recorded_with_the_stations_reason(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, ca: TestCa, events: Events
) -> None:
    answer = {
        "status": "Rejected",
        "statusInfo": {"reasonCode": "InvalidCertificate", "additionalInfo": "unknown root"},
    }
    station = Station(answer)
    service = make_service(sessionmaker, clock, station, events, ca)

    request = await sign(service, make_csr(STATION))

    assert request["status"] == "rejected"
    assert request["reason"] == "InvalidCertificate: unknown root"
    assert request["answer"] == answer
    assert events.reported == [
        (STATION, CERTIFICATE_REJECTED_EVENT, "InvalidCertificate: unknown root")
    ]


async def test_a_certificate_that_cannot_be_delivered_is_marked_undelivered(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, ca: TestCa, events: Events
) -> None:
    station = Station(None)
    service = make_service(sessionmaker, clock, station, events, ca)

    request = await sign(service, make_csr(STATION))

    assert request["status"] == "undelivered"
    assert request["reason"] == (
        "CertificateSigned not answered: No connection found for identifier: 1:cp001"
    )
    assert "certificateChain" in request


async def test_a_chain_sent_by_hand_is_recorded_against_the_open_request(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, events: Events
) -> None:
    station = Station({"status": "Accepted"})
    service = make_service(sessionmaker, clock, station, events, None)
    await service.receive(STATION, make_csr(STATION), None)
    chain = TestCa().sign_csr(make_csr(STATION), certificate_type="ChargingStationCertificate")

    await service.on_certificate_signed_answer(
        STATION, {"certificateChain": chain}, {"status": "Accepted"}
    )

    [request] = await service.search(STATION)
    assert (request["status"], request["certificateChain"]) == ("accepted", chain)
    assert service.can_sign is False


async def test_an_answer_without_any_request_changes_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, events: Events
) -> None:
    service = make_service(sessionmaker, clock, Station(None), events, None)

    await service.on_certificate_signed_answer(
        STATION, {"certificateChain": "x"}, {"status": "Rejected"}
    )

    assert await service.search(STATION) == []
    assert events.reported == []
