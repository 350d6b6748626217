"""The device model: every write path of interface.md §5.2 and the secret rules of §5.3.

Station-reported data (NotifyReport, GetVariables results, NotifyEvent) never sets a secret value;
a secret only changes through `CredentialService` (the password endpoint, the variableAttribute
PUT, an Accepted/RebootRequired SetVariables result), and its row records that a value exists
without holding it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import ChargingStation, DeviceVariableAttribute
from tourmaline.ocpp.v201.models import BootNotificationRequest
from tourmaline.services.batching import Batcher
from tourmaline.services.boot_attributes import BootAttribute, write_boot_attributes
from tourmaline.services.credentials import CredentialService, validate_password
from tourmaline.services.device_model_query import (
    AttributeFilters,
    count_deleted,
    delete_attributes,
    select_attribute_views,
)
from tourmaline.services.device_model_store import (
    DEFAULT_ATTRIBUTE_TYPE,
    PASSWORD_DATA_TYPE,
    AttributeKey,
    ComponentRef,
    DeviceModelStore,
    VariableRef,
    is_secret,
)

__all__ = [
    "BASIC_AUTH_PASSWORD",
    "AttributeFilters",
    "DeviceModelService",
    "StationUnknownError",
    "count_deleted",
]

log = structlog.get_logger(__name__)

JsonObject = dict[str, Any]

BASIC_AUTH_PASSWORD = AttributeKey(ComponentRef("SecurityCtrlr"), VariableRef("BasicAuthPassword"))
NOTIFY_REPORT_REASON = "NotifyReport"
SET_ON_CHARGER_REASON = "SetOnCharger"
STORED_SET_STATUSES = frozenset({"Accepted", "RebootRequired"})
WRITE_ONLY = "WriteOnly"
CONNECTOR_AVAILABILITY = ("Connector", "AvailabilityState")


class StationUnknownError(LookupError):
    """The station has no charging-station record (the API answers 404)."""


def _boot_attributes(request: BootNotificationRequest) -> list[tuple[str, str, str]]:
    """interface.md §4.3: the device-model attributes a BootNotification sets, when present."""
    station = request.charging_station
    modem = station.modem
    candidates = [
        ("ChargingStation", "Model", station.model),
        ("ChargingStation", "VendorName", station.vendor_name),
        ("ChargingStation", "SerialNumber", station.serial_number),
        ("Controller", "FirmwareVersion", station.firmware_version),
        ("DataLink", "IMSI", modem.imsi if modem else None),
        ("DataLink", "ICCID", modem.iccid if modem else None),
    ]
    return [(c, v, value) for c, v, value in candidates if value is not None]


def _unique_by_type(entries: Sequence[JsonObject], station_id: str) -> list[JsonObject]:
    """interface.md §5.2: a duplicate `type` in one reportData -> the later entry wins."""
    by_type: dict[str, JsonObject] = {}
    for entry in entries:
        attribute_type = entry.get("type") or DEFAULT_ATTRIBUTE_TYPE
        if attribute_type in by_type:
            log.warning(
                "duplicate attribute type in reportData", station_id=station_id, type=attribute_type
            )
        by_type[attribute_type] = entry
    return list(by_type.values())


def _apply_entry_fields(attribute: DeviceVariableAttribute, entry: JsonObject) -> None:
    for field, column in (
        ("mutability", "mutability"),
        ("persistent", "persistent"),
        ("constant", "constant"),
    ):
        if field in entry:
            setattr(attribute, column, entry[field])


def _store_secret_marker(attribute: DeviceVariableAttribute, now: datetime) -> None:
    attribute.value = None
    attribute.has_secret = True
    attribute.updated_at = now


class DeviceModelService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        credentials: CredentialService,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._credentials = credentials
        self._boot_batcher: Batcher[list[BootAttribute], None] = Batcher(
            self._write_boot_groups, key=lambda group: group[0].station_id
        )

    # -- station-reported data ------------------------------------------------------------------

    async def apply_report(
        self, station_id: str, report_data: Sequence[JsonObject], generated_at: datetime
    ) -> None:
        """One NotifyReport part (interface.md §5.2), in one transaction."""
        async with self._sessionmaker.begin() as session:
            store = DeviceModelStore(session, station_id, self._clock.now())
            for item in report_data:
                await self._apply_report_item(store, item, generated_at, NOTIFY_REPORT_REASON)

    async def _apply_report_item(
        self,
        store: DeviceModelStore,
        item: JsonObject,
        generated_at: datetime | None,
        reason_code: str | None,
    ) -> list[DeviceVariableAttribute]:
        names = (item["component"]["name"], item["variable"]["name"])
        variable = await store.variable_for(
            ComponentRef.from_json(item["component"]), VariableRef.from_json(item["variable"])
        )
        if item.get("variableCharacteristics"):
            await store.put_characteristics(variable, item["variableCharacteristics"])
        written = []
        for entry in _unique_by_type(item.get("variableAttribute") or [], store.station_id):
            attribute = await store.attribute_or_new(
                variable, entry.get("type") or DEFAULT_ATTRIBUTE_TYPE
            )
            _apply_entry_fields(attribute, entry)
            attribute.data_type = await store.data_type(variable, None) or attribute.data_type
            secret = is_secret(*names, attribute.data_type)
            # interface.md §5.2/§5.3: an absent value keeps the stored one; a secret never takes
            # a station-reported value.
            if secret:
                attribute.value = None
            elif "value" in entry:
                attribute.value = entry["value"]
            attribute.generated_at = generated_at or attribute.generated_at
            attribute.updated_at = store.now
            if reason_code is not None:
                status_info = {"reasonCode": reason_code}
                store.add_status(
                    attribute, "Accepted", value=attribute.value, status_info=status_info
                )
            written.append(attribute)
        return written

    async def apply_get_variables_results(
        self, station_id: str, results: Sequence[JsonObject]
    ) -> None:
        """interface.md §5.2: Accepted -> value upserted + status row; any other status -> a
        status row only when the attribute exists (nothing is created for unknown ones)."""
        async with self._sessionmaker.begin() as session:
            store = DeviceModelStore(session, station_id, self._clock.now())
            for result in results:
                await self._apply_get_result(store, result)

    async def _apply_get_result(self, store: DeviceModelStore, result: JsonObject) -> None:
        key = AttributeKey.from_json(result)
        status = result["attributeStatus"]
        status_info = result.get("attributeStatusInfo")
        if status != "Accepted":
            existing = await store.find(key)
            if existing is not None:
                store.add_status(existing, status, status_info=status_info)
            return
        attribute = await self._put_reported_value(store, key, result.get("attributeValue"))
        store.add_status(attribute, status, value=attribute.value, status_info=status_info)

    async def _put_reported_value(
        self, store: DeviceModelStore, key: AttributeKey, value: str | None
    ) -> DeviceVariableAttribute:
        variable, attribute = await store.find_or_create(key)
        data_type = await store.data_type(variable, attribute)
        if not is_secret(key.component.name, key.variable.name, data_type) and value is not None:
            attribute.value = value
        attribute.updated_at = store.now
        return attribute

    async def apply_event_data(self, station_id: str, event_data: Sequence[JsonObject]) -> None:
        """NotifyEvent (interface.md §5.2): the Actual value becomes the event's `actualValue`."""
        async with self._sessionmaker.begin() as session:
            store = DeviceModelStore(session, station_id, self._clock.now())
            for event in event_data:
                key = AttributeKey(
                    ComponentRef.from_json(event["component"]),
                    VariableRef.from_json(event["variable"]),
                )
                await self._put_reported_value(store, key, event.get("actualValue"))

    async def apply_boot_fields(self, station_id: str, request: BootNotificationRequest) -> None:
        """interface.md §4.3: identity attributes (Actual, ReadOnly) from a BootNotification,
        committed with those of the other stations booting meanwhile."""
        attributes = [
            BootAttribute(station_id, component, variable, value)
            for component, variable, value in _boot_attributes(request)
        ]
        if attributes:
            await self._boot_batcher.submit(attributes)

    async def _write_boot_groups(self, groups: list[list[BootAttribute]]) -> list[None]:
        async with self._sessionmaker.begin() as session:
            flat = [attribute for group in groups for attribute in group]
            await write_boot_attributes(session, flat, self._clock.now())
        return [None] * len(groups)

    async def set_connector_availability(
        self, station_id: str, evse_id: int, connector_id: int, status: str
    ) -> bool:
        """StatusNotification (interface.md §10.5): sets Connector.AvailabilityState of that
        EVSE/connector if the station reported that attribute; returns whether it did."""
        component, variable = CONNECTOR_AVAILABILITY
        key = AttributeKey(
            ComponentRef(component, None, evse_id, connector_id), VariableRef(variable)
        )
        async with self._sessionmaker.begin() as session:
            store = DeviceModelStore(session, station_id, self._clock.now())
            attribute = await store.find(key)
            if attribute is None:
                return False
            attribute.value = status
            attribute.updated_at = store.now
            return True

    # -- CSMS-initiated changes -----------------------------------------------------------------

    async def apply_set_variables_results(
        self, station_id: str, set_data: Sequence[JsonObject], results: Sequence[JsonObject]
    ) -> None:
        """interface.md §5.2: nothing was written before the answer. Accepted/RebootRequired
        store the requested value (a secret goes to the credential store instead); any other
        status adds a status row to an existing attribute."""
        requested = {AttributeKey.from_json(item): item.get("attributeValue") for item in set_data}
        for result in results:
            key = AttributeKey.from_json(result)
            await self._apply_set_result(station_id, key, requested.get(key), result)

    async def _apply_set_result(
        self, station_id: str, key: AttributeKey, value: str | None, result: JsonObject
    ) -> None:
        status = result["attributeStatus"]
        status_info = result.get("attributeStatusInfo")
        if (
            status in STORED_SET_STATUSES
            and value is not None
            and await self._is_secret(station_id, key)
        ):
            await self._store_set_secret(station_id, key, value, status, status_info)
            return
        async with self._sessionmaker.begin() as session:
            store = DeviceModelStore(session, station_id, self._clock.now())
            if status in STORED_SET_STATUSES and value is not None:
                _, attribute = await store.find_or_create(key)
                attribute.value = value
                attribute.updated_at = store.now
            else:
                found = await store.find(key)
                if found is None:
                    return
                attribute = found
            secret = await self._is_secret_in(store, key)
            store.add_status(
                attribute, status, value=None if secret else value, status_info=status_info
            )

    async def _store_set_secret(
        self,
        station_id: str,
        key: AttributeKey,
        value: str,
        status: str,
        status_info: JsonObject | None,
    ) -> None:
        try:
            validate_password(value)
        except ValueError:
            # The station took a value our credential store cannot hold: keep the old one.
            log.warning(
                "SetVariables secret not storable", station_id=station_id, key=key.variable.name
            )
            return
        await self._credentials.set_password(
            station_id, value, keep_previous=status == "RebootRequired"
        )
        await self._mark_secret(station_id, key, status, status_info, write_only=True)

    async def _is_secret(self, station_id: str, key: AttributeKey) -> bool:
        async with self._sessionmaker() as session:
            return await self._is_secret_in(
                DeviceModelStore(session, station_id, self._clock.now()), key
            )

    async def _is_secret_in(self, store: DeviceModelStore, key: AttributeKey) -> bool:
        if is_secret(key.component.name, key.variable.name, None):
            return True
        component = await store.component(key.component, create=False)
        variable = (
            None
            if component is None
            else await store.variable(component, key.variable, create=False)
        )
        if variable is None:
            return False
        return is_secret(
            key.component.name,
            key.variable.name,
            await store.data_type(variable, await store.attribute(variable, key.type)),
        )

    async def _mark_secret(
        self,
        station_id: str,
        key: AttributeKey,
        status: str,
        status_info: JsonObject | None,
        *,
        write_only: bool = False,
    ) -> DeviceVariableAttribute:
        async with self._sessionmaker.begin() as session:
            store = DeviceModelStore(session, station_id, self._clock.now())
            _, attribute = await store.find_or_create(key)
            _store_secret_marker(attribute, store.now)
            if write_only:
                attribute.mutability = WRITE_ONLY
                attribute.data_type = PASSWORD_DATA_TYPE
            store.add_status(attribute, status, status_info=status_info)
            return attribute

    async def record_password(
        self,
        station_id: str,
        password: str,
        reason_code: str = SET_ON_CHARGER_REASON,
        *,
        keep_previous: bool = False,
    ) -> None:
        """interface.md §6 "Storing": credential hash replaced (verification cache cleared),
        BasicAuthPassword row upserted WriteOnly/passwordString without value, status row."""
        await self._credentials.set_password(station_id, password, keep_previous=keep_previous)
        status_info = {"reasonCode": reason_code}
        await self._mark_secret(
            station_id, BASIC_AUTH_PASSWORD, "Accepted", status_info, write_only=True
        )

    # -- REST ------------------------------------------------------------------------------------

    async def station_exists(self, station_id: str) -> bool:
        async with self._sessionmaker() as session:
            return await session.get(ChargingStation, station_id) is not None

    async def upsert_from_api(
        self, station_id: str, report_data: JsonObject, *, set_on_charger: bool = False
    ) -> list[JsonObject]:
        """PUT /data/monitoring/variableAttribute (interface.md §5.2, §8.2). A secret value is
        validated first (ValueError: nothing written) and stored as the station's credential."""
        if not await self.station_exists(station_id):
            raise StationUnknownError(station_id)
        secret_value = self._secret_value_in(report_data)
        if secret_value is not None:
            validate_password(secret_value)
            await self._credentials.set_password(station_id, secret_value)
        reason = SET_ON_CHARGER_REASON if set_on_charger else None
        async with self._sessionmaker.begin() as session:
            store = DeviceModelStore(session, station_id, self._clock.now())
            written = await self._apply_report_item(store, report_data, None, reason)
            if secret_value is not None:
                for attribute in written:
                    _store_secret_marker(attribute, store.now)
            ids = [attribute.id for attribute in written]
        return await self.query(station_id, AttributeFilters(), attribute_ids=ids)

    @staticmethod
    def _secret_value_in(report_data: JsonObject) -> str | None:
        names = (report_data["component"]["name"], report_data["variable"]["name"])
        data_type = (report_data.get("variableCharacteristics") or {}).get("dataType")
        if not is_secret(*names, data_type):
            return None
        values = [e["value"] for e in report_data.get("variableAttribute") or [] if "value" in e]
        return values[-1] if values else None

    async def query(
        self,
        station_id: str,
        filters: AttributeFilters,
        *,
        attribute_ids: Sequence[int] | None = None,
    ) -> list[JsonObject]:
        async with self._sessionmaker() as session:
            return await select_attribute_views(session, station_id, filters, attribute_ids)

    async def delete(self, station_id: str, filters: AttributeFilters) -> int:
        async with self._sessionmaker.begin() as session:
            return await delete_attributes(session, station_id, filters)

    async def get_limit(
        self, station_id: str, component: str, variable: str, instance: str | None
    ) -> str | None:
        """A stored Actual value (e.g. DeviceDataCtrlr.ItemsPerMessage[GetVariables]) for
        message batching (interface.md §5.1); None when unknown."""
        key = AttributeKey(ComponentRef(component), VariableRef(variable, instance))
        async with self._sessionmaker() as session:
            attribute = await DeviceModelStore(session, station_id, self._clock.now()).find(key)
            return None if attribute is None else attribute.value
