"""The charging station aggregate root (interface.md §8.3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, TimestampsMixin, UTCDateTime

__all__ = ["STATION_ID_LENGTH", "ChargingStation"]

# OCPP 2.0.1 identity strings are identifierString(48) (Part 2, BootNotification / security §A).
STATION_ID_LENGTH = 48


class ChargingStation(TimestampsMixin, Base):
    __tablename__ = "charging_stations"

    id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), primary_key=True)
    is_online: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    protocol: Mapped[str | None] = mapped_column(String(32))
    # The answer given to the station's LAST BootNotification: Accepted, Pending or Rejected.
    registration_status: Mapped[str | None] = mapped_column(String(16))
    min_security_profile: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    charge_point_vendor: Mapped[str | None] = mapped_column(String(50))
    charge_point_model: Mapped[str | None] = mapped_column(String(20))
    charge_point_serial_number: Mapped[str | None] = mapped_column(String(25))
    firmware_version: Mapped[str | None] = mapped_column(String(50))
    iccid: Mapped[str | None] = mapped_column(String(20))
    imsi: Mapped[str | None] = mapped_column(String(20))
    latest_ocpp_message_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
