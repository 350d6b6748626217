"""The device model of each station (OCPP 2.0.1 Part 1 §4, interface.md §5.1).

Everything is per station: two stations reporting the same component never share a row. The
component key includes the EVSE and connector (interface.md §5.1 deviation), so the same variable
on two EVSEs is two attributes. Optional key parts are nullable columns for queries and display;
uniqueness is enforced on a `natural_key` text because SQL unique constraints treat NULLs as
distinct (SQLite has no NULLS NOT DISTINCT).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = [
    "ATTRIBUTE_VALUE_LENGTH",
    "DeviceAttributeStatus",
    "DeviceComponent",
    "DeviceVariable",
    "DeviceVariableAttribute",
    "DeviceVariableCharacteristics",
]

# OCPP 2.0.1 VariableAttributeType.value is string(2500); interface.md §5.1 allows up to 4000.
ATTRIBUTE_VALUE_LENGTH = 4000
_NAME = 50
_KEY = 255


class DeviceComponent(Base):
    __tablename__ = "device_components"
    __table_args__ = (UniqueConstraint("station_id", "natural_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(
        String(STATION_ID_LENGTH), ForeignKey("charging_stations.id", ondelete="CASCADE")
    )
    natural_key: Mapped[str] = mapped_column(String(_KEY))
    name: Mapped[str] = mapped_column(String(_NAME))
    instance: Mapped[str | None] = mapped_column(String(_NAME))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)


class DeviceVariable(Base):
    __tablename__ = "device_variables"
    __table_args__ = (UniqueConstraint("component_id", "natural_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    component_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("device_components.id", ondelete="CASCADE")
    )
    natural_key: Mapped[str] = mapped_column(String(_KEY))
    name: Mapped[str] = mapped_column(String(_NAME))
    instance: Mapped[str | None] = mapped_column(String(_NAME))


class DeviceVariableCharacteristics(Base):
    """One set per station and (component, variable), as the variable row is (interface.md §5.1)."""

    __tablename__ = "device_variable_characteristics"

    variable_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("device_variables.id", ondelete="CASCADE"), primary_key=True
    )
    unit: Mapped[str | None] = mapped_column(String(16))
    data_type: Mapped[str] = mapped_column(String(20))
    min_limit: Mapped[float | None] = mapped_column(Float)
    max_limit: Mapped[float | None] = mapped_column(Float)
    values_list: Mapped[str | None] = mapped_column(String(1000))
    supports_monitoring: Mapped[bool] = mapped_column(Boolean)


class DeviceVariableAttribute(Base):
    __tablename__ = "device_variable_attributes"
    __table_args__ = (
        UniqueConstraint("variable_id", "type"),
        Index(None, "station_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Denormalised so per-station queries and deletes need no join.
    station_id: Mapped[str] = mapped_column(
        String(STATION_ID_LENGTH), ForeignKey("charging_stations.id", ondelete="CASCADE")
    )
    variable_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("device_variables.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(10), server_default=text("'Actual'"))
    data_type: Mapped[str | None] = mapped_column(String(20))
    # Always NULL for secret attributes (interface.md §5.3): `has_secret` says a value exists.
    value: Mapped[str | None] = mapped_column(String(ATTRIBUTE_VALUE_LENGTH))
    has_secret: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    mutability: Mapped[str] = mapped_column(String(10), server_default=text("'ReadWrite'"))
    persistent: Mapped[bool | None] = mapped_column(Boolean)
    constant: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeviceAttributeStatus(Base):
    """One row per set/get/report outcome of an attribute (interface.md §5.1 status history)."""

    __tablename__ = "device_attribute_statuses"
    __table_args__ = (Index(None, "attribute_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attribute_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("device_variable_attributes.id", ondelete="CASCADE")
    )
    value: Mapped[str | None] = mapped_column(String(ATTRIBUTE_VALUE_LENGTH))
    status: Mapped[str] = mapped_column(String(32))
    status_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
