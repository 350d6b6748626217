"""Charging sessions and every TransactionEvent received for them (interface.md §10.1).

A transaction is identified by (station, `transactionId`); its events by (station,
`transactionId`, `seqNo`), which is what makes a retried or replayed event idempotent
(ocpp-rules.md §6). No foreign key to the station: transactions outlive a deleted station
(interface.md §8.2).
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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, TimestampsMixin, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = [
    "ID_TOKEN_LENGTH",
    "TRANSACTION_ID_LENGTH",
    "Transaction",
    "TransactionEvent",
]

# OCPP 2.0.1 TransactionType.transactionId and IdTokenType.idToken are identifierString(36).
TRANSACTION_ID_LENGTH = 36
ID_TOKEN_LENGTH = 36


class Transaction(TimestampsMixin, Base):
    """The state of one session, derived from its events.

    `is_active` only ever goes from true to false (Ended event, a newer transaction on the same
    EVSE, or GetTransactionStatus answering `ongoingIndicator` false); `ended_seq_no` is set by
    the first Ended event and makes `end_time` and `stopped_reason` final.
    """

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("station_id", "transaction_id"),
        # One active transaction per EVSE (interface.md §10.1), enforced by the database.
        Index(
            "ix_transactions_active_evse",
            "station_id",
            "evse_id",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
        Index(None, "id_token"),
        Index(None, "start_time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH))
    transaction_id: Mapped[str] = mapped_column(String(TRANSACTION_ID_LENGTH))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean)
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The timestamp of the newest event: the latest-state fields below come from it.
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    charging_state: Mapped[str | None] = mapped_column(String(20))
    time_spent_charging: Mapped[int | None] = mapped_column(Integer)
    stopped_reason: Mapped[str | None] = mapped_column(String(32))
    # Why Tourmaline (not the station) ended it, e.g. "superseded by <transactionId>".
    stopped_note: Mapped[str | None] = mapped_column(String(255))
    ended_seq_no: Mapped[int | None] = mapped_column(Integer)
    remote_start_id: Mapped[int | None] = mapped_column(Integer)
    id_token: Mapped[str | None] = mapped_column(String(ID_TOKEN_LENGTH))
    id_token_type: Mapped[str | None] = mapped_column(String(20))
    authorization_status: Mapped[str | None] = mapped_column(String(20))
    # Energy.Active.Import.Register in Wh: the earliest reading and the highest valid one.
    meter_start: Mapped[float | None] = mapped_column(Float)
    meter_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    meter_max: Mapped[float | None] = mapped_column(Float)
    total_kwh: Mapped[float] = mapped_column(Float, default=0.0)
    total_cost: Mapped[float | None] = mapped_column(Float)
    last_seq_no: Mapped[int | None] = mapped_column(Integer)
    # The seqNos stored so far as sorted, disjoint [first, last] ranges (usually one): a
    # repeated event is recognised from this row alone, without reading the events.
    seq_ranges: Mapped[list[Any]] = mapped_column(JSON, default=list)
    event_count: Mapped[int] = mapped_column(Integer, default=0)


class TransactionEvent(Base):
    """One TransactionEvent as received, with the answer it got (sent again to a retry)."""

    __tablename__ = "transaction_events"
    __table_args__ = (UniqueConstraint("station_id", "transaction_id", "seq_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction_db_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("transactions.id", ondelete="CASCADE"), index=True
    )
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH))
    transaction_id: Mapped[str] = mapped_column(String(TRANSACTION_ID_LENGTH))
    seq_no: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(8))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    trigger_reason: Mapped[str] = mapped_column(String(32))
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    number_of_phases_used: Mapped[int | None] = mapped_column(Integer)
    cable_max_current: Mapped[int | None] = mapped_column(Integer)
    reservation_id: Mapped[int | None] = mapped_column(Integer)
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    id_token: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    transaction_info: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The event's MeterValueType list as received: one row per event keeps writes cheap, and
    # the data API returns them in this shape.
    meter_value: Mapped[list[Any] | None] = mapped_column(JSON)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
