"""What the issue-5 data routes share: station-scoped pages of rows, newest first, and JSON views
with RFC 3339 UTC times (interface.md §0) and no `null` members for what is unknown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select

__all__ = ["iso_z", "newest_first", "with_present"]

Row = TypeVar("Row")


def newest_first(model: type[Row], station_id: str, *, limit: int, offset: int) -> Select[Row]:
    """One page of the station's rows, newest (highest id) first. `model` is a table with an
    integer `id` and a `station_id` column."""
    table: Any = model
    query = select(model).where(table.station_id == station_id)
    return query.order_by(table.id.desc()).limit(limit).offset(offset)


def iso_z(moment: datetime) -> str:
    """RFC 3339 UTC with `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def with_present(view: dict[str, Any], optional: dict[str, Any]) -> dict[str, Any]:
    """`view` plus the optional members that have a value; datetimes become RFC 3339 text."""
    for key, value in optional.items():
        if value is not None:
            view[key] = iso_z(value) if isinstance(value, datetime) else value
    return view
