"""How a reservation is shown (GET /data/evdriver/reservation) and when it counts as active
(interface.md §10.4): accepted by the station, not ended, and not past its expiryDateTime."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tourmaline.db.models import Reservation

__all__ = ["EXPIRED", "ReservationView", "is_active_at"]

EXPIRED = "Expired"


def is_active_at(row: Reservation, now: datetime) -> bool:
    return row.is_active and row.expiry_date_time > now


class ReservationView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    station_id: str = Field(alias="stationId")
    expiry_date_time: datetime = Field(alias="expiryDateTime")
    connector_type: str | None = Field(alias="connectorType")
    evse_id: int | None = Field(alias="evseId")
    id_token: dict[str, Any] = Field(alias="idToken")
    group_id_token: dict[str, Any] | None = Field(alias="groupIdToken")
    reserve_status: str | None = Field(alias="reserveStatus")
    is_active: bool = Field(alias="isActive")
    ended_reason: str | None = Field(
        alias="endedReason",
        description="Cancelled, Expired, Removed or Used; Expired also once expiryDateTime passed",
    )
    terminated_by_transaction: str | None = Field(alias="terminatedByTransaction")
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")

    @classmethod
    def of(cls, row: Reservation, now: datetime) -> ReservationView:
        active = is_active_at(row, now)
        lapsed = row.is_active and not active
        return cls(
            id=row.id,
            station_id=row.station_id,
            expiry_date_time=row.expiry_date_time,
            connector_type=row.connector_type,
            evse_id=row.evse_id,
            id_token=row.id_token,
            group_id_token=row.group_id_token,
            reserve_status=row.reserve_status,
            is_active=active,
            ended_reason=EXPIRED if lapsed else row.ended_reason,
            terminated_by_transaction=row.terminated_by_transaction,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
