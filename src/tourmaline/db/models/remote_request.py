"""Remote-control commands sent to a station (interface.md §7.4): RequestStartTransaction,
RequestStopTransaction, UnlockConnector, GetTransactionStatus, ChangeAvailability, ClearCache.

One row per call and its final outcome: `Answered` (a CALLRESULT, its `status` and `response`),
`CallError` (`error_code`, the description in `reason`, the CALLERROR in `response`),
`Timeout`, `Disconnected` or `NotSent` (why, in `reason`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH
from tourmaline.db.models.transaction import ID_TOKEN_LENGTH, TRANSACTION_ID_LENGTH

__all__ = ["RemoteRequest"]


class RemoteRequest(Base):
    """`transaction_id` is the transaction the command was about (stop, status) or, for an
    accepted RequestStartTransaction, the one that followed it with the same `remote_start_id`.
    `answered_at` is when the outcome was known."""

    __tablename__ = "remote_requests"
    __table_args__ = (
        Index(None, "station_id", "answered_at"),
        Index(None, "station_id", "remote_start_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH))
    action: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20), server_default=text("'Answered'"))
    status: Mapped[str | None] = mapped_column(String(40))
    error_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remote_start_id: Mapped[int | None] = mapped_column(Integer)
    id_token: Mapped[str | None] = mapped_column(String(ID_TOKEN_LENGTH))
    id_token_type: Mapped[str | None] = mapped_column(String(20))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    transaction_id: Mapped[str | None] = mapped_column(String(TRANSACTION_ID_LENGTH))
