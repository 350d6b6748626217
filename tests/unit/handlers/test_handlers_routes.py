"""The route table answers BootNotification, Heartbeat and StatusNotification, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.db.models import ChargingStation, Connector, StatusNotification
from tourmaline.db.writer import MessageLogWriter
from tourmaline.handlers import build_router
from tourmaline.ocpp.rpc import Call, CallError, CallResult, JsonObject
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.ocpp.v201.actions import STATION_ACTIONS
from tourmaline.services.boot import BootService, BootWrite
from tourmaline.services.inbound import InboundPipeline
from tourmaline.settings import OcppSettings
from tourmaline.transport.ports import ListenerInfo, OutboundCall

BOOT = {
    "reason": "PowerUp",
    "chargingStation": {"vendorName": "Acme", "model": "Volt-1", "firmwareVersion": "1.0"},
}


@dataclass
class FakeLink:
    station_id: str = "cp001"
    listener: ListenerInfo = field(
        default_factory=lambda: ListenerInfo(
            id="0", security_profile=0, allow_unknown_stations=True
        )
    )
    subprotocol: str = "ocpp2.0.1"

    def submit(self, action: str, payload: JsonObject, *, timeout: float) -> OutboundCall:
        raise AssertionError("no CSMS call expected")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        return None


async def call(pipeline: InboundPipeline, action: str, payload: dict[str, Any]) -> Any:
    reply = await pipeline.dispatch(FakeLink(), Call("m-1", action, payload))
    return reply.frame


async def test_first_boot_is_accepted_with_the_configured_interval(
    pipeline: InboundPipeline, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    answer = await call(pipeline, "BootNotification", BOOT)

    assert answer == CallResult(
        "m-1", {"currentTime": "2026-01-02T03:04:05Z", "interval": 60, "status": "Accepted"}
    )
    async with sessionmaker() as session:
        station = await session.get(ChargingStation, "cp001")
        assert station is not None
        assert (station.registration_status, station.firmware_version) == ("Accepted", "1.0")


async def test_boot_answers_from_the_boot_record_with_status_info(
    pipeline: InboundPipeline, boots: BootService, clock: FakeClock
) -> None:
    await boots.put(
        "cp001",
        BootWrite.model_validate(
            {"status": "Rejected", "bootRetryInterval": 300, "statusInfo": {"reasonCode": "Unpaid"}}
        ),
    )
    clock.advance(0.75)

    answer = await call(pipeline, "BootNotification", BOOT)

    assert answer == CallResult(
        "m-1",
        {
            "currentTime": "2026-01-02T03:04:05Z",
            "interval": 300,
            "status": "Rejected",
            "statusInfo": {"reasonCode": "Unpaid"},
        },
    )


async def test_pending_boot_with_report_wanted_is_pending(
    pipeline: InboundPipeline, boots: BootService
) -> None:
    await boots.put("cp001", BootWrite(status="Pending"))

    answer = await call(pipeline, "BootNotification", BOOT)

    assert answer == CallResult(
        "m-1", {"currentTime": "2026-01-02T03:04:05Z", "interval": 15, "status": "Pending"}
    )


async def test_heartbeat_answers_the_time_and_updates_last_seen_in_the_next_batch(
    pipeline: InboundPipeline,
    writer: MessageLogWriter,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await call(pipeline, "BootNotification", BOOT)
    clock.advance(30)

    answer = await call(pipeline, "Heartbeat", {})

    assert answer == CallResult("m-1", {"currentTime": "2026-01-02T03:04:35Z"})
    async with sessionmaker() as session:
        assert await session.scalar(select(ChargingStation.last_seen)) is None
    await writer.flush()
    async with sessionmaker() as session:
        seen = await session.scalar(select(ChargingStation.last_seen))
    assert seen == datetime(2026, 1, 2, 3, 4, 35, tzinfo=UTC)


async def test_status_notification_is_stored_before_the_empty_answer(
    pipeline: InboundPipeline, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    payload = {
        "timestamp": "2026-01-02T03:00:00Z",
        "connectorStatus": "Occupied",
        "evseId": 1,
        "connectorId": 2,
    }

    answer = await call(pipeline, "StatusNotification", payload)

    assert answer == CallResult("m-1", {})
    async with sessionmaker() as session:
        history = (await session.scalars(select(StatusNotification))).all()
        connector = await session.scalar(select(Connector))
    assert [(h.station_id, h.evse_id, h.connector_id, h.connector_status) for h in history] == [
        ("cp001", 1, 2, "Occupied")
    ]
    assert connector is not None
    assert (connector.status, connector.status_timestamp) == (
        "Occupied",
        datetime(2026, 1, 2, 3, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("DataTransfer", {"vendorId": "com.example"}),
        ("LogStatusNotification", {"status": "Idle"}),
    ],
)
async def test_station_actions_without_a_route_are_not_supported(
    pipeline: InboundPipeline, action: str, payload: dict[str, Any]
) -> None:
    answer = await call(pipeline, action, payload)

    assert isinstance(answer, CallError)
    assert answer.code == "NotSupported"


def test_route_table_holds_exactly_the_routed_actions() -> None:
    router = build_router(SchemaRegistry(), OcppSettings())

    routed = {action for action in STATION_ACTIONS if router.has_call_route(action)}

    assert routed == {
        "Authorize",
        "BootNotification",
        "Heartbeat",
        "NotifyEvent",
        "NotifyReport",
        "ReservationStatusUpdate",
        "StatusNotification",
        "SignCertificate",
        "SecurityEventNotification",
        "GetCertificateStatus",
        "Get15118EVCertificate",
        "TransactionEvent",
        "MeterValues",
    }
