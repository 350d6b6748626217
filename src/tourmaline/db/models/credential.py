"""HTTP Basic credentials of a station (OCPP 2.0.1 security profiles 1 and 2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, UTCDateTime, utc_now
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = ["StationCredential"]


class StationCredential(Base):
    """Only hashes are stored. The previous hash stays valid while a station may still hold its
    old BasicAuthPassword (a SetVariables change that it has not applied yet)."""

    __tablename__ = "station_credentials"

    station_id: Mapped[str] = mapped_column(
        String(STATION_ID_LENGTH),
        ForeignKey("charging_stations.id", ondelete="CASCADE"),
        primary_key=True,
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    previous_password_hash: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, onupdate=utc_now)
