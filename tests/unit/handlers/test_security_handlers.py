"""The security and certificate routes through the real pipeline (interface.md §11 blocks A and M):
answers, what is committed before them, and what is left for after the reply."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tests.pki import TestCa, make_csr
from tourmaline.handlers import build_router
from tourmaline.ocpp.rpc import Call, CallResult, JsonObject
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.services.boot import BootService
from tourmaline.services.inbound import InboundPipeline
from tourmaline.services.security import SecurityServices
from tourmaline.services.security_events import SecurityEventFilter
from tourmaline.services.stations import StationService
from tourmaline.settings import Settings

from .test_handlers_routes import FakeLink, call


class NoStation:
    async def send(self, station_id: str, action: str, payload: JsonObject, **_: Any) -> Any:
        raise AssertionError("no CSMS call expected before the reply")


def pipeline_with(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    settings: Settings,
    stations: StationService,
    boots: BootService,
    signer: TestCa | None,
) -> tuple[InboundPipeline, SecurityServices]:
    security = SecurityServices.build(
        sessionmaker, clock, settings, sender=NoStation(), signer=signer
    )
    pipeline = InboundPipeline(
        router=build_router(SchemaRegistry(), settings.ocpp),
        settings=settings,
        clock=clock,
        stations=stations,
        boots=boots,
        security=security,
    )
    return pipeline, security


async def test_without_a_signing_ca_sign_certificate_is_rejected(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    settings: Settings,
    stations: StationService,
    boots: BootService,
) -> None:
    pipeline, security = pipeline_with(sessionmaker, clock, settings, stations, boots, None)

    answer = await call(pipeline, "SignCertificate", {"csr": make_csr("cp001")})

    assert answer == CallResult(
        "m-1",
        {
            "status": "Rejected",
            "statusInfo": {
                "reasonCode": "NotEnabled",
                "additionalInfo": "No certificate authority configured",
            },
        },
    )
    assert await security.signing.search("cp001") == []


async def test_sign_certificate_is_stored_and_accepted_before_the_csr_is_judged(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    settings: Settings,
    stations: StationService,
    boots: BootService,
) -> None:
    pipeline, security = pipeline_with(sessionmaker, clock, settings, stations, boots, TestCa())

    payload = {"csr": "garbage", "certificateType": "V2GCertificate"}

    reply = await pipeline.dispatch(FakeLink(), Call("m-1", "SignCertificate", payload))

    assert reply.frame == CallResult("m-1", {"status": "Accepted"})
    assert reply.follow_up is not None
    [request] = await security.signing.search("cp001")
    assert (request["status"], request["certificateType"]) == ("pending", "V2GCertificate")


async def test_security_event_notification_is_stored_before_its_answer(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    settings: Settings,
    stations: StationService,
    boots: BootService,
) -> None:
    pipeline, security = pipeline_with(sessionmaker, clock, settings, stations, boots, None)
    payload = {"type": "SettingSystemTime", "timestamp": "2026-01-02T03:00:00Z", "techInfo": "ntp"}

    answer = await call(pipeline, "SecurityEventNotification", payload)

    assert answer == CallResult("m-1", {})
    [event] = await security.events.search(SecurityEventFilter(station_id="cp001"))
    assert (event["type"], event["timestamp"], event["techInfo"], event["origin"]) == (
        "SettingSystemTime",
        "2026-01-02T03:00:00Z",
        "ntp",
        "cs",
    )


@pytest.mark.parametrize(
    ("action", "payload", "expected"),
    [
        (
            "GetCertificateStatus",
            {
                "ocspRequestData": {
                    "hashAlgorithm": "SHA256",
                    "issuerNameHash": "aa",
                    "issuerKeyHash": "bb",
                    "serialNumber": "1",
                    "responderURL": "http://ocsp.example",
                }
            },
            {"status": "Failed"},
        ),
        (
            "Get15118EVCertificate",
            {
                "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef",
                "action": "Install",
                "exiRequest": "AA",
            },
            {"status": "Failed", "exiResponse": ""},
        ),
    ],
)
async def test_iso15118_certificate_requests_fail_without_a_provider(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    settings: Settings,
    stations: StationService,
    boots: BootService,
    action: str,
    payload: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    pipeline, _ = pipeline_with(sessionmaker, clock, settings, stations, boots, None)

    assert await call(pipeline, action, payload) == CallResult("m-1", expected)
