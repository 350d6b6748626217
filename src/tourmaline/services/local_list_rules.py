"""What a SendLocalList must satisfy before it is sent (interface.md §10.3; OCPP 2.0.1 D01):
a version above the stored one, no token twice, well-formed tokens, at most
`LocalAuthListCtrlr.ItemsPerMessage` entries, and a resulting list within the `maxLimit` of
`LocalAuthListCtrlr.Entries` (which must be known: D01.FR.12).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tourmaline.db.models import (
    DeviceComponent,
    DeviceVariable,
    DeviceVariableAttribute,
    DeviceVariableCharacteristics,
)
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.token_format import token_key, token_refusal

__all__ = ["ListLimits", "TokenKey", "entry_key", "list_refusal", "read_list_limits"]

TokenKey = tuple[str, str]
CONTROLLER = "LocalAuthListCtrlr"
ENTRIES = "Entries"
ITEMS_PER_MESSAGE = "ItemsPerMessage"
FULL = "Full"


@dataclass(frozen=True, slots=True)
class ListLimits:
    entries: int | None = None
    items_per_message: int | None = None


def entry_key(entry: JsonObject) -> TokenKey:
    token = entry["idToken"]
    return token_key(str(token["idToken"])), str(token["type"])


def list_refusal(
    payload: JsonObject,
    *,
    current_version: int | None,
    current_keys: Set[TokenKey],
    limits: ListLimits,
) -> str | None:
    """Why this SendLocalList may not be sent, or None."""
    entries: list[JsonObject] = payload.get("localAuthorizationList") or []
    return (
        _version_refusal(payload.get("versionNumber"), current_version)
        or _entries_refusal(entries)
        or _size_refusal(payload, entries, current_keys, limits)
    )


def _version_refusal(version: object, current: int | None) -> str | None:
    if not isinstance(version, int) or version <= 0:
        return f"versionNumber must be greater than 0, not {version}"
    if current is not None and version <= current:
        return f"versionNumber {version} is not greater than the current version {current}"
    return None


def _entries_refusal(entries: list[JsonObject]) -> str | None:
    seen: set[TokenKey] = set()
    for entry in entries:
        token = entry["idToken"]
        key = entry_key(entry)
        if key in seen:
            return f"idToken {token['idToken']} ({token['type']}) appears more than once"
        seen.add(key)
        refusal = token_refusal(token)
        if refusal is not None:
            return refusal
    return None


def _size_refusal(
    payload: JsonObject, entries: list[JsonObject], current: Set[TokenKey], limits: ListLimits
) -> str | None:
    items = limits.items_per_message
    if items is not None and len(entries) > items:
        return f"{len(entries)} entries exceed {CONTROLLER}.{ITEMS_PER_MESSAGE} {items}"
    size = len(_resulting_keys(payload, entries, current))
    if size == 0:
        return None
    if limits.entries is None:
        return f"the maxLimit of {CONTROLLER}.{ENTRIES} is not known (required by D01.FR.12)"
    if size > limits.entries:
        limit = f"{CONTROLLER}.{ENTRIES} maxLimit {limits.entries}"
        return f"the list would hold {size} entries, over {limit}"
    return None


def _resulting_keys(
    payload: JsonObject, entries: list[JsonObject], current: Set[TokenKey]
) -> set[TokenKey]:
    result = set() if payload.get("updateType") == FULL else set(current)
    for entry in entries:
        if entry.get("idTokenInfo") is None:
            result.discard(entry_key(entry))
        else:
            result.add(entry_key(entry))
    return result


async def read_list_limits(session: AsyncSession, station_id: str) -> ListLimits:
    """Entries.maxLimit (variable characteristics) and ItemsPerMessage (Actual value)."""
    stmt = (
        select(
            DeviceVariable.name,
            DeviceVariableCharacteristics.max_limit,
            DeviceVariableAttribute.value,
        )
        .join(DeviceComponent, DeviceComponent.id == DeviceVariable.component_id)
        .outerjoin(
            DeviceVariableCharacteristics,
            DeviceVariableCharacteristics.variable_id == DeviceVariable.id,
        )
        .outerjoin(
            DeviceVariableAttribute,
            and_(
                DeviceVariableAttribute.variable_id == DeviceVariable.id,
                DeviceVariableAttribute.type == "Actual",
            ),
        )
        .where(
            DeviceComponent.station_id == station_id,
            DeviceComponent.name == CONTROLLER,
            DeviceComponent.evse_id.is_(None),
            DeviceVariable.name.in_((ENTRIES, ITEMS_PER_MESSAGE)),
        )
    )
    entries = items = None
    for name, max_limit, value in await session.execute(stmt):
        if name == ENTRIES and max_limit is not None:
            entries = int(max_limit)
        elif name == ITEMS_PER_MESSAGE and value is not None and value.strip().isdigit():
            items = int(value)
    return ListLimits(entries, items)
