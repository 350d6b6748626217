"""Boot configuration records and the BootNotification decision (interface.md §4.1-§4.3).

The record holds the status to give on the station's NEXT boot; `decide_boot` is the pure
decision table of §4.2 and `BootService.on_boot_notification` applies it with every side effect
of §4.3 in one database transaction, committed before the answer is sent. The Pending
GetBaseReport flow (§4.4) is the next issue: the decision only says that a report is wanted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import Boot
from tourmaline.metrics import BOOT_NOTIFICATIONS
from tourmaline.ocpp.v201.models import BootNotificationRequest
from tourmaline.services.batching import Batcher
from tourmaline.services.boot_decision import BootDecision, BootStatus, decide_boot
from tourmaline.services.boot_writes import BootInput, apply_boots
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
        self._boot_batcher = Batcher(self._apply_boots, key=lambda boot: boot.station_id)

    async def _apply_boots(self, boots: list[BootInput]) -> list[BootDecision]:
        async with self._sessionmaker.begin() as session:
            return await apply_boots(session, boots, self._ocpp)

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
        """interface.md §4.3: station upsert, boot record, decision and registration status,
        committed before this returns (design.md §1.6); concurrent boots share the commit."""
        decision = await self._boot_batcher.submit(BootInput(station_id, request, now))
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
