"""Station records (interface.md §8.3), online state and StatusNotification storage (§10.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.db.models import ChargingStation, Connector, StatusNotification
from tourmaline.db.writer import MessageLogWriter
from tourmaline.services.boot import BootService, BootWrite
from tourmaline.services.credentials import CredentialService
from tourmaline.services.stations import StationService, StationWrite

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_upsert_creates_then_updates_only_the_fields_sent(
    stations: StationService, clock: FakeClock
) -> None:
    created = await stations.upsert(
        "cp001",
        StationWrite.model_validate({"chargePointVendor": "Acme", "minSecurityProfile": 1}),
    )
    clock.advance(10)

    updated = await stations.upsert("cp001", StationWrite.model_validate({"iccid": "8931"}))

    assert created.created_at == updated.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert updated.model_dump(by_alias=True, mode="json") == {
        "id": "cp001",
        "stationId": "cp001",
        "isOnline": False,
        "protocol": None,
        "registrationStatus": None,
        "minSecurityProfile": 1,
        "chargePointVendor": "Acme",
        "chargePointModel": None,
        "chargePointSerialNumber": None,
        "firmwareVersion": None,
        "iccid": "8931",
        "imsi": None,
        "latestOcppMessageTimestamp": None,
        "createdAt": "2026-01-02T03:04:05Z",
        "updatedAt": "2026-01-02T03:04:15Z",
    }
    assert await stations.get("cp001") == updated


@pytest.mark.parametrize(
    "body",
    [
        {"isOnline": True},
        {"minSecurityProfile": 4},
        {"minSecurityProfile": "1"},
        {"minSecurityProfile": None},
        {"chargePointModel": "m" * 21},
    ],
)
def test_station_write_refuses_maintained_fields_and_bad_values(body: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        StationWrite.model_validate(body)


async def test_get_exists_and_list_with_filter_and_paging(
    stations: StationService, writer: MessageLogWriter
) -> None:
    for station_id in ("cp-b", "cp-a", "cp-c"):
        await stations.upsert(station_id, StationWrite())
    stations.mark_online("cp-b", "ocpp2.0.1")
    await writer.flush()

    assert await stations.get("cp-x") is None
    assert await stations.exists("cp-a")
    assert not await stations.exists("cp-x")
    assert [s.id for s in await stations.list()] == ["cp-a", "cp-b", "cp-c"]
    assert [s.id for s in await stations.list(limit=1, offset=1)] == ["cp-b"]
    online = await stations.list(is_online=True)
    assert [(s.id, s.protocol) for s in online] == [("cp-b", "ocpp2.0.1")]
    assert [s.id for s in await stations.list(is_online=False)] == ["cp-a", "cp-c"]


async def test_online_state_and_last_seen_wait_for_the_writer_flush(
    stations: StationService,
    writer: MessageLogWriter,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stations.mark_online("cp-new", "ocpp2.0.1")
    stations.mark_seen("cp-new", T0)
    assert await stations.get("cp-new") is None

    await writer.flush()

    async with sessionmaker() as session:
        row = await session.get(ChargingStation, "cp-new")
        assert row is not None
        assert (row.is_online, row.protocol, row.last_seen) == (True, "ocpp2.0.1", T0)
    stations.mark_offline("cp-new")
    await writer.flush()
    view = await stations.get("cp-new")
    assert view is not None
    assert view.is_online is False


async def test_delete_removes_boot_record_credential_and_connectors(
    stations: StationService,
    boots: BootService,
    credentials: CredentialService,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await stations.upsert("cp001", StationWrite())
    await boots.put("cp001", BootWrite(status="Accepted"))
    await credentials.set_password("cp001", "a-password-of-20-chars")
    await stations.record_status(
        "cp001", evse_id=1, connector_id=1, status="Available", timestamp=T0
    )

    deleted = await stations.delete("cp001")

    assert deleted is not None
    assert deleted.id == "cp001"
    assert await stations.get("cp001") is None
    assert await boots.get("cp001") is None
    assert not await credentials.has_password("cp001")
    async with sessionmaker() as session:
        assert (await session.scalars(select(Connector))).all() == []
    assert await stations.delete("cp001") is None


async def status_state(
    sessionmaker: async_sessionmaker[AsyncSession], station_id: str
) -> tuple[list[str], dict[tuple[int, int], tuple[str | None, datetime | None]]]:
    async with sessionmaker() as session:
        history = await session.scalars(
            select(StatusNotification.connector_status)
            .where(StatusNotification.station_id == station_id)
            .order_by(StatusNotification.id)
        )
        connectors = await session.scalars(
            select(Connector).where(Connector.station_id == station_id)
        )
        latest = {(c.evse_id, c.connector_id): (c.status, c.status_timestamp) for c in connectors}
        return list(history), latest


async def test_status_notifications_keep_history_and_latest_per_connector(
    stations: StationService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    later = T0 + timedelta(minutes=1)
    await stations.record_status(
        "cp-s", evse_id=1, connector_id=1, status="Available", timestamp=T0
    )
    await stations.record_status(
        "cp-s", evse_id=1, connector_id=1, status="Occupied", timestamp=later
    )
    await stations.record_status("cp-s", evse_id=2, connector_id=1, status="Faulted", timestamp=T0)
    # An offline replay of an older status is kept in the history but is not the latest.
    await stations.record_status("cp-s", evse_id=1, connector_id=1, status="Reserved", timestamp=T0)

    history, latest = await status_state(sessionmaker, "cp-s")

    assert history == ["Available", "Occupied", "Faulted", "Reserved"]
    assert latest == {(1, 1): ("Occupied", later), (2, 1): ("Faulted", T0)}
    assert await stations.exists("cp-s")
