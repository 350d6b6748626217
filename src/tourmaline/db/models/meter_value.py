"""Stand-alone MeterValues, outside any transaction (interface.md §10.5). Meter values carried by
a TransactionEvent are kept with the event (models/transaction.py). One row per OCPP
MeterValueType; its sampled values are kept as received in one JSON column."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = ["MeterValue"]


class MeterValue(Base):
    """Belongs to the station's EVSE `evse_id` (0: the main meter)."""

    __tablename__ = "meter_values"
    __table_args__ = (Index(None, "station_id", "evse_id", "timestamp"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH))
    evse_id: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    sampled_value: Mapped[list[Any]] = mapped_column(JSON)
