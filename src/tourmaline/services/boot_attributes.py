"""The identity attributes a BootNotification sets (interface.md §4.3), for a whole group of
stations in five statements.

Model, vendor, serial number, firmware and modem identities become `Actual`, ReadOnly
attributes of the station's device model. Written one find-or-create at a time, that was
twenty-odd statements per boot on SQLite's single writer connection, and 2,000 stations
reconnecting at once waited 15 s for their answers. Here a group inserts the components and
variables it lacks (ON CONFLICT DO NOTHING, then reads their ids) and upserts the attributes;
DeviceModelService feeds it through a Batcher, so a reconnect storm shares a few commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from tourmaline.db.lookups import KeyLookup
from tourmaline.db.models import DeviceComponent, DeviceVariable, DeviceVariableAttribute
from tourmaline.services.device_model_store import (
    DEFAULT_ATTRIBUTE_TYPE,
    ComponentRef,
    VariableRef,
)
from tourmaline.services.stations import dialect_insert

__all__ = ["BootAttribute", "write_boot_attributes"]

READ_ONLY = "ReadOnly"

_COMPONENTS: Table = DeviceComponent.__table__  # type: ignore[assignment]
_VARIABLES: Table = DeviceVariable.__table__  # type: ignore[assignment]
_ATTRIBUTES: Table = DeviceVariableAttribute.__table__  # type: ignore[assignment]
_COMPONENT_KEYS = KeyLookup("component", (_COMPONENTS.c.station_id, _COMPONENTS.c.natural_key))
_VARIABLE_KEYS = KeyLookup("variable", (_VARIABLES.c.component_id, _VARIABLES.c.natural_key))


@dataclass(frozen=True, slots=True)
class BootAttribute:
    station_id: str
    component: str
    variable: str
    value: str

    @property
    def component_key(self) -> tuple[str, str]:
        return (self.station_id, ComponentRef(self.component).natural_key)

    @property
    def variable_key(self) -> str:
        return VariableRef(self.variable).natural_key


async def write_boot_attributes(
    session: AsyncSession, attributes: Sequence[BootAttribute], now: datetime
) -> None:
    """Every attribute's value, ReadOnly, updated at `now`; rows created as needed."""
    if not attributes:
        return
    components = await _component_ids(session, attributes)
    variables = await _variable_ids(session, attributes, components)
    rows = [
        {
            "station_id": item.station_id,
            "variable_id": variables[(components[item.component_key], item.variable_key)],
            "type": DEFAULT_ATTRIBUTE_TYPE,
            "value": item.value,
            "mutability": READ_ONLY,
            "constant": False,
            "has_secret": False,
            "updated_at": now,
        }
        for item in attributes
    ]
    insert = dialect_insert(session, _ATTRIBUTES)
    changed = {name: insert.excluded[name] for name in ("value", "mutability", "updated_at")}
    upsert = insert.on_conflict_do_update(index_elements=["variable_id", "type"], set_=changed)
    await session.execute(upsert, rows)


async def _component_ids(
    session: AsyncSession, attributes: Sequence[BootAttribute]
) -> dict[tuple[str, str], int]:
    wanted = {item.component_key: item.component for item in attributes}
    rows = [
        {"station_id": station_id, "natural_key": key, "name": name}
        for (station_id, key), name in wanted.items()
    ]
    await _insert_missing(session, _COMPONENTS, rows)
    where, params = _COMPONENT_KEYS.matching(list(wanted))
    query = select(_COMPONENTS.c.station_id, _COMPONENTS.c.natural_key, _COMPONENTS.c.id)
    found = await session.execute(query.where(where), params)
    return {(row[0], row[1]): row[2] for row in found}


async def _variable_ids(
    session: AsyncSession,
    attributes: Sequence[BootAttribute],
    components: dict[tuple[str, str], int],
) -> dict[tuple[int, str], int]:
    wanted = {
        (components[item.component_key], item.variable_key): item.variable for item in attributes
    }
    rows = [
        {"component_id": component_id, "natural_key": key, "name": name}
        for (component_id, key), name in wanted.items()
    ]
    await _insert_missing(session, _VARIABLES, rows)
    where, params = _VARIABLE_KEYS.matching(list(wanted))
    query = select(_VARIABLES.c.component_id, _VARIABLES.c.natural_key, _VARIABLES.c.id)
    found = await session.execute(query.where(where), params)
    return {(row[0], row[1]): row[2] for row in found}


async def _insert_missing(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows whose unique key exists already are left as they are (a concurrent boot or report
    may have created them a moment ago)."""
    await session.execute(dialect_insert(session, table).on_conflict_do_nothing(), rows)
