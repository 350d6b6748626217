"""Session-level building blocks of the device model store (interface.md §5.1, §5.3).

Everything here works inside a caller's transaction; `services/device_model.py` decides what to
write and when. Keys come from OCPP JSON (`ComponentType`, `VariableType`) as received.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tourmaline.db.models import (
    DeviceAttributeStatus,
    DeviceComponent,
    DeviceVariable,
    DeviceVariableAttribute,
    DeviceVariableCharacteristics,
)

__all__ = [
    "DEFAULT_ATTRIBUTE_TYPE",
    "PASSWORD_DATA_TYPE",
    "AttributeKey",
    "ComponentRef",
    "DeviceModelStore",
    "VariableRef",
    "is_secret",
]

DEFAULT_ATTRIBUTE_TYPE = "Actual"
DEFAULT_MUTABILITY = "ReadWrite"
PASSWORD_DATA_TYPE = "passwordString"  # noqa: S105 - an OCPP dataType name
# interface.md §5.3: recognised by name too, because errata 2023-12 made its dataType `string`.
SECRET_NAMES = frozenset({("SecurityCtrlr", "BasicAuthPassword")})


def is_secret(component: str, variable: str, data_type: str | None) -> bool:
    return (component, variable) in SECRET_NAMES or data_type == PASSWORD_DATA_TYPE


def _key(*parts: object) -> str:
    # JSON keeps the parts apart whatever characters the names contain.
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class ComponentRef:
    name: str
    instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None

    @classmethod
    def from_json(cls, component: dict[str, Any]) -> ComponentRef:
        evse = component.get("evse") or {}
        return cls(
            component["name"], component.get("instance"), evse.get("id"), evse.get("connectorId")
        )

    @property
    def natural_key(self) -> str:
        return _key(self.name, self.instance, self.evse_id, self.connector_id)


@dataclass(frozen=True, slots=True)
class VariableRef:
    name: str
    instance: str | None = None

    @classmethod
    def from_json(cls, variable: dict[str, Any]) -> VariableRef:
        return cls(variable["name"], variable.get("instance"))

    @property
    def natural_key(self) -> str:
        return _key(self.name, self.instance)


@dataclass(frozen=True, slots=True)
class AttributeKey:
    component: ComponentRef
    variable: VariableRef
    type: str = DEFAULT_ATTRIBUTE_TYPE

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> AttributeKey:
        """From a GetVariableData/SetVariableData/…Result entry."""
        return cls(
            ComponentRef.from_json(item["component"]),
            VariableRef.from_json(item["variable"]),
            item.get("attributeType") or DEFAULT_ATTRIBUTE_TYPE,
        )


class DeviceModelStore:
    """Find-or-create of device-model rows for one station inside one session."""

    def __init__(self, session: AsyncSession, station_id: str, now: datetime) -> None:
        self.session = session
        self.station_id = station_id
        self.now = now

    async def component(self, ref: ComponentRef, *, create: bool) -> DeviceComponent | None:
        row = await self.session.scalar(
            select(DeviceComponent).where(
                DeviceComponent.station_id == self.station_id,
                DeviceComponent.natural_key == ref.natural_key,
            )
        )
        if row is None and create:
            row = DeviceComponent(
                station_id=self.station_id,
                natural_key=ref.natural_key,
                name=ref.name,
                instance=ref.instance,
                evse_id=ref.evse_id,
                connector_id=ref.connector_id,
            )
            await self._insert(row)
        return row

    async def variable(
        self, component: DeviceComponent, ref: VariableRef, *, create: bool
    ) -> DeviceVariable | None:
        row = await self.session.scalar(
            select(DeviceVariable).where(
                DeviceVariable.component_id == component.id,
                DeviceVariable.natural_key == ref.natural_key,
            )
        )
        if row is None and create:
            row = DeviceVariable(
                component_id=component.id,
                natural_key=ref.natural_key,
                name=ref.name,
                instance=ref.instance,
            )
            await self._insert(row)
        return row

    async def variable_for(self, component: ComponentRef, variable: VariableRef) -> DeviceVariable:
        component_row = await self.component(component, create=True)
        assert component_row is not None
        row = await self.variable(component_row, variable, create=True)
        assert row is not None
        return row

    async def characteristics(
        self, variable: DeviceVariable
    ) -> DeviceVariableCharacteristics | None:
        return await self.session.get(DeviceVariableCharacteristics, variable.id)

    async def put_characteristics(
        self, variable: DeviceVariable, given: dict[str, Any]
    ) -> DeviceVariableCharacteristics:
        row = await self.characteristics(variable)
        if row is None:
            row = DeviceVariableCharacteristics(variable_id=variable.id)
            self.session.add(row)
        row.unit = given.get("unit")
        row.data_type = given["dataType"]
        row.min_limit = given.get("minLimit")
        row.max_limit = given.get("maxLimit")
        row.values_list = given.get("valuesList")
        row.supports_monitoring = bool(given["supportsMonitoring"])
        return row

    async def attribute(
        self, variable: DeviceVariable, attribute_type: str
    ) -> DeviceVariableAttribute | None:
        return await self.session.scalar(
            select(DeviceVariableAttribute).where(
                DeviceVariableAttribute.variable_id == variable.id,
                DeviceVariableAttribute.type == attribute_type,
            )
        )

    async def attribute_or_new(
        self, variable: DeviceVariable, attribute_type: str
    ) -> DeviceVariableAttribute:
        row = await self.attribute(variable, attribute_type)
        if row is None:
            row = DeviceVariableAttribute(
                station_id=self.station_id,
                variable_id=variable.id,
                type=attribute_type,
                mutability=DEFAULT_MUTABILITY,
                constant=False,
                has_secret=False,
                updated_at=self.now,
            )
            await self._insert(row)
        return row

    async def find(self, key: AttributeKey) -> DeviceVariableAttribute | None:
        component = await self.component(key.component, create=False)
        if component is None:
            return None
        variable = await self.variable(component, key.variable, create=False)
        return None if variable is None else await self.attribute(variable, key.type)

    async def find_or_create(
        self, key: AttributeKey
    ) -> tuple[DeviceVariable, DeviceVariableAttribute]:
        variable = await self.variable_for(key.component, key.variable)
        return variable, await self.attribute_or_new(variable, key.type)

    async def data_type(
        self, variable: DeviceVariable, attribute: DeviceVariableAttribute | None
    ) -> str | None:
        if attribute is not None and attribute.data_type is not None:
            return attribute.data_type
        characteristics = await self.characteristics(variable)
        return None if characteristics is None else characteristics.data_type

    def add_status(
        self,
        attribute: DeviceVariableAttribute,
        status: str,
        *,
        value: str | None = None,
        status_info: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            DeviceAttributeStatus(
                attribute_id=attribute.id,
                value=value,
                status=status,
                status_info=status_info,
                created_at=self.now,
            )
        )

    async def _insert(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()
