"""Security events on a real database: station notifications stored at once, CSMS-side events
queued without blocking and written in batches, and the filtered, paged query (interface.md §11
block A)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.services.security_events import SecurityEventFilter, SecurityEventService

T0 = datetime(2026, 1, 2, 3, 0, 0, tzinfo=UTC)


@pytest.fixture
async def events(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> AsyncIterator[SecurityEventService]:
    service = SecurityEventService(sessionmaker, clock, flush_interval=0.01)
    service.start()
    yield service
    await service.stop()


async def record_some(events: SecurityEventService) -> None:
    await events.record_notification("cp001", "StartupOfTheDevice", T0, None)
    await events.record_notification(
        "cp001", "InvalidCsmsCertificate", T0 + timedelta(minutes=1), "expired"
    )
    await events.record_notification("cp002", "StartupOfTheDevice", T0 + timedelta(minutes=2), None)


async def test_a_notification_is_stored_with_its_own_time(
    events: SecurityEventService, clock: FakeClock
) -> None:
    await events.record_notification("cp001", "TamperDetectionActivated", T0, "lid opened")

    assert await events.search(SecurityEventFilter()) == [
        {
            "id": 1,
            "stationId": "cp001",
            "type": "TamperDetectionActivated",
            "timestamp": "2026-01-02T03:00:00Z",
            "origin": "cs",
            "receivedAt": "2026-01-02T03:04:05Z",
            "techInfo": "lid opened",
        }
    ]


async def test_filters_and_paging_newest_first(events: SecurityEventService) -> None:
    await record_some(events)

    def types(found: list[dict[str, object]]) -> list[object]:
        return [(event["stationId"], event["type"]) for event in found]

    everything = await events.search(SecurityEventFilter())
    assert types(everything) == [
        ("cp002", "StartupOfTheDevice"),
        ("cp001", "InvalidCsmsCertificate"),
        ("cp001", "StartupOfTheDevice"),
    ]
    assert types(await events.search(SecurityEventFilter(station_id="cp001", limit=1))) == [
        ("cp001", "InvalidCsmsCertificate")
    ]
    assert types(await events.search(SecurityEventFilter(station_id="cp001", offset=1))) == [
        ("cp001", "StartupOfTheDevice")
    ]
    assert types(await events.search(SecurityEventFilter(type="StartupOfTheDevice"))) == [
        ("cp002", "StartupOfTheDevice"),
        ("cp001", "StartupOfTheDevice"),
    ]
    window = SecurityEventFilter(since=T0 + timedelta(seconds=30), until=T0 + timedelta(minutes=1))
    assert types(await events.search(window)) == [("cp001", "InvalidCsmsCertificate")]
    assert await events.search(SecurityEventFilter(origin="csms")) == []


async def test_csms_side_events_are_queued_then_written(events: SecurityEventService) -> None:
    events.report("cp001", "FailedToAuthenticateAtCsms", "wrong password")
    events.report(None, "InvalidTLSVersion", "TLSv1.1 from 10.0.0.7")

    await events.flush()

    found = await events.search(SecurityEventFilter(origin="csms"))
    assert [(e["stationId"], e["type"], e.get("techInfo")) for e in found] == [
        (None, "InvalidTLSVersion", "TLSv1.1 from 10.0.0.7"),
        ("cp001", "FailedToAuthenticateAtCsms", "wrong password"),
    ]
    assert {e["timestamp"] for e in found} == {"2026-01-02T03:04:05Z"}


async def test_the_background_writer_stores_reported_events_without_being_asked(
    events: SecurityEventService,
) -> None:
    events.report("cp001", "FailedToAuthenticateAtCsms", None)

    for _ in range(200):
        if await events.search(SecurityEventFilter(origin="csms")):
            break
        await asyncio.sleep(0.01)
    [event] = await events.search(SecurityEventFilter(origin="csms"))
    assert event["type"] == "FailedToAuthenticateAtCsms"


async def test_overlong_values_are_cut_to_the_ocpp_lengths(events: SecurityEventService) -> None:
    events.report("x" * 100, "T" * 80, "i" * 400)
    await events.flush()

    [event] = await events.search(SecurityEventFilter())
    assert (len(event["stationId"]), len(event["type"]), len(event["techInfo"])) == (48, 50, 255)


async def test_stop_writes_what_is_still_queued(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    service = SecurityEventService(sessionmaker, clock, flush_interval=3600)
    service.start()
    service.report("cp001", "FailedToAuthenticateAtCsms", None)
    service.report("cp001", "FailedToAuthenticateAtCsms", None)

    await service.stop()

    assert len(await service.search(SecurityEventFilter())) == 2
