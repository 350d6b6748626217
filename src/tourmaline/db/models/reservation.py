"""Reservations (OCPP 2.0.1 block H, interface.md §10.4).

A row is written before ReserveNow is sent and is active only once the station answered
Accepted; it stops being active when cancelled, reported Expired/Removed, used by a transaction,
or when its `expiry_date_time` has passed (that last one is computed when read, see
services/reservations.py). No foreign key to the station, as for report requests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, TimestampsMixin, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = ["Reservation"]


class Reservation(TimestampsMixin, Base):
    __tablename__ = "reservations"

    # The reservation id is chosen by the CSMS and names the reservation towards one station.
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    expiry_date_time: Mapped[datetime] = mapped_column(UTCDateTime())
    connector_type: Mapped[str | None] = mapped_column(String(20))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    id_token: Mapped[dict[str, Any]] = mapped_column(JSON)
    group_id_token: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The ReserveNow answer (Accepted, Faulted, Occupied, Rejected, Unavailable); NULL until then.
    reserve_status: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Why it stopped being active: Cancelled, Expired, Removed (ReservationStatusUpdate) or Used.
    ended_reason: Mapped[str | None] = mapped_column(String(16))
    terminated_by_transaction: Mapped[str | None] = mapped_column(String(36))
