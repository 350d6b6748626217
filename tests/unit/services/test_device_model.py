"""The device model store on a real database (interface.md §5): NotifyReport upserts, EVSE keying,
kept values, secrets, Get/SetVariables results, boot fields, connector availability, limits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.db.models import DeviceAttributeStatus, DeviceVariableAttribute
from tourmaline.ocpp.v201.models import BootNotificationRequest
from tourmaline.services.credentials import CredentialService
from tourmaline.services.device_model import AttributeFilters, DeviceModelService
from tourmaline.services.stations import StationService, StationWrite

GENERATED = datetime(2026, 1, 2, 3, 0, 0, tzinfo=UTC)
PASSWORD = "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L"
SECURITY = {"name": "SecurityCtrlr"}
BASIC_AUTH = {"name": "BasicAuthPassword"}


def item(
    component: dict[str, Any],
    variable: dict[str, Any],
    *attributes: dict[str, Any],
    characteristics: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "component": component,
        "variable": variable,
        "variableAttribute": list(attributes),
    }
    if characteristics is not None:
        data["variableCharacteristics"] = characteristics
    return data


@pytest.fixture
async def station(stations: StationService) -> str:
    await stations.upsert("cp001", StationWrite())
    return "cp001"


@pytest.fixture
def device_model(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    credentials: CredentialService,
) -> DeviceModelService:
    return DeviceModelService(sessionmaker, clock, credentials)


async def values(model: DeviceModelService, station: str, **filters: Any) -> list[Any]:
    return [view.get("value") for view in await model.query(station, AttributeFilters(**filters))]


async def status_count(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count(DeviceAttributeStatus.id))) or 0)


async def test_report_creates_attributes_with_characteristics_and_status_rows(
    device_model: DeviceModelService, station: str
) -> None:
    characteristics = {"dataType": "integer", "unit": "s", "supportsMonitoring": False}
    report = [
        item(
            {"name": "OCPPCommCtrlr"},
            {"name": "HeartbeatInterval"},
            {"value": "60", "mutability": "ReadWrite"},
            {"type": "Target", "value": "90"},
            characteristics=characteristics,
        )
    ]

    await device_model.apply_report(station, report, GENERATED)

    views = await device_model.query(station, AttributeFilters(variable_name="HeartbeatInterval"))
    assert [(v["type"], v["value"]) for v in views] == [("Actual", "60"), ("Target", "90")]
    actual = views[0]
    assert actual["component"] == {"id": actual["componentId"], "name": "OCPPCommCtrlr"}
    assert actual["variable"]["variableCharacteristics"] == characteristics
    assert actual["generatedAt"] == "2026-01-02T03:00:00Z"
    assert [(s["status"], s["statusInfo"]) for s in actual["statuses"]] == [
        ("Accepted", {"reasonCode": "NotifyReport"})
    ]
    assert "secret" not in actual


async def test_same_variable_on_two_evses_is_two_attributes(
    device_model: DeviceModelService, station: str
) -> None:
    report = [
        item({"name": "EVSE", "evse": {"id": 1}}, {"name": "Power"}, {"value": "11000"}),
        item({"name": "EVSE", "evse": {"id": 2}}, {"name": "Power"}, {"value": "22000"}),
    ]

    await device_model.apply_report(station, report, GENERATED)

    assert await values(device_model, station, variable_name="Power") == ["11000", "22000"]
    assert await values(device_model, station, evse_id=2) == ["22000"]


async def test_entry_without_value_keeps_the_stored_value(
    device_model: DeviceModelService, station: str, clock: FakeClock
) -> None:
    await device_model.apply_report(
        station, [item({"name": "Clock"}, {"name": "TimeSource"}, {"value": "NTP"})], GENERATED
    )
    clock.advance(10)
    later = [item({"name": "Clock"}, {"name": "TimeSource"}, {"mutability": "ReadOnly"})]
    await device_model.apply_report(station, later, GENERATED)

    [view] = await device_model.query(station, AttributeFilters(component_name="Clock"))
    assert (view["value"], view["mutability"], len(view["statuses"])) == ("NTP", "ReadOnly", 2)


async def test_duplicate_type_in_one_report_data_later_entry_wins(
    device_model: DeviceModelService, station: str
) -> None:
    report = [item({"name": "Clock"}, {"name": "TimeZone"}, {"value": "UTC"}, {"value": "CET"})]

    await device_model.apply_report(station, report, GENERATED)

    assert await values(device_model, station, component_name="Clock") == ["CET"]


async def test_a_reported_secret_value_is_never_stored_or_returned(
    device_model: DeviceModelService,
    station: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    report = [
        item(SECURITY, BASIC_AUTH, {"value": PASSWORD}),
        item(
            {"name": "Other"},
            {"name": "Pin"},
            {"value": "1234"},
            characteristics={"dataType": "passwordString", "supportsMonitoring": False},
        ),
    ]

    await device_model.apply_report(station, report, GENERATED)

    views = await device_model.query(station, AttributeFilters())
    assert all(view["secret"] is True and "value" not in view for view in views)
    async with sessionmaker() as session:
        stored = await session.scalars(select(DeviceVariableAttribute.value))
        assert set(stored) == {None}
        status_values = await session.scalars(select(DeviceAttributeStatus.value))
        assert set(status_values) == {None}


async def test_filters_and_delete_count(device_model: DeviceModelService, station: str) -> None:
    report = [
        item(
            {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
            {"name": "AvailabilityState"},
            {"value": "Available"},
        ),
        item(
            {"name": "Connector", "evse": {"id": 1, "connectorId": 2}},
            {"name": "AvailabilityState"},
            {"value": "Occupied"},
        ),
        item({"name": "Clock"}, {"name": "TimeSource", "instance": "x"}, {"value": "NTP"}),
    ]
    await device_model.apply_report(station, report, GENERATED)

    assert await values(device_model, station, connector_id=2) == ["Occupied"]
    assert await values(device_model, station, value="NTP", variable_instance="x") == ["NTP"]
    assert await values(device_model, station, status="Accepted", component_name="Clock") == ["NTP"]
    assert await values(device_model, station, status="Rejected") == []
    assert await values(device_model, station, type="Target") == []
    assert await values(device_model, station, type="NULL") == []

    assert await device_model.delete(station, AttributeFilters(component_name="Connector")) == 2
    assert await values(device_model, station) == ["NTP"]
    assert await device_model.delete(station, AttributeFilters(component_name="Connector")) == 0


async def test_other_station_data_is_invisible(
    device_model: DeviceModelService, station: str, stations: StationService
) -> None:
    await stations.upsert("cp002", StationWrite())
    await device_model.apply_report(
        "cp002", [item({"name": "Clock"}, {"name": "TimeSource"}, {"value": "GPS"})], GENERATED
    )

    assert await values(device_model, station) == []
    assert await device_model.delete(station, AttributeFilters()) == 0
    assert await values(device_model, "cp002") == ["GPS"]


async def test_boot_fields_become_read_only_actual_attributes(
    device_model: DeviceModelService, station: str
) -> None:
    request = BootNotificationRequest.model_validate(
        {
            "reason": "PowerUp",
            "chargingStation": {
                "model": "M1",
                "vendorName": "V",
                "firmwareVersion": "1.2",
                "modem": {"iccid": "8901"},
            },
        }
    )

    await device_model.apply_boot_fields(station, request)

    views = await device_model.query(station, AttributeFilters())
    found = {(v["component"]["name"], v["variable"]["name"]): v for v in views}
    assert {key: v["value"] for key, v in found.items()} == {
        ("ChargingStation", "Model"): "M1",
        ("ChargingStation", "VendorName"): "V",
        ("Controller", "FirmwareVersion"): "1.2",
        ("DataLink", "ICCID"): "8901",
    }
    assert {v["mutability"] for v in views} == {"ReadOnly"}


def boot(firmware: str, model: str = "M1") -> BootNotificationRequest:
    station = {"model": model, "vendorName": "V", "firmwareVersion": firmware}
    return BootNotificationRequest.model_validate({"reason": "PowerUp", "chargingStation": station})


async def test_stations_booting_together_each_get_their_own_attributes(
    device_model: DeviceModelService, stations: StationService
) -> None:
    ids = [f"cp-{n}" for n in range(5)]
    for station_id in ids:
        await stations.upsert(station_id, StationWrite())

    await asyncio.gather(
        *(device_model.apply_boot_fields(s, boot(f"1.{n}")) for n, s in enumerate(ids))
    )

    for n, station_id in enumerate(ids):
        assert await values(device_model, station_id, variable_name="FirmwareVersion") == [f"1.{n}"]


async def test_a_later_boot_updates_the_attributes_a_report_or_boot_created(
    device_model: DeviceModelService, station: str
) -> None:
    firmware = item({"name": "Controller"}, {"name": "FirmwareVersion"}, {"value": "0.9"})
    await device_model.apply_report(station, [firmware], GENERATED)
    await device_model.apply_boot_fields(station, boot("1.0"))
    await device_model.apply_boot_fields(station, boot("2.0", model="M2"))

    views = await device_model.query(station, AttributeFilters())
    assert sorted((v["variable"]["name"], v["value"], v["mutability"]) for v in views) == [
        ("FirmwareVersion", "2.0", "ReadOnly"),
        ("Model", "M2", "ReadOnly"),
        ("VendorName", "V", "ReadOnly"),
    ]


async def test_connector_availability_only_updates_an_existing_attribute(
    device_model: DeviceModelService, station: str
) -> None:
    connector = {"name": "Connector", "evse": {"id": 1, "connectorId": 1}}
    assert not await device_model.set_connector_availability(station, 1, 1, "Occupied")
    assert await values(device_model, station) == []

    await device_model.apply_report(
        station, [item(connector, {"name": "AvailabilityState"}, {"value": "Available"})], GENERATED
    )

    assert await device_model.set_connector_availability(station, 1, 1, "Occupied")
    assert not await device_model.set_connector_availability(station, 1, 2, "Occupied")
    assert await values(device_model, station) == ["Occupied"]


def get_result(status: str, name: str, value: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "attributeStatus": status,
        "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": name},
    }
    if value is not None:
        result["attributeValue"] = value
    return result


async def test_get_variables_results_create_only_accepted_attributes(
    device_model: DeviceModelService,
    station: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    results = [
        get_result("Accepted", "HeartbeatInterval", "30"),
        get_result("UnknownVariable", "Nonsense"),
    ]

    await device_model.apply_get_variables_results(station, results)
    await device_model.apply_get_variables_results(
        station, [get_result("Rejected", "HeartbeatInterval")]
    )

    [view] = await device_model.query(station, AttributeFilters())
    assert view["value"] == "30"
    assert [s["status"] for s in view["statuses"]] == ["Accepted", "Rejected"]
    assert await status_count(sessionmaker) == 2


def set_item(name: str, value: str, component: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "component": component or {"name": "OCPPCommCtrlr"},
        "variable": {"name": name},
        "attributeValue": value,
    }


def set_result(status: str, name: str, component: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "attributeStatus": status,
        "component": component or {"name": "OCPPCommCtrlr"},
        "variable": {"name": name},
    }


async def test_set_variables_results_store_accepted_and_reboot_required_only(
    device_model: DeviceModelService, station: str
) -> None:
    set_data = [
        set_item("HeartbeatInterval", "30"),
        set_item("OfflineThreshold", "9"),
        set_item("MessageTimeout", "5"),
    ]
    results = [
        set_result("Accepted", "HeartbeatInterval"),
        set_result("RebootRequired", "OfflineThreshold"),
        set_result("Rejected", "MessageTimeout"),
    ]

    await device_model.apply_set_variables_results(station, set_data, results)

    views = await device_model.query(station, AttributeFilters())
    assert {v["variable"]["name"]: v["value"] for v in views} == {
        "HeartbeatInterval": "30",
        "OfflineThreshold": "9",
    }


async def test_set_variables_rejection_adds_a_status_row_to_an_existing_attribute(
    device_model: DeviceModelService, station: str
) -> None:
    await device_model.apply_set_variables_results(
        station, [set_item("MessageTimeout", "5")], [set_result("Accepted", "MessageTimeout")]
    )
    await device_model.apply_set_variables_results(
        station, [set_item("MessageTimeout", "7")], [set_result("Rejected", "MessageTimeout")]
    )

    [view] = await device_model.query(station, AttributeFilters())
    assert view["value"] == "5"
    assert [(s["status"], s["value"]) for s in view["statuses"]] == [
        ("Accepted", "5"),
        ("Rejected", "7"),
    ]


@pytest.mark.parametrize("status", ["Accepted", "RebootRequired"])
async def test_set_variables_secret_goes_to_the_credential_store(
    device_model: DeviceModelService,
    station: str,
    credentials: CredentialService,
    sessionmaker: async_sessionmaker[AsyncSession],
    status: str,
) -> None:
    old = "old-password-0123456789"
    await credentials.set_password(station, old)

    await device_model.apply_set_variables_results(
        station,
        [set_item("BasicAuthPassword", PASSWORD, SECURITY)],
        [set_result(status, "BasicAuthPassword", SECURITY)],
    )

    # RebootRequired: the old password stays valid until the station used the new one.
    assert await credentials.verify(station, old) == (status == "RebootRequired")
    assert await credentials.verify(station, PASSWORD)
    [view] = await device_model.query(station, AttributeFilters())
    assert view["secret"] is True and "value" not in view
    async with sessionmaker() as session:
        assert set(await session.scalars(select(DeviceVariableAttribute.value))) == {None}


async def test_set_variables_secret_refused_changes_no_credential(
    device_model: DeviceModelService, station: str, credentials: CredentialService
) -> None:
    await device_model.apply_set_variables_results(
        station,
        [set_item("BasicAuthPassword", PASSWORD, SECURITY)],
        [set_result("Rejected", "BasicAuthPassword", SECURITY)],
    )

    assert not await credentials.has_password(station)
    assert await values(device_model, station) == []


async def test_record_password_stores_hash_and_a_valueless_write_only_row(
    device_model: DeviceModelService, station: str, credentials: CredentialService
) -> None:
    await device_model.record_password(station, PASSWORD)

    assert await credentials.verify(station, PASSWORD)
    [view] = await device_model.query(station, AttributeFilters())
    assert (view["mutability"], view["dataType"], view["secret"]) == (
        "WriteOnly",
        "passwordString",
        True,
    )
    assert "value" not in view
    assert [(s["status"], s["statusInfo"]) for s in view["statuses"]] == [
        ("Accepted", {"reasonCode": "SetOnCharger"})
    ]


async def test_station_report_without_value_keeps_the_credential(
    device_model: DeviceModelService, station: str, credentials: CredentialService
) -> None:
    await device_model.record_password(station, PASSWORD)

    await device_model.apply_report(
        station, [item(SECURITY, BASIC_AUTH, {"mutability": "WriteOnly"})], GENERATED
    )

    assert await credentials.verify(station, PASSWORD)
    [view] = await device_model.query(station, AttributeFilters())
    assert view["secret"] is True


async def test_get_limit_reads_the_instance_value(
    device_model: DeviceModelService, station: str
) -> None:
    limits = {"name": "DeviceDataCtrlr"}
    report = [
        item(limits, {"name": "ItemsPerMessage", "instance": "GetVariables"}, {"value": "4"}),
        item(limits, {"name": "BytesPerMessage", "instance": "GetVariables"}, {"value": "900"}),
    ]
    await device_model.apply_report(station, report, GENERATED)

    get_limit = device_model.get_limit
    assert await get_limit(station, "DeviceDataCtrlr", "ItemsPerMessage", "GetVariables") == "4"
    assert await get_limit(station, "DeviceDataCtrlr", "ItemsPerMessage", "SetVariables") is None
    assert await get_limit("nobody", "DeviceDataCtrlr", "BytesPerMessage", "GetVariables") is None
