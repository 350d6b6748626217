"""The BootNotification decision table of interface.md §4.2, as a pure function."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from tourmaline.db.models import Boot
from tourmaline.settings import OcppSettings

__all__ = ["BootDecision", "BootStatus", "decide_boot"]

BootStatus = Literal["Accepted", "Pending", "Rejected"]


@dataclass(frozen=True, slots=True)
class BootDecision:
    """The BootNotificationResponse to give, and whether the Pending report flow should run."""

    status: BootStatus
    interval: int
    current_time: datetime
    status_info: dict[str, Any] | None = None
    report_wanted: bool = False


def decide_boot(record: Boot | None, ocpp: OcppSettings, current_time: datetime) -> BootDecision:
    """interface.md §4.2. Without a record the configured unknown-charger status applies, then
    the same Pending rules as for a stored Pending status (as CitrineOS does)."""
    status: BootStatus = _as_status(record.status) if record else ocpp.unknown_charger_status
    report_wanted = False
    if status == "Pending":
        report_wanted = _report_wanted(record, ocpp)
        if not report_wanted and ocpp.auto_accept:
            status = "Accepted"
    return BootDecision(
        status=status,
        interval=_interval(record, ocpp, status),
        current_time=current_time,
        status_info=record.status_info if record else None,
        report_wanted=report_wanted,
    )


def _as_status(value: str) -> BootStatus:
    if value in ("Accepted", "Pending", "Rejected"):
        return value  # type: ignore[return-value]
    raise ValueError(f"boot record has an unknown status {value!r}")


def _report_wanted(record: Boot | None, ocpp: OcppSettings) -> bool:
    stored = record.get_base_report_on_pending if record else None
    return ocpp.get_base_report_on_pending if stored is None else stored


def _interval(record: Boot | None, ocpp: OcppSettings, status: BootStatus) -> int:
    if status == "Accepted":
        stored = record.heartbeat_interval if record else None
        return stored or ocpp.heartbeat_interval
    stored = record.boot_retry_interval if record else None
    return stored or ocpp.boot_retry_interval
