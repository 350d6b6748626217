"""Requests with a `requestId` that the station answers with follow-up messages, and their
progress (interface.md §4.4 step 7: progress lives in the database, so it survives restarts and
is shared by every instance)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, TimestampsMixin, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = ["ReportRequest", "StationRequestCounter"]


class ReportRequest(TimestampsMixin, Base):
    """One GetBaseReport/GetReport sent to a station. `state` is requested → accepted →
    complete, or failed; `seq_nos` are the NotifyReport parts seen and `final_seq_no` the seqNo
    of the part with `tbc` false. No foreign key: rows of a deleted station are harmless."""

    __tablename__ = "report_requests"
    __table_args__ = (UniqueConstraint("station_id", "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH))
    request_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    # 'boot' (the Pending flow of §4.4) or 'api' (sent through the message API).
    purpose: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    seq_nos: Mapped[list[Any]] = mapped_column(JSON, default=list)
    final_seq_no: Mapped[int | None] = mapped_column(Integer)
    last_part_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StationRequestCounter(Base):
    """The last `requestId` Tourmaline chose for a station (§4.4 step 1: unique per request)."""

    __tablename__ = "station_request_counters"

    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), primary_key=True)
    last_request_id: Mapped[int] = mapped_column(Integer, default=0)
