"""Connectors and their StatusNotification history (OCPP 2.0.1 Part 2 §G01, interface.md §10.5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = ["Connector", "StatusNotification"]


class Connector(Base):
    """The latest known status of one (evse, connector) of a station."""

    __tablename__ = "connectors"
    __table_args__ = (UniqueConstraint("station_id", "evse_id", "connector_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(
        String(STATION_ID_LENGTH), ForeignKey("charging_stations.id", ondelete="CASCADE")
    )
    evse_id: Mapped[int] = mapped_column(Integer)
    connector_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(20))
    status_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StatusNotification(Base):
    """Every StatusNotification as received; `timestamp` is the station's, `received_at` ours."""

    __tablename__ = "status_notifications"
    __table_args__ = (Index(None, "station_id", "timestamp"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(
        String(STATION_ID_LENGTH), ForeignKey("charging_stations.id", ondelete="CASCADE")
    )
    evse_id: Mapped[int] = mapped_column(Integer)
    connector_id: Mapped[int] = mapped_column(Integer)
    connector_status: Mapped[str] = mapped_column(String(20))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
