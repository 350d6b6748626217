"""The BootNotification decision table (interface.md §4.2) and its side effects (§4.3)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.db.models import Boot, ChargingStation
from tourmaline.ocpp.v201.models import BootNotificationRequest
from tourmaline.services.boot import BootDecision, BootService, BootWrite, decide_boot
from tourmaline.services.stations import StationService
from tourmaline.settings import OcppSettings

NOW = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
REJECTED = {"status": "Rejected"}


def boot_request(**station: Any) -> BootNotificationRequest:
    fields = {"vendorName": "Acme", "model": "Volt-1", **station}
    return BootNotificationRequest.model_validate({"reason": "PowerUp", "chargingStation": fields})


def record(status: str, **fields: Any) -> Boot:
    return Boot(id="cp001", status=status, **fields)


@pytest.mark.parametrize(
    ("stored", "settings", "expected"),
    [
        pytest.param(None, {}, BootDecision("Accepted", 60, NOW), id="no record: unknown status"),
        pytest.param(
            None,
            {"unknown_charger_status": "Rejected"},
            BootDecision("Rejected", 15, NOW),
            id="no record: configured Rejected",
        ),
        pytest.param(
            None,
            {"unknown_charger_status": "Pending"},
            BootDecision("Pending", 15, NOW, report_wanted=True),
            id="no record: configured Pending follows the Pending rules",
        ),
        pytest.param(
            record("Accepted"), {}, BootDecision("Accepted", 60, NOW), id="Accepted: config"
        ),
        pytest.param(
            record("Accepted", heartbeat_interval=300, boot_retry_interval=5),
            {},
            BootDecision("Accepted", 300, NOW),
            id="Accepted: record interval",
        ),
        pytest.param(
            record("Rejected"),
            {"boot_retry_interval": 20},
            BootDecision("Rejected", 20, NOW),
            id="Rejected: config retry",
        ),
        pytest.param(
            record("Rejected", boot_retry_interval=120, heartbeat_interval=9),
            {},
            BootDecision("Rejected", 120, NOW),
            id="Rejected: record retry",
        ),
        pytest.param(
            record("Pending"),
            {},
            BootDecision("Pending", 15, NOW, report_wanted=True),
            id="Pending: report wanted by config",
        ),
        pytest.param(
            record("Pending", get_base_report_on_pending=True),
            {"get_base_report_on_pending": False},
            BootDecision("Pending", 15, NOW, report_wanted=True),
            id="Pending: record wants a report, config does not",
        ),
        pytest.param(
            record("Pending", get_base_report_on_pending=False, heartbeat_interval=90),
            {},
            BootDecision("Accepted", 90, NOW),
            id="Pending: no report, auto accept",
        ),
        pytest.param(
            record("Pending"),
            {"get_base_report_on_pending": False, "auto_accept": False},
            BootDecision("Pending", 15, NOW),
            id="Pending: no report, no auto accept",
        ),
        pytest.param(
            record("Rejected", status_info={"reasonCode": "Blocked"}),
            {},
            BootDecision("Rejected", 15, NOW, status_info={"reasonCode": "Blocked"}),
            id="statusInfo returned when set",
        ),
    ],
)
def test_decision_table(
    stored: Boot | None, settings: dict[str, Any], expected: BootDecision
) -> None:
    assert decide_boot(stored, OcppSettings(**settings), NOW) == expected


async def station_row(
    sessionmaker: async_sessionmaker[AsyncSession], station_id: str
) -> ChargingStation:
    async with sessionmaker() as session:
        row = await session.get(ChargingStation, station_id)
        assert row is not None
        return row


async def test_first_boot_creates_station_and_accepted_record(
    boots: BootService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    request = boot_request(
        serialNumber="SN-1", firmwareVersion="1.0", modem={"iccid": "8931", "imsi": "2620"}
    )

    decision = await boots.on_boot_notification("cp001", request, NOW)

    assert decision == BootDecision("Accepted", 60, NOW)
    station = await station_row(sessionmaker, "cp001")
    assert (
        station.charge_point_vendor,
        station.charge_point_model,
        station.charge_point_serial_number,
        station.firmware_version,
        station.iccid,
        station.imsi,
        station.registration_status,
    ) == ("Acme", "Volt-1", "SN-1", "1.0", "8931", "2620", "Accepted")
    view = await boots.get("cp001")
    assert view is not None
    assert (view.status, view.last_status, view.last_boot_time) == ("Accepted", "Accepted", NOW)


async def test_reboot_updates_fields_and_keeps_those_not_sent(
    boots: BootService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await boots.on_boot_notification(
        "cp001", boot_request(firmwareVersion="1.0", modem={"iccid": "8931"}), NOW
    )

    await boots.on_boot_notification(
        "cp001", boot_request(model="Volt-2", firmwareVersion="2.0"), NOW
    )

    station = await station_row(sessionmaker, "cp001")
    assert (station.charge_point_model, station.firmware_version, station.iccid) == (
        "Volt-2",
        "2.0",
        "8931",
    )


async def test_rejected_record_rejects_and_keeps_its_configuration(
    boots: BootService, sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    await boots.put("cp-rej", BootWrite(status="Rejected", boot_retry_interval=120))

    before = REGISTRY.get_sample_value("tourmaline_boot_notifications_total", REJECTED) or 0.0

    decision = await boots.on_boot_notification("cp-rej", boot_request(), NOW)

    assert decision == BootDecision("Rejected", 120, NOW)
    assert REGISTRY.get_sample_value("tourmaline_boot_notifications_total", REJECTED) == before + 1
    station = await station_row(sessionmaker, "cp-rej")
    assert station.registration_status == "Rejected"
    view = await boots.get("cp-rej")
    assert view is not None
    assert (view.status, view.boot_retry_interval, view.last_status, view.last_boot_time) == (
        "Rejected",
        120,
        "Rejected",
        NOW,
    )
    assert view.created_at == clock.now()


async def test_auto_accepted_pending_record_stays_pending_but_answer_is_remembered(
    boots: BootService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await boots.put("cp001", BootWrite(status="Pending", get_base_report_on_pending=False))

    decision = await boots.on_boot_notification("cp001", boot_request(), NOW)

    assert decision.status == "Accepted"
    view = await boots.get("cp001")
    assert view is not None
    assert (view.status, view.last_status) == ("Pending", "Accepted")
    assert (await station_row(sessionmaker, "cp001")).registration_status == "Accepted"


async def test_put_get_delete_round_trip_keeps_last_boot_time(
    boots: BootService, clock: FakeClock
) -> None:
    await boots.on_boot_notification("cp001", boot_request(), clock.now())
    clock.advance(60)

    stored = await boots.put(
        "cp001",
        BootWrite.model_validate(
            {
                "status": "Pending",
                "statusInfo": {"reasonCode": "Maintenance", "additionalInfo": "back soon"},
                "heartbeatInterval": 30,
                "setVariableIds": [1, 2],
            }
        ),
    )

    assert stored.model_dump(by_alias=True, mode="json") == {
        "id": "cp001",
        "status": "Pending",
        "statusInfo": {"reasonCode": "Maintenance", "additionalInfo": "back soon"},
        "heartbeatInterval": 30,
        "bootRetryInterval": None,
        "getBaseReportOnPending": None,
        "bootWithRejectedVariables": None,
        "setVariableIds": [1, 2],
        "pendingBootSetVariableIds": None,
        "changeConfigurationsOnPending": None,
        "getConfigurationsOnPending": None,
        "lastBootTime": "2026-01-02T03:04:05Z",
        "lastStatus": "Accepted",
        "createdAt": "2026-01-02T03:04:05Z",
        "updatedAt": "2026-01-02T03:05:05Z",
    }
    assert await boots.get("cp001") == stored
    assert await boots.delete("cp001") == stored
    assert await boots.get("cp001") is None
    assert await boots.delete("cp001") is None


async def test_a_record_may_exist_before_its_station(
    boots: BootService, stations: StationService
) -> None:
    await boots.put("cp-future", BootWrite(status="Accepted"))

    assert await stations.get("cp-future") is None
    assert (await boots.get("cp-future")) is not None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": "Maybe"},
        {"status": "Accepted", "heartbeatInterval": 0},
        {"status": "Accepted", "heartbeatInterval": "60"},
        {"status": "Accepted", "statusInfo": {"reasonCode": "x" * 21}},
        {"status": "Accepted", "lastBootTime": "2026-01-01T00:00:00Z"},
    ],
)
def test_boot_write_is_strict(body: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        BootWrite.model_validate(body)


async def test_concurrent_boots_are_all_recorded(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A reconnect storm: many stations (one of them twice) boot at the same moment."""
    boots = BootService(sessionmaker, FakeClock(), OcppSettings())
    await boots.put("cp-9", BootWrite(status="Rejected"))
    ids = [f"cp-{n}" for n in range(40)] + ["cp-3"]

    decisions = await asyncio.gather(
        *(boots.on_boot_notification(i, boot_request(), NOW) for i in ids)
    )

    statuses = {i: d.status for i, d in zip(ids, decisions, strict=True)}
    assert statuses["cp-9"] == "Rejected"
    assert {s for i, s in statuses.items() if i != "cp-9"} == {"Accepted"}
    async with sessionmaker() as session:
        stations = {row.id: row for row in await session.scalars(select(ChargingStation))}
    assert len(stations) == 40
    assert stations["cp-9"].registration_status == "Rejected"
    assert stations["cp-3"].charge_point_vendor == boot_request().charging_station.vendor_name
