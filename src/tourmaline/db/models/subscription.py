"""Webhook subscriptions of a station (interface.md §9)."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = ["Subscription"]


class Subscription(Base):
    """No foreign key to the station: as in CitrineOS, a subscription may be made before the
    station ever connects."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), index=True)
    url: Mapped[str] = mapped_column(Text)
    message_regex_filter: Mapped[str | None] = mapped_column(Text)
    on_connect: Mapped[bool] = mapped_column(Boolean, default=False)
    on_close: Mapped[bool] = mapped_column(Boolean, default=False)
    on_message: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_message: Mapped[bool] = mapped_column(Boolean, default=False)
