"""The raw OCPP-J frame log (interface.md §8.5), written in batches by `db.writer`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = ["MESSAGE_FIELD_LENGTH", "MessageLogEntry"]

# Long enough for any valid OCPP-J message id (36) or action name; the writer truncates the
# garbage a broken station may send so one bad frame never fails a whole batch.
MESSAGE_FIELD_LENGTH = 128

# SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT is used on PostgreSQL alone.
_LOG_ID = BigInteger().with_variant(Integer(), "sqlite")


class MessageLogEntry(Base):
    """No foreign key to the station: the log must outlive deleted stations."""

    __tablename__ = "message_log"
    __table_args__ = (Index(None, "station_id", "message_id"),)

    id: Mapped[int] = mapped_column(_LOG_ID, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), index=True)
    origin: Mapped[str] = mapped_column(String(4))
    message_type_id: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(MESSAGE_FIELD_LENGTH))
    action: Mapped[str | None] = mapped_column(String(MESSAGE_FIELD_LENGTH))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    message: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))
