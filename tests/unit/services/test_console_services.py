"""Service reads and operator actions the web console relies on, on a real database: station
search and connectors, device-model text search, station provisioning and deletion shared with
the CLI and the REST API, and the live-event source on the connection hooks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.cluster.fakes import FakeLink
from tests.helpers import FakeClock
from tourmaline.cluster.broker import MemoryBroker
from tourmaline.cluster.events import EventFeed, LiveEvent
from tourmaline.cluster.registry import MemoryRegistry
from tourmaline.db.models import ChargingStation
from tourmaline.db.writer import MessageLogWriter
from tourmaline.ocpp.framelog import FrameRecord
from tourmaline.services.connections import ConnectionManager
from tourmaline.services.credentials import CredentialService
from tourmaline.services.device_model import AttributeFilters, DeviceModelService
from tourmaline.services.live_events import ConnectionEventsFanout, LiveEventSource
from tourmaline.services.station_setup import delete_station, provision_station, store_password
from tourmaline.services.stations import NEVER_BOOTED, StationFilter, StationService, StationWrite

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PASSWORD = "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L"


async def _station(stations: StationService, station_id: str, **fields: Any) -> None:
    await stations.upsert(station_id, StationWrite.model_validate(fields))


async def _ids(stations: StationService, **where: Any) -> list[str]:
    return [view.id for view in await stations.search(StationFilter(**where))]


async def test_search_matches_id_vendor_or_model_in_any_case_and_literally(
    stations: StationService,
) -> None:
    await _station(stations, "CP-North_1", chargePointVendor="Acme")
    await _station(stations, "cp-south", chargePointModel="WallBox 22")
    await _station(stations, "cpXnorth1")

    assert await _ids(stations, text="north") == ["CP-North_1", "cpXnorth1"]
    assert await _ids(stations, text="ACME") == ["CP-North_1"]
    assert await _ids(stations, text="wallbox") == ["cp-south"]
    # `_` and `%` are the operator's characters, not wildcards.
    assert await _ids(stations, text="h_1") == ["CP-North_1"]
    assert await _ids(stations, text="%") == []
    assert await _ids(stations, limit=1, offset=1) == ["cp-south"]


async def test_search_filters_by_online_flag_and_last_registration_status(
    stations: StationService,
    sessionmaker: async_sessionmaker[AsyncSession],
    writer: MessageLogWriter,
) -> None:
    for station_id in ("a", "b", "c"):
        await _station(stations, station_id)
    stations.mark_online("a", "ocpp2.0.1")
    await writer.flush()
    async with sessionmaker.begin() as session:
        row = await session.get(ChargingStation, "b")
        assert row is not None
        row.registration_status = "Pending"

    assert await _ids(stations, is_online=True) == ["a"]
    assert await _ids(stations, is_online=False) == ["b", "c"]
    assert await _ids(stations, registration_status="Pending") == ["b"]
    assert await _ids(stations, registration_status=NEVER_BOOTED) == ["a", "c"]


async def test_connectors_give_the_latest_status_in_evse_order(stations: StationService) -> None:
    await stations.record_status("cp1", evse_id=2, connector_id=1, status="Faulted", timestamp=T0)
    await stations.record_status("cp1", evse_id=1, connector_id=1, status="Occupied", timestamp=T0)
    await stations.record_status(
        "cp1", evse_id=1, connector_id=1, status="Available", timestamp=T0.replace(minute=5)
    )

    views = await stations.connectors("cp1")

    assert [(v.evse_id, v.connector_id, v.status) for v in views] == [
        (1, 1, "Available"),
        (2, 1, "Faulted"),
    ]
    assert views[0].status_timestamp == T0.replace(minute=5)
    assert await stations.connectors("nobody") == []


async def test_device_model_text_search_covers_component_and_variable_names(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    credentials: CredentialService,
    stations: StationService,
) -> None:
    device_model = DeviceModelService(sessionmaker, clock, credentials)
    await _station(stations, "cp1")
    report = [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
         "variableAttribute": [{"value": "60"}]},
        {"component": {"name": "TxCtrlr"}, "variable": {"name": "EVConnectionTimeOut"},
         "variableAttribute": [{"value": "30"}]},
        {"component": {"name": "Connector", "instance": "heat-sensor"},
         "variable": {"name": "Temperature"}, "variableAttribute": [{"value": "20"}]},
    ]  # fmt: skip
    await device_model.apply_report("cp1", report, T0)

    async def names(text: str) -> list[str]:
        views = await device_model.query("cp1", AttributeFilters(text=text))
        return sorted(view["variable"]["name"] for view in views)

    assert await names("HEART") == ["HeartbeatInterval"]
    assert await names("ctrlr") == ["EVConnectionTimeOut", "HeartbeatInterval"]
    assert await names("heat") == ["Temperature"]
    assert await names("nothing") == []


async def test_provision_refuses_a_bad_password_before_writing_anything(
    stations: StationService, credentials: CredentialService
) -> None:
    with pytest.raises(ValueError, match="16-40 characters"):
        await provision_station(
            stations, credentials, "cp1", StationWrite(min_security_profile=1), password="short"
        )
    assert await stations.get("cp1") is None


async def test_provision_stores_a_given_or_generated_password(
    stations: StationService, credentials: CredentialService
) -> None:
    shown = await provision_station(
        stations, credentials, "cp1", StationWrite(min_security_profile=1), password=PASSWORD
    )
    assert shown is None
    assert await credentials.verify("cp1", PASSWORD)
    station = await stations.get("cp1")
    assert station is not None and station.min_security_profile == 1

    generated = await store_password(credentials, "cp1", None, generate=True)
    assert generated is not None and len(generated) == 40
    assert await credentials.verify("cp1", generated)
    assert not await credentials.verify("cp1", PASSWORD)
    assert await store_password(credentials, "cp1", None, generate=False) is None


async def test_delete_station_closes_its_connection(
    stations: StationService, writer: MessageLogWriter, clock: FakeClock
) -> None:
    manager = ConnectionManager(
        instance_id="i",
        registry=MemoryRegistry(),
        broker=MemoryBroker(),
        stations=stations,
        writer=writer,
        clock=clock,
    )
    await _station(stations, "cp1")
    link = FakeLink("cp1")
    await manager.opened(link)

    deleted = await delete_station(stations, manager, "cp1")

    assert deleted is not None and deleted.connection_closed
    assert deleted.station.id == "cp1"
    assert await stations.get("cp1") is None
    assert not await manager.is_connected("cp1")
    assert await delete_station(stations, manager, "cp1") is None


def _frame(origin: str, message_type_id: int, action: str) -> FrameRecord:
    return FrameRecord(
        station_id="cp1",
        origin=origin,  # type: ignore[arg-type]
        text=f'[{message_type_id},"1",{{}}]',
        timestamp=T0,
        message_type_id=message_type_id,
        message_id="1",
        action=action,
    )


async def test_live_source_publishes_connections_frames_and_answered_changes() -> None:
    feed = EventFeed(instance_id="i")
    source = LiveEventSource(feed)
    source.frame(_frame("cs", 2, "BootNotification"))  # nobody listens: not even built
    with feed.subscribe() as console:
        source.connected("cp1")
        source.frame(_frame("cs", 2, "BootNotification"))
        source.frame(_frame("csms", 3, "BootNotification"))
        source.frame(_frame("csms", 3, "Heartbeat"))
        source.frame(_frame("csms", 3, "TransactionEvent"))
        source.closed("cp1")
        events: list[LiveEvent] = []
        while (event := await console.next(0.01)) is not None:
            events.append(event)

    assert [(e.kind, e.data.get("action"), e.data.get("cause")) for e in events] == [
        ("station.connected", None, None),
        ("frame.logged", "BootNotification", None),
        ("frame.logged", "BootNotification", None),
        # The answer went out after the boot was committed: pages may read the new state.
        ("station.updated", None, "BootNotification"),
        ("frame.logged", "Heartbeat", None),
        ("frame.logged", "TransactionEvent", None),
        # A session's event was committed before its answer: session pages read it again.
        ("transaction.updated", None, "TransactionEvent"),
        ("station.closed", None, None),
    ]
    assert events[1].data["timestamp"] == "2026-03-01T12:00:00Z"
    assert events[1].data["message"] == '[2,"1",{}]'


def test_fanout_keeps_delivering_when_one_listener_fails() -> None:
    class Broken:
        def connected(self, station_id: str) -> None:
            raise RuntimeError("listener bug")

        closed = frame = connected  # type: ignore[assignment]

    class Recorder:
        def __init__(self) -> None:
            self.seen: list[str] = []

        def connected(self, station_id: str) -> None:
            self.seen.append(f"connected {station_id}")

        def closed(self, station_id: str) -> None:
            self.seen.append(f"closed {station_id}")

        def frame(self, record: FrameRecord) -> None:
            self.seen.append(f"frame {record.action}")

    recorder = Recorder()
    fanout = ConnectionEventsFanout([Broken(), recorder])  # type: ignore[list-item]
    fanout.connected("cp1")
    fanout.frame(_frame("cs", 2, "Heartbeat"))
    fanout.closed("cp1")
    assert recorder.seen == ["connected cp1", "frame Heartbeat", "closed cp1"]
