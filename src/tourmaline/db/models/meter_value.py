"""Meter values: those carried by a TransactionEvent and stand-alone MeterValues (interface.md
§10.1, §10.5). One row per OCPP MeterValueType; its sampled values are kept as received in one
JSON column, the shape the data API returns, so a reading costs one row to write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = ["MeterValue"]


class MeterValue(Base):
    """`transaction_db_id`/`transaction_event_id` are NULL for stand-alone MeterValues, which
    belong to the station's EVSE `evse_id` (0: the main meter)."""

    __tablename__ = "meter_values"
    __table_args__ = (Index(None, "station_id", "evse_id", "timestamp"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    transaction_db_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("transactions.id", ondelete="CASCADE"), index=True
    )
    transaction_event_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("transaction_events.id", ondelete="CASCADE"), index=True
    )
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    sampled_value: Mapped[list[Any]] = mapped_column(JSON)
