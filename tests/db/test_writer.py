"""The batched message-log writer on real databases (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock, eventually
from tourmaline.db.models import ChargingStation, MessageLogEntry
from tourmaline.db.writer import MessageLogWriter
from tourmaline.transport.ports import FrameRecord

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)


def frame(
    message_id: str = "m-1",
    *,
    station_id: str = "cp-1",
    origin: str = "cs",
    message_type_id: int = 2,
    action: str | None = "Heartbeat",
    text: str = '[2,"m-1","Heartbeat",{}]',
    at: datetime = T0,
) -> FrameRecord:
    return FrameRecord(
        station_id=station_id,
        origin=origin,  # type: ignore[arg-type]
        text=text,
        timestamp=at,
        message_type_id=message_type_id,
        message_id=message_id,
        action=action,
    )


async def log_rows(sessionmaker: Sessions) -> list[MessageLogEntry]:
    async with sessionmaker() as session:
        query = select(MessageLogEntry).order_by(MessageLogEntry.id)
        return list((await session.execute(query)).scalars())


async def station(sessionmaker: Sessions, station_id: str = "cp-1") -> ChargingStation | None:
    async with sessionmaker() as session:
        return await session.get(ChargingStation, station_id)


async def add_station(sessionmaker: Sessions, station_id: str = "cp-1") -> None:
    async with sessionmaker.begin() as session:
        session.add(ChargingStation(id=station_id))


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def writer(sessionmaker: Sessions) -> MessageLogWriter:
    """Not started: nothing is written until the test calls flush()."""
    return MessageLogWriter(sessionmaker, clock=FakeClock(T0))


@pytest.fixture
async def running(sessionmaker: Sessions) -> AsyncIterator[MessageLogWriter]:
    writer = MessageLogWriter(sessionmaker, clock=FakeClock(T0), flush_interval=0.01)
    writer.start()
    yield writer
    await writer.stop()


async def test_rows_are_written_at_flush_and_not_before(
    sessionmaker: Sessions, writer: MessageLogWriter
) -> None:
    writer.add(frame("m-1"))
    writer.add(frame("m-1", origin="csms", message_type_id=3, text='[3,"m-1",{}]'))
    assert await log_rows(sessionmaker) == []

    await writer.flush()

    rows = await log_rows(sessionmaker)
    assert [(row.origin, row.message_type_id, row.message_id) for row in rows] == [
        ("cs", 2, "m-1"),
        ("csms", 3, "m-1"),
    ]
    assert rows[0].message == '[2,"m-1","Heartbeat",{}]'
    assert rows[0].action == "Heartbeat"
    assert rows[0].timestamp == T0
    assert rows[0].outcome is None


async def test_a_flush_larger_than_one_commit_writes_every_row_once_in_order(
    sessionmaker: Sessions, writer: MessageLogWriter
) -> None:
    ids = [f"m-{n}" for n in range(250)]  # three of the writer's commits
    for message_id in ids:
        writer.add(frame(message_id, origin="csms"))
    writer.set_outcome("cp-1", "m-0", "Answered")
    written_before = metric("tourmaline_message_log_written_total")

    await writer.flush()

    rows = await log_rows(sessionmaker)
    assert [row.message_id for row in rows] == ids
    assert [row.outcome for row in rows[:2]] == ["Answered", None]
    assert metric("tourmaline_message_log_written_total") - written_before == 250


async def test_unparseable_frames_and_nul_characters_are_logged(
    sessionmaker: Sessions, writer: MessageLogWriter
) -> None:
    writer.add(FrameRecord(station_id="cp-1", origin="cs", text="not json\x00at all", timestamp=T0))
    await writer.flush()

    [row] = await log_rows(sessionmaker)
    assert row.message_type_id is None and row.message_id is None and row.action is None
    assert row.message.startswith("not json") and row.message.endswith("at all")


async def test_outcome_updates_only_the_csms_call(
    sessionmaker: Sessions, writer: MessageLogWriter
) -> None:
    writer.add(frame("c-1", origin="csms", action="Reset"))
    await writer.flush()
    writer.add(frame("c-1", origin="cs", message_type_id=3, action="Reset"))
    writer.set_outcome("cp-1", "c-1", "answered")
    await writer.flush()

    rows = await log_rows(sessionmaker)
    assert [(row.origin, row.outcome) for row in rows] == [("csms", "answered"), ("cs", None)]


async def test_outcome_set_in_the_same_batch_as_its_call_is_applied(
    sessionmaker: Sessions, writer: MessageLogWriter
) -> None:
    writer.add(frame("c-1", origin="csms", action="Reset"))
    writer.add(frame("c-2", station_id="cp-2", origin="csms", action="Reset"))
    writer.set_outcome("cp-1", "c-1", "pending")
    writer.set_outcome("cp-1", "c-1", "timeout")
    await writer.flush()

    rows = await log_rows(sessionmaker)
    assert [(row.station_id, row.outcome) for row in rows] == [("cp-1", "timeout"), ("cp-2", None)]


async def test_touch_and_seen_keep_the_newest_time_per_station(
    sessionmaker: Sessions, writer: MessageLogWriter
) -> None:
    await add_station(sessionmaker, "cp-1")
    await add_station(sessionmaker, "cp-2")
    for minutes in (1, 5, 3):
        writer.touch("cp-1", T0 + timedelta(minutes=minutes))
    writer.seen("cp-1", T0 + timedelta(minutes=7))
    writer.seen("cp-1", T0 + timedelta(minutes=6))
    writer.seen("cp-2", T0)
    await writer.flush()

    first, second = await station(sessionmaker, "cp-1"), await station(sessionmaker, "cp-2")
    assert first is not None and second is not None
    assert first.latest_ocpp_message_timestamp == T0 + timedelta(minutes=5)
    assert first.last_seen == T0 + timedelta(minutes=7)
    assert second.last_seen == T0
    assert second.latest_ocpp_message_timestamp is None


async def test_touch_of_an_unknown_station_creates_nothing(
    sessionmaker: Sessions, writer: MessageLogWriter
) -> None:
    writer.touch("ghost", T0)
    await writer.flush()
    assert await station(sessionmaker, "ghost") is None


async def test_set_online_creates_the_station_row_when_missing(
    sessionmaker: Sessions, writer: MessageLogWriter
) -> None:
    writer.set_online("cp-new", True, "ocpp2.0.1")
    writer.touch("cp-new", T0)
    await writer.flush()

    created = await station(sessionmaker, "cp-new")
    assert created is not None
    assert created.is_online is True
    assert created.protocol == "ocpp2.0.1"
    assert created.min_security_profile == 0
    assert created.created_at == T0
    assert created.latest_ocpp_message_timestamp == T0


async def test_going_offline_keeps_the_protocol_and_the_last_call_wins(
    sessionmaker: Sessions,
) -> None:
    clock = FakeClock(T0)
    writer = MessageLogWriter(sessionmaker, clock=clock)
    writer.set_online("cp-1", True, "ocpp2.0.1")
    await writer.flush()
    clock.advance(60)
    writer.set_online("cp-1", True, "ocpp2.0.1")
    writer.set_online("cp-1", False, None)
    await writer.flush()

    stored = await station(sessionmaker)
    assert stored is not None
    assert stored.is_online is False
    assert stored.protocol == "ocpp2.0.1"
    assert stored.created_at == T0
    assert stored.updated_at == T0 + timedelta(seconds=60)


async def test_going_offline_never_creates_a_station(
    sessionmaker: Sessions, writer: MessageLogWriter
) -> None:
    # For example a station deleted through the API while its socket was still open.
    writer.set_online("cp-deleted", False, None)
    await writer.flush()

    assert await station(sessionmaker, "cp-deleted") is None


async def test_a_connection_opened_and_closed_between_flushes_creates_the_station(
    sessionmaker: Sessions, writer: MessageLogWriter
) -> None:
    writer.set_online("cp-brief", True, "ocpp2.0.1")
    writer.set_online("cp-brief", False, None)
    await writer.flush()

    stored = await station(sessionmaker, "cp-brief")
    assert stored is not None
    assert stored.is_online is False
    assert stored.protocol == "ocpp2.0.1"


async def test_the_running_writer_flushes_on_its_own(
    sessionmaker: Sessions, running: MessageLogWriter
) -> None:
    running.add(frame("m-1"))

    async def logged() -> bool:
        return len(await log_rows(sessionmaker)) == 1

    await eventually(logged)


async def test_a_full_batch_is_flushed_without_waiting_for_the_interval(
    sessionmaker: Sessions,
) -> None:
    writer = MessageLogWriter(sessionmaker, flush_rows=50, flush_interval=3600)
    writer.start()
    try:
        for number in range(120):
            writer.add(frame(f"m-{number}"))

        async def two_batches_written() -> bool:
            return len(await log_rows(sessionmaker)) >= 100

        await eventually(two_batches_written)
    finally:
        await writer.stop()
    assert len(await log_rows(sessionmaker)) == 120


async def test_stop_flushes_what_is_still_buffered(sessionmaker: Sessions) -> None:
    writer = MessageLogWriter(sessionmaker, flush_interval=3600)
    writer.start()
    writer.add(frame("m-1"))
    writer.set_online("cp-1", True, "ocpp2.0.1")

    await writer.stop()

    assert len(await log_rows(sessionmaker)) == 1
    assert await station(sessionmaker) is not None


async def test_the_buffer_is_bounded_and_drops_the_oldest(
    sessionmaker: Sessions,
) -> None:
    writer = MessageLogWriter(sessionmaker, max_buffered_rows=3)
    dropped_before = metric("tourmaline_message_log_dropped_total", reason="buffer_full")
    for number in range(5):
        writer.add(frame(f"m-{number}"))
    await writer.flush()

    assert [row.message_id for row in await log_rows(sessionmaker)] == ["m-2", "m-3", "m-4"]
    dropped = metric("tourmaline_message_log_dropped_total", reason="buffer_full")
    assert dropped - dropped_before == 2


async def test_a_database_error_is_survived_and_the_work_retried(
    sessionmaker: Sessions, running: MessageLogWriter
) -> None:
    async with sessionmaker.begin() as session:
        await session.execute(text("ALTER TABLE message_log RENAME TO message_log_away"))
    failures_before = metric("tourmaline_writer_flush_failures_total")
    running.add(frame("m-1"))
    running.set_online("cp-1", True, "ocpp2.0.1")

    async def failed() -> bool:
        return metric("tourmaline_writer_flush_failures_total") > failures_before

    await eventually(failed)
    assert await station(sessionmaker) is None  # the whole batch was rolled back

    async with sessionmaker.begin() as session:
        await session.execute(text("ALTER TABLE message_log_away RENAME TO message_log"))
    running.add(frame("m-2"))

    async def everything_written() -> bool:
        return len(await log_rows(sessionmaker)) == 2

    await eventually(everything_written)
    stored = await station(sessionmaker)
    assert stored is not None and stored.is_online
    assert [row.message_id for row in await log_rows(sessionmaker)] == ["m-1", "m-2"]
