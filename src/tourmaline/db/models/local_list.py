"""Local authorization lists (OCPP 2.0.1 block D, interface.md §10.3).

`LocalListVersion` and `LocalListEntry` are what Tourmaline believes the station holds (the last
Accepted SendLocalList, reconciled by GetLocalListVersion); `LocalListRequest` is every
SendLocalList sent, with the station's answer. No foreign key to the station: the list lives on
the charger, so deleting the station record does not make the charger forget it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, TimestampsMixin, UTCDateTime
from tourmaline.db.models.authorization import TOKEN_KEY_LENGTH, TOKEN_TYPE_LENGTH
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = ["LocalListEntry", "LocalListRequest", "LocalListVersion"]


class LocalListVersion(Base):
    __tablename__ = "local_list_versions"

    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), primary_key=True)
    version_number: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LocalListEntry(Base):
    """One AuthorizationData of the station's current list, in wire form."""

    __tablename__ = "local_list_entries"
    __table_args__ = (UniqueConstraint("station_id", "token_key", "type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH))
    token_key: Mapped[str] = mapped_column(String(TOKEN_KEY_LENGTH))
    type: Mapped[str] = mapped_column(String(TOKEN_TYPE_LENGTH))
    id_token: Mapped[dict[str, Any]] = mapped_column(JSON)
    id_token_info: Mapped[dict[str, Any]] = mapped_column(JSON)


class LocalListRequest(TimestampsMixin, Base):
    """A SendLocalList as sent; `status` is the station's answer (NULL while unanswered)."""

    __tablename__ = "local_list_requests"
    __table_args__ = (Index(None, "station_id", "version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH))
    version_number: Mapped[int] = mapped_column(Integer)
    update_type: Mapped[str] = mapped_column(String(12))
    local_authorization_list: Mapped[list[Any] | None] = mapped_column(JSON)
    status: Mapped[str | None] = mapped_column(String(16))
    status_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
