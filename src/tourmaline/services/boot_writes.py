"""The database side of BootNotification (interface.md §4.3) for a whole group of stations.

`apply_boots` decides and records every boot of a group in the caller's transaction with a
fixed number of statements: one read of the boot records, one multi-row station upsert, and the
ORM's batched inserts/updates of the boot records. BootService feeds it through a Batcher, so a
reconnect storm of thousands of stations costs a few commits instead of one each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tourmaline.db.models import Boot, ChargingStation
from tourmaline.ocpp.v201.models import BootNotificationRequest
from tourmaline.services.boot_decision import BootDecision, BootStatus, decide_boot
from tourmaline.services.stations import dialect_insert
from tourmaline.settings import OcppSettings

__all__ = ["BootInput", "apply_boots"]

# Sent only by some stations: a boot without them keeps what an earlier boot reported.
_OPTIONAL_FIELDS = ("charge_point_serial_number", "firmware_version", "iccid", "imsi")
_REPLACED_FIELDS = (
    "registration_status",
    "updated_at",
    "charge_point_vendor",
    "charge_point_model",
)


@dataclass(frozen=True, slots=True)
class BootInput:
    station_id: str
    request: BootNotificationRequest
    now: datetime


async def apply_boots(
    session: AsyncSession, boots: list[BootInput], ocpp: OcppSettings
) -> list[BootDecision]:
    """Decide each boot and stage its effects; the caller commits. Station ids are unique."""
    ids = [boot.station_id for boot in boots]
    records = {row.id: row for row in await session.scalars(select(Boot).where(Boot.id.in_(ids)))}
    decisions = [_record_boot(session, records, boot, ocpp) for boot in boots]
    rows = [_station_row(b, d.status) for b, d in zip(boots, decisions, strict=True)]
    await _upsert_stations(session, rows)
    return decisions


def _record_boot(
    session: AsyncSession, records: dict[str, Boot], boot: BootInput, ocpp: OcppSettings
) -> BootDecision:
    record = records.get(boot.station_id)
    decision = decide_boot(record, ocpp, boot.now)
    if record is None:
        record = Boot(id=boot.station_id, status=decision.status, created_at=boot.now)
        session.add(record)
    record.last_boot_time = boot.now
    record.last_status = decision.status
    record.updated_at = boot.now
    return decision


def _station_row(boot: BootInput, status: BootStatus) -> dict[str, Any]:
    station = boot.request.charging_station
    modem = station.modem
    return {
        "id": boot.station_id,
        "is_online": False,
        "min_security_profile": 0,
        "created_at": boot.now,
        "updated_at": boot.now,
        "registration_status": status,
        "charge_point_vendor": station.vendor_name,
        "charge_point_model": station.model,
        "charge_point_serial_number": station.serial_number,
        "firmware_version": station.firmware_version,
        "iccid": modem.iccid if modem else None,
        "imsi": modem.imsi if modem else None,
    }


async def _upsert_stations(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    # INSERT .. ON CONFLICT: a first boot never races a concurrent insert or hits a missing
    # station row (interface.md §4.3, citrineos#105/#158).
    insert = dialect_insert(session, ChargingStation)
    table = ChargingStation.__table__
    changes: dict[str, Any] = {
        name: insert.excluded[name]
        for name in (
            "registration_status",
            "updated_at",
            "charge_point_vendor",
            "charge_point_model",
        )
    }
    changes |= {
        name: func.coalesce(insert.excluded[name], table.c[name]) for name in _OPTIONAL_FIELDS
    }
    statement = insert.on_conflict_do_update(index_elements=[ChargingStation.id], set_=changes)
    await session.execute(statement, rows)
