"""What the device model says about a station that matters to an idToken verdict
(interface.md §10.2): the connector types and EvseId of each EVSE (restrictions) and whether the
station can show a personal message.

Read only when a verdict needs them: one indexed query on the station's attributes, Actual
values only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tourmaline.db.models import DeviceComponent, DeviceVariable, DeviceVariableAttribute

__all__ = [
    "EvseFacts",
    "StationFacts",
    "read_station_facts",
    "restriction_status",
]

ACTUAL = "Actual"
CONNECTOR_TYPE = ("Connector", "ConnectorType")
EVSE_ID = ("EVSE", "EvseId")
# interface.md §10.2: either of these true means the station can show a personal message.
TARIFF_AVAILABLE = ("TariffCostCtrlr", "Available", "Tariff")
DISPLAY_AVAILABLE = ("DisplayMessageCtrlr", "Available", None)

NOT_ALLOWED_TYPE_EVSE = "NotAllowedTypeEVSE"
NOT_AT_THIS_LOCATION = "NotAtThisLocation"


@dataclass(slots=True)
class EvseFacts:
    evse_id: int
    connector_types: set[str] = field(default_factory=set)
    evse_id_text: str | None = None


@dataclass(slots=True)
class StationFacts:
    evses: dict[int, EvseFacts] = field(default_factory=dict)
    shows_messages: bool = False

    def evse(self, evse_id: int) -> EvseFacts:
        return self.evses.setdefault(evse_id, EvseFacts(evse_id))


async def read_station_facts(
    session: AsyncSession, station_id: str, *, evses: bool, messages: bool
) -> StationFacts:
    facts = StationFacts()
    wanted = [*_evse_conditions(evses), *_message_conditions(messages)]
    if not wanted:
        return facts
    stmt = (
        select(DeviceComponent.name, DeviceComponent.evse_id, DeviceVariable.name)
        .add_columns(DeviceVariableAttribute.value)
        .join(DeviceVariable, DeviceVariable.id == DeviceVariableAttribute.variable_id)
        .join(DeviceComponent, DeviceComponent.id == DeviceVariable.component_id)
        .where(DeviceVariableAttribute.station_id == station_id)
        .where(DeviceVariableAttribute.type == ACTUAL)
        .where(or_(*wanted))
    )
    for component, evse_id, variable, value in await session.execute(stmt):
        _note(facts, component, evse_id, variable, value)
    return facts


def _evse_conditions(wanted: bool) -> list[ColumnElement[bool]]:
    if not wanted:
        return []
    return [
        and_(DeviceComponent.name == component, DeviceVariable.name == variable)
        for component, variable in (CONNECTOR_TYPE, EVSE_ID)
    ]


def _message_conditions(wanted: bool) -> list[ColumnElement[bool]]:
    if not wanted:
        return []
    return [
        and_(
            DeviceComponent.name == component,
            DeviceVariable.name == variable,
            DeviceVariable.instance.is_(None)
            if instance is None
            else DeviceVariable.instance == instance,
        )
        for component, variable, instance in (TARIFF_AVAILABLE, DISPLAY_AVAILABLE)
    ]


def _note(
    facts: StationFacts, component: str, evse_id: int | None, variable: str, value: str | None
) -> None:
    if (component, variable) == CONNECTOR_TYPE and evse_id is not None and value:
        facts.evse(evse_id).connector_types.add(value)
    elif (component, variable) == EVSE_ID and evse_id is not None and value:
        facts.evse(evse_id).evse_id_text = value
    elif variable == "Available" and (value or "").strip().lower() == "true":
        facts.shows_messages = True


def restriction_status(
    allowed_connector_types: Sequence[str] | None,
    disallowed_evse_id_prefixes: Sequence[str] | None,
    facts: StationFacts,
    evse_id: int | None,
) -> str | None:
    """NotAllowedTypeEVSE / NotAtThisLocation, or None when the token may charge here.

    With `evse_id` that EVSE is judged; without one (Authorize names no EVSE) the token is
    refused only when no EVSE of the station qualifies. An allow-list needs a positive match,
    so an EVSE whose connector types are unknown does not qualify; a deny-list needs one too,
    so an EVSE whose EvseId is unknown is not excluded.
    """
    if not allowed_connector_types and not disallowed_evse_id_prefixes:
        return None
    if evse_id is not None:
        candidates = [facts.evses.get(evse_id) or EvseFacts(evse_id)]
    else:
        candidates = list(facts.evses.values())
    if allowed_connector_types:
        allowed = set(allowed_connector_types)
        candidates = [evse for evse in candidates if evse.connector_types & allowed]
        if not candidates:
            return NOT_ALLOWED_TYPE_EVSE
    if disallowed_evse_id_prefixes and candidates:
        prefixes = tuple(prefix.casefold() for prefix in disallowed_evse_id_prefixes)
        if all(_excluded(evse, prefixes) for evse in candidates):
            return NOT_AT_THIS_LOCATION
    return None


def _excluded(evse: EvseFacts, prefixes: tuple[str, ...]) -> bool:
    return evse.evse_id_text is not None and evse.evse_id_text.casefold().startswith(prefixes)
