"""Reading and deleting device-model attributes for the REST API (interface.md §8.2, §5.3).

Views never carry a secret value: `value` is omitted and `"secret": true` added (§5.3).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from tourmaline.db.models import (
    DeviceAttributeStatus,
    DeviceComponent,
    DeviceVariable,
    DeviceVariableAttribute,
    DeviceVariableCharacteristics,
)
from tourmaline.services.device_model_store import is_secret
from tourmaline.services.text_search import contains_any

__all__ = [
    "NULL_TYPE",
    "AttributeFilters",
    "count_deleted",
    "delete_attributes",
    "select_attribute_views",
]

JsonObject = dict[str, Any]

# interface.md §8.2: `type=NULL` selects attributes without a type. Tourmaline stores the OCPP
# default `Actual` for an absent type, so it matches nothing; kept for CitrineOS clients.
NULL_TYPE = "NULL"

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True, slots=True)
class AttributeFilters:
    type: str | None = None
    value: str | None = None
    status: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    component_name: str | None = None
    component_instance: str | None = None
    variable_name: str | None = None
    variable_instance: str | None = None
    limit: int | None = None
    offset: int = 0
    # Console search: component or variable name (or instance) containing this, any case.
    text: str | None = None


def count_deleted(count: int) -> str:
    """The DELETE answer text, as CitrineOS words it."""
    return f"{count} rows successfully deleted from VariableAttribute"


def _where(stmt: SelectT, station_id: str, filters: AttributeFilters) -> SelectT:
    attribute, component, variable = DeviceVariableAttribute, DeviceComponent, DeviceVariable
    stmt = stmt.join(variable, variable.id == attribute.variable_id).join(
        component, component.id == variable.component_id
    )
    stmt = stmt.where(attribute.station_id == station_id)
    if filters.type is not None:
        is_null = filters.type == NULL_TYPE
        stmt = stmt.where(attribute.type.is_(None) if is_null else attribute.type == filters.type)
    equalities = (
        (attribute.value, filters.value),
        (component.evse_id, filters.evse_id),
        (component.connector_id, filters.connector_id),
        (component.name, filters.component_name),
        (component.instance, filters.component_instance),
        (variable.name, filters.variable_name),
        (variable.instance, filters.variable_instance),
    )
    for column, wanted in equalities:
        if wanted is not None:
            stmt = stmt.where(column == wanted)
    if filters.text:
        names = (component.name, component.instance, variable.name, variable.instance)
        stmt = stmt.where(contains_any(names, filters.text))
    if filters.status is not None:
        status = DeviceAttributeStatus
        stmt = stmt.where(
            exists().where(status.attribute_id == attribute.id, status.status == filters.status)
        )
    return stmt


async def select_attribute_views(
    session: AsyncSession,
    station_id: str,
    filters: AttributeFilters,
    attribute_ids: Sequence[int] | None = None,
) -> list[JsonObject]:
    stmt = select(DeviceVariableAttribute, DeviceVariable, DeviceComponent)
    stmt = _where(stmt, station_id, filters).order_by(DeviceVariableAttribute.id)
    if attribute_ids is not None:
        stmt = stmt.where(DeviceVariableAttribute.id.in_(attribute_ids))
    stmt = stmt.offset(filters.offset)
    if filters.limit is not None:
        stmt = stmt.limit(filters.limit)
    rows = (await session.execute(stmt)).all()
    characteristics = await _characteristics(session, [variable.id for _, variable, _ in rows])
    statuses = await _statuses(session, [attribute.id for attribute, _, _ in rows])
    return [
        _attribute_view(attribute, variable, component, characteristics, statuses)
        for attribute, variable, component in rows
    ]


async def delete_attributes(
    session: AsyncSession, station_id: str, filters: AttributeFilters
) -> int:
    matching = _where(select(DeviceVariableAttribute.id), station_id, filters)
    ids = list((await session.scalars(matching)).all())
    if not ids:
        return 0
    # Status rows go with their attribute (ON DELETE CASCADE).
    await session.execute(
        delete(DeviceVariableAttribute).where(DeviceVariableAttribute.id.in_(ids))
    )
    return len(ids)


async def _characteristics(
    session: AsyncSession, variable_ids: list[int]
) -> dict[int, DeviceVariableCharacteristics]:
    if not variable_ids:
        return {}
    table = DeviceVariableCharacteristics
    rows = await session.scalars(select(table).where(table.variable_id.in_(set(variable_ids))))
    return {row.variable_id: row for row in rows}


async def _statuses(
    session: AsyncSession, attribute_ids: list[int]
) -> dict[int, list[DeviceAttributeStatus]]:
    grouped: dict[int, list[DeviceAttributeStatus]] = defaultdict(list)
    if not attribute_ids:
        return grouped
    table = DeviceAttributeStatus
    stmt = (
        select(table)
        .where(table.attribute_id.in_(attribute_ids))
        .order_by(table.created_at, table.id)
    )
    for row in await session.scalars(stmt):
        grouped[row.attribute_id].append(row)
    return grouped


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _compact(mapping: JsonObject) -> JsonObject:
    return {key: value for key, value in mapping.items() if value is not None}


def _component_view(component: DeviceComponent) -> JsonObject:
    evse = None
    if component.evse_id is not None:
        evse = _compact({"id": component.evse_id, "connectorId": component.connector_id})
    return _compact(
        {"id": component.id, "name": component.name, "instance": component.instance, "evse": evse}
    )


def _characteristics_view(row: DeviceVariableCharacteristics | None) -> JsonObject | None:
    if row is None:
        return None
    return _compact(
        {
            "unit": row.unit,
            "dataType": row.data_type,
            "minLimit": row.min_limit,
            "maxLimit": row.max_limit,
            "valuesList": row.values_list,
            "supportsMonitoring": row.supports_monitoring,
        }
    )


def _status_view(row: DeviceAttributeStatus, secret: bool) -> JsonObject:
    return _compact(
        {
            "id": row.id,
            "value": None if secret else row.value,
            "status": row.status,
            "statusInfo": row.status_info,
            "createdAt": _time(row.created_at),
        }
    )


def _attribute_view(
    attribute: DeviceVariableAttribute,
    variable: DeviceVariable,
    component: DeviceComponent,
    characteristics: dict[int, DeviceVariableCharacteristics],
    statuses: dict[int, list[DeviceAttributeStatus]],
) -> JsonObject:
    own = characteristics.get(variable.id)
    data_type = attribute.data_type or (own.data_type if own is not None else None)
    secret = attribute.has_secret or is_secret(component.name, variable.name, data_type)
    variable_view = _compact(
        {
            "id": variable.id,
            "name": variable.name,
            "instance": variable.instance,
            "variableCharacteristics": _characteristics_view(own),
        }
    )
    view = _compact(
        {
            "id": attribute.id,
            "stationId": attribute.station_id,
            "type": attribute.type,
            "dataType": attribute.data_type,
            "value": None if secret else attribute.value,
            "mutability": attribute.mutability,
            "persistent": attribute.persistent,
            "constant": attribute.constant,
            "generatedAt": _time(attribute.generated_at),
            "updatedAt": _time(attribute.updated_at),
            "componentId": component.id,
            "variableId": variable.id,
            "component": _component_view(component),
            "variable": variable_view,
        }
    )
    view["statuses"] = [_status_view(row, secret) for row in statuses.get(attribute.id, [])]
    if secret:
        view["secret"] = True
    return view
