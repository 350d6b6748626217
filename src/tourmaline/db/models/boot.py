"""Per-station boot configuration: how the next BootNotification is answered (interface.md §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, TimestampsMixin, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = ["Boot"]


class Boot(TimestampsMixin, Base):
    """Keyed by station id WITHOUT a foreign key: an operator may prepare the answer (for
    example Pending) before the station ever connects."""

    __tablename__ = "boots"

    id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    status_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    heartbeat_interval: Mapped[int | None] = mapped_column(Integer)
    boot_retry_interval: Mapped[int | None] = mapped_column(Integer)
    get_base_report_on_pending: Mapped[bool | None] = mapped_column(Boolean)
    boot_with_rejected_variables: Mapped[bool | None] = mapped_column(Boolean)
    set_variable_ids: Mapped[list[Any] | None] = mapped_column(JSON)
    pending_boot_set_variable_ids: Mapped[list[Any] | None] = mapped_column(JSON)
    change_configurations_on_pending: Mapped[bool | None] = mapped_column(Boolean)
    get_configurations_on_pending: Mapped[bool | None] = mapped_column(Boolean)
    last_boot_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The status actually given at last_boot_time, which `status` may since have been changed from.
    last_status: Mapped[str | None] = mapped_column(String(16))
