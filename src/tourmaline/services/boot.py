"""Boot configuration records and the BootNotification decision (interface.md §4.1-§4.3).

The record holds the status to give on the station's NEXT boot; `decide_boot` is the pure
decision table of §4.2 and `BootService.on_boot_notification` applies it with every side effect
of §4.3 in one database transaction, committed before the answer is sent. The Pending
GetBaseReport flow (§4.4) is the next issue: the decision only says that a report is wanted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import Boot, ChargingStation
from tourmaline.metrics import BOOT_NOTIFICATIONS
from tourmaline.ocpp.v201.models import BootNotificationRequest
from tourmaline.services.stations import dialect_insert
from tourmaline.settings import OcppSettings

__all__ = [
    "BootDecision",
    "BootService",
    "BootStatus",
    "BootView",
    "BootWrite",
    "StatusInfo",
    "decide_boot",
]

log = structlog.get_logger(__name__)

BootStatus = Literal["Accepted", "Pending", "Rejected"]


class StatusInfo(BaseModel):
    """OCPP StatusInfoType, returned in the BootNotificationResponse when set."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", strict=True)

    reason_code: Annotated[str, Field(alias="reasonCode", max_length=20)]
    additional_info: Annotated[str | None, Field(alias="additionalInfo", max_length=512)] = None


class BootWrite(BaseModel):
    """PUT /data/configuration/boot: the whole configuration part of the record."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", strict=True)

    status: BootStatus
    status_info: StatusInfo | None = Field(default=None, alias="statusInfo")
    heartbeat_interval: Annotated[int | None, Field(alias="heartbeatInterval", gt=0)] = None
    boot_retry_interval: Annotated[int | None, Field(alias="bootRetryInterval", gt=0)] = None
    get_base_report_on_pending: bool | None = Field(default=None, alias="getBaseReportOnPending")
    boot_with_rejected_variables: bool | None = Field(
        default=None, alias="bootWithRejectedVariables"
    )
    set_variable_ids: list[int] | None = Field(default=None, alias="setVariableIds")
    pending_boot_set_variable_ids: list[int] | None = Field(
        default=None, alias="pendingBootSetVariableIds"
    )
    change_configurations_on_pending: bool | None = Field(
        default=None, alias="changeConfigurationsOnPending"
    )
    get_configurations_on_pending: bool | None = Field(
        default=None, alias="getConfigurationsOnPending"
    )


class BootView(BaseModel):
    model_config = ConfigDict(populate_by_name=True, from_attributes=True)

    id: str
    status: str
    status_info: StatusInfo | None = Field(alias="statusInfo")
    heartbeat_interval: int | None = Field(alias="heartbeatInterval")
    boot_retry_interval: int | None = Field(alias="bootRetryInterval")
    get_base_report_on_pending: bool | None = Field(alias="getBaseReportOnPending")
    boot_with_rejected_variables: bool | None = Field(alias="bootWithRejectedVariables")
    set_variable_ids: list[int] | None = Field(alias="setVariableIds")
    pending_boot_set_variable_ids: list[int] | None = Field(alias="pendingBootSetVariableIds")
    change_configurations_on_pending: bool | None = Field(alias="changeConfigurationsOnPending")
    get_configurations_on_pending: bool | None = Field(alias="getConfigurationsOnPending")
    last_boot_time: datetime | None = Field(alias="lastBootTime")
    last_status: str | None = Field(alias="lastStatus")
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")

    @classmethod
    def of(cls, row: Boot) -> BootView:
        return cls.model_validate(row)


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


class BootService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        ocpp_settings: OcppSettings,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._ocpp = ocpp_settings

    async def get(self, station_id: str) -> BootView | None:
        async with self._sessionmaker() as session:
            row = await session.get(Boot, station_id)
            return None if row is None else BootView.of(row)

    async def put(self, station_id: str, write: BootWrite) -> BootView:
        """Create or replace the record's configuration; lastBootTime/lastStatus are kept."""
        now = self._clock.now()
        values = write.model_dump(exclude={"status_info"})
        status_info = write.status_info
        values["status_info"] = _status_info_json(status_info) if status_info else None
        async with self._sessionmaker.begin() as session:
            row = await session.get(Boot, station_id, with_for_update=True)
            if row is None:
                row = Boot(id=station_id, created_at=now)
                session.add(row)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            await session.flush()
            return BootView.of(row)

    async def delete(self, station_id: str) -> BootView | None:
        async with self._sessionmaker.begin() as session:
            row = await session.get(Boot, station_id)
            if row is None:
                return None
            view = BootView.of(row)
            await session.delete(row)
            return view

    async def on_boot_notification(
        self, station_id: str, request: BootNotificationRequest, now: datetime
    ) -> BootDecision:
        """interface.md §4.3: station upsert, boot record, decision and registration status in
        ONE transaction; the caller answers only after this returned (design.md §1.6)."""
        async with self._sessionmaker.begin() as session:
            record = await session.get(Boot, station_id, with_for_update=True)
            decision = decide_boot(record, self._ocpp, now)
            await _upsert_station(session, station_id, request, decision.status, now)
            if record is None:
                record = Boot(id=station_id, status=decision.status, created_at=now)
                session.add(record)
            record.last_boot_time = now
            record.last_status = decision.status
            record.updated_at = now
        BOOT_NOTIFICATIONS.labels(status=decision.status).inc()
        log.info(
            "boot notification",
            station_id=station_id,
            reason=request.reason.value,
            status=decision.status,
            report_wanted=decision.report_wanted,
        )
        return decision


def _status_info_json(info: StatusInfo) -> dict[str, Any]:
    return info.model_dump(by_alias=True, exclude_none=True)


def _station_fields(request: BootNotificationRequest) -> dict[str, Any]:
    """Request fields for the station row; optional ones only when the station sent them."""
    station = request.charging_station
    fields: dict[str, Any] = {
        "charge_point_vendor": station.vendor_name,
        "charge_point_model": station.model,
        "charge_point_serial_number": station.serial_number,
        "firmware_version": station.firmware_version,
    }
    if station.modem is not None:
        fields |= {"iccid": station.modem.iccid, "imsi": station.modem.imsi}
    return {name: value for name, value in fields.items() if value is not None}


async def _upsert_station(
    session: AsyncSession,
    station_id: str,
    request: BootNotificationRequest,
    status: BootStatus,
    now: datetime,
) -> None:
    # One INSERT .. ON CONFLICT: a first boot never races a concurrent insert or hits a missing
    # station row (interface.md §4.3, citrineos#105/#158).
    changes = {**_station_fields(request), "registration_status": status, "updated_at": now}
    insert = dialect_insert(session, ChargingStation)
    statement = insert.values(
        id=station_id, is_online=False, min_security_profile=0, created_at=now, **changes
    ).on_conflict_do_update(index_elements=[ChargingStation.id], set_=changes)
    await session.execute(statement)
