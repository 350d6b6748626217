"""A charger pointed at the open listener connects, boots and is answered as the Boot table says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from tourmaline.db.models import Connector, MessageLogEntry, StatusNotification
from tourmaline.runtime import Runtime

from .conftest import StationFactory, expect_error


def parse_time(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_unknown_station_boots_accepted_and_is_recorded(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    station = await connect("cp001")
    answer = await station.boot()
    await runtime.writer.flush()  # online state is written behind, in batches

    assert answer["status"] == "Accepted"
    assert answer["interval"] == 60
    assert abs(parse_time(answer["currentTime"]) - datetime.now(UTC)) < timedelta(seconds=30)

    record = await api.get("/data/configuration/chargingStation", params={"stationId": "cp001"})
    assert record.status_code == 200
    body = record.json()
    assert body["stationId"] == "cp001"
    assert body["registrationStatus"] == "Accepted"
    assert body["chargePointVendor"] == "Tourmaline"
    assert body["isOnline"] is True
    boot = (await api.get("/data/configuration/boot", params={"stationId": "cp001"})).json()
    assert boot["status"] == "Accepted"
    assert boot["lastBootTime"] is not None


async def test_boot_rejected_from_boot_table(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    put = await api.put(
        "/data/configuration/boot",
        params={"stationId": "cp-rej"},
        json={"status": "Rejected", "bootRetryInterval": 120},
    )
    assert put.status_code == 200, put.text
    station = await connect("cp-rej")

    answer = await station.boot()

    assert answer["status"] == "Rejected"
    assert answer["interval"] == 120
    station_row = (
        await api.get("/data/configuration/chargingStation", params={"stationId": "cp-rej"})
    ).json()
    assert station_row["registrationStatus"] == "Rejected"


async def test_reboot_updates_station_fields(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-fw")
    await station.boot(firmware_version="1.0")
    await station.boot(firmware_version="2.0")

    body = (
        await api.get("/data/configuration/chargingStation", params={"stationId": "cp-fw"})
    ).json()
    assert body["firmwareVersion"] == "2.0"


async def test_heartbeat_answers_current_time(connect: StationFactory) -> None:
    station = await connect("cp-hb")
    await station.boot()

    answer = await station.heartbeat()

    assert abs(parse_time(answer["currentTime"]) - datetime.now(UTC)) < timedelta(seconds=30)


async def test_status_notification_is_stored_with_latest_status(
    connect: StationFactory, runtime: Runtime
) -> None:
    station = await connect("cp-st")
    await station.boot()

    assert await station.status_notification(1, 1, "Available") == {}
    assert await station.status_notification(1, 1, "Occupied") == {}
    assert await station.status_notification(2, 1, "Faulted") == {}

    async with runtime.sessionmaker() as session:
        history = (
            await session.scalars(
                select(StatusNotification.connector_status)
                .where(StatusNotification.station_id == "cp-st")
                .order_by(StatusNotification.id)
            )
        ).all()
        latest = {
            (c.evse_id, c.connector_id): c.status
            for c in await session.scalars(select(Connector).where(Connector.station_id == "cp-st"))
        }
    assert history == ["Available", "Occupied", "Faulted"]
    assert latest == {(1, 1): "Occupied", (2, 1): "Faulted"}


async def test_known_action_without_handler_is_not_supported(connect: StationFactory) -> None:
    station = await connect("cp-ns")
    await station.boot()

    error = await expect_error(station, "DataTransfer", {"vendorId": "com.example"})

    assert error.code in {"NotSupported"}


async def test_unknown_action_is_not_implemented(connect: StationFactory) -> None:
    station = await connect("cp-ni")

    error = await expect_error(station, "MakeCoffee", {})

    assert error.code == "NotImplemented"


async def test_schema_violation_gets_the_mapped_code_and_connection_keeps_serving(
    connect: StationFactory,
) -> None:
    station = await connect("cp-bad")

    missing = await expect_error(station, "BootNotification", {"reason": "PowerUp"})
    wrong_type = await expect_error(
        station,
        "StatusNotification",
        {
            "timestamp": "2026-01-01T00:00:00Z",
            "connectorStatus": "Available",
            "evseId": "one",
            "connectorId": 1,
        },
    )
    wrong_enum = await expect_error(
        station,
        "BootNotification",
        {"reason": "Bored", "chargingStation": {"model": "m", "vendorName": "v"}},
    )

    assert missing.code == "OccurrenceConstraintViolation"
    assert wrong_type.code == "TypeConstraintViolation"
    assert wrong_enum.code == "PropertyConstraintViolation"
    assert (await station.boot())["status"] == "Accepted"


async def test_every_frame_reaches_the_message_log(
    connect: StationFactory, runtime: Runtime
) -> None:
    station = await connect("cp-log")
    await station.boot()
    await station.send_raw("this is not json")
    await station.recv_raw(timeout=5)
    await runtime.writer.flush()

    async with runtime.sessionmaker() as session:
        rows = (
            await session.scalars(
                select(MessageLogEntry)
                .where(MessageLogEntry.station_id == "cp-log")
                .order_by(MessageLogEntry.id)
            )
        ).all()
    kinds = [(row.origin, row.message_type_id, row.action) for row in rows]
    assert ("cs", 2, "BootNotification") in kinds
    assert ("csms", 3, "BootNotification") in kinds
    assert ("cs", None, None) in kinds
    assert ("csms", 4, None) in kinds
    assert any(row.message == "this is not json" for row in rows)


async def test_timestamp_without_zone_is_accepted_as_utc(
    connect: StationFactory, runtime: Runtime
) -> None:
    station = await connect("cp-tz")
    payload = {
        "timestamp": "2026-03-04T05:06:07.123456",
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
    }

    assert await station.call("StatusNotification", payload) == {}

    async with runtime.sessionmaker() as session:
        stamp = await session.scalar(
            select(StatusNotification.timestamp).where(StatusNotification.station_id == "cp-tz")
        )
    assert stamp == datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


async def test_not_a_timestamp_is_a_property_violation(connect: StationFactory) -> None:
    station = await connect("cp-tz2")
    payload = {
        "timestamp": "yesterday",
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
    }

    error = await expect_error(station, "StatusNotification", payload)

    assert error.code == "PropertyConstraintViolation"
