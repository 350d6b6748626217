"""Report tracking (interface.md §4.4) on a real database: requestIds, parts, completion,
failure and the boot record's next answer. The station side is a recording sender."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.db.models import Boot, ReportRequest
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.reports import ReportService
from tourmaline.settings import OcppSettings

GENERATED = datetime(2026, 1, 2, 3, 0, 0, tzinfo=UTC)


@dataclass
class Sent:
    success: bool
    payload: Any


class RecordingSender:
    def __init__(self, answer: Sent) -> None:
        self.answer = answer
        self.sent: list[tuple[str, str, JsonObject]] = []

    async def send(
        self,
        station_id: str,
        action: str,
        payload: JsonObject,
        *,
        wait: bool = False,
        timeout: float | None = None,
    ) -> Sent:
        self.sent.append((station_id, action, payload))
        return self.answer


class RecordingDeviceModel:
    def __init__(self) -> None:
        self.parts: list[tuple[str, list[JsonObject], datetime]] = []

    async def apply_report(
        self, station_id: str, report_data: list[JsonObject], generated_at: datetime
    ) -> None:
        self.parts.append((station_id, report_data, generated_at))


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender(Sent(True, {"status": "Accepted"}))


@pytest.fixture
def device_model() -> RecordingDeviceModel:
    return RecordingDeviceModel()


def make_service(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    sender: RecordingSender,
    device_model: RecordingDeviceModel,
    **ocpp: Any,
) -> ReportService:
    return ReportService(
        sessionmaker,
        clock,
        OcppSettings(**ocpp),
        sender=sender,
        apply_report=device_model.apply_report,
    )


@pytest.fixture
async def reports(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    sender: RecordingSender,
    device_model: RecordingDeviceModel,
) -> AsyncIterator[ReportService]:
    service = make_service(sessionmaker, clock, sender, device_model)
    yield service
    await service.stop()


async def pending_record(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker.begin() as session:
        session.add(Boot(id="cp1", status="Pending"))


async def boot_of(sessionmaker: async_sessionmaker[AsyncSession]) -> Boot:
    async with sessionmaker() as session:
        boot = await session.get(Boot, "cp1")
    assert boot is not None
    return boot


async def row_of(sessionmaker: async_sessionmaker[AsyncSession], request_id: int) -> ReportRequest:
    async with sessionmaker() as session:
        row = await session.scalar(
            select(ReportRequest).where(ReportRequest.request_id == request_id)
        )
    assert row is not None
    return row


async def started(reports: ReportService) -> int:
    """A boot report that the station accepted."""
    request_id = await reports.begin_boot_report("cp1")
    assert request_id is not None
    request = {"requestId": request_id, "reportBase": "FullInventory"}
    await reports.on_report_answer("cp1", request, {"status": "Accepted"})
    return request_id


async def part(reports: ReportService, request_id: int, seq_no: int, tbc: bool) -> None:
    data = [{"component": {"name": "C"}, "variable": {"name": f"V{seq_no}"}}]
    await reports.on_notify_report("cp1", request_id, seq_no, tbc, data, GENERATED)


async def test_request_ids_are_unique_per_station_and_above_callers_ids(
    reports: ReportService,
) -> None:
    first = await reports.begin_boot_report("cp1")
    await reports.track_outbound("cp1", "GetReport", {"requestId": 40})
    assert first is not None
    await reports.on_report_answer("cp1", {"requestId": first}, {"status": "Rejected"})

    second = await reports.begin_boot_report("cp1")
    other_station = await reports.begin_boot_report("cp2")

    assert (first, second, other_station) == (1, 41, 1)


async def test_a_running_boot_report_is_not_started_again(reports: ReportService) -> None:
    await started(reports)

    assert await reports.begin_boot_report("cp1") is None


async def test_send_boot_report_asks_for_the_full_inventory(
    reports: ReportService, sender: RecordingSender
) -> None:
    request_id = await reports.begin_boot_report("cp1")
    assert request_id is not None

    await reports.send_boot_report("cp1", request_id)

    payload = {"requestId": request_id, "reportBase": "FullInventory"}
    assert sender.sent == [("cp1", "GetBaseReport", payload)]


async def test_a_send_failure_fails_the_report(
    reports: ReportService,
    sender: RecordingSender,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    sender.answer = Sent(False, "Timed out after 30 s")
    request_id = await reports.begin_boot_report("cp1")
    assert request_id is not None

    await reports.send_boot_report("cp1", request_id)

    assert (await row_of(sessionmaker, request_id)).state == "failed"
    assert await reports.begin_boot_report("cp1") == request_id + 1


async def test_completion_needs_every_part_up_to_the_last(
    reports: ReportService,
    sessionmaker: async_sessionmaker[AsyncSession],
    device_model: RecordingDeviceModel,
) -> None:
    await pending_record(sessionmaker)
    request_id = await started(reports)

    await part(reports, request_id, 1, tbc=False)
    await part(reports, request_id, 1, tbc=False)
    assert (await row_of(sessionmaker, request_id)).state == "accepted"
    assert (await boot_of(sessionmaker)).status == "Pending"
    await part(reports, request_id, 0, tbc=True)

    assert (await row_of(sessionmaker, request_id)).state == "complete"
    boot = await boot_of(sessionmaker)
    assert (boot.status, boot.get_base_report_on_pending) == ("Accepted", False)
    applied = [data[0]["variable"]["name"] for _, data, _ in device_model.parts]
    assert applied == ["V1", "V0"]


async def test_without_auto_accept_the_record_stays_pending(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    sender: RecordingSender,
    device_model: RecordingDeviceModel,
) -> None:
    reports = make_service(sessionmaker, clock, sender, device_model, auto_accept=False)
    await pending_record(sessionmaker)
    request_id = await started(reports)

    await part(reports, request_id, 0, tbc=False)

    boot = await boot_of(sessionmaker)
    assert (boot.status, boot.get_base_report_on_pending) == ("Pending", False)
    await reports.stop()


async def test_inactivity_fails_the_report_lazily(
    reports: ReportService, clock: FakeClock, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    request_id = await started(reports)
    await part(reports, request_id, 0, tbc=True)

    clock.advance(31)

    assert await reports.begin_boot_report("cp1") == request_id + 1
    assert (await row_of(sessionmaker, request_id)).state == "failed"


async def test_parts_keep_the_report_alive(reports: ReportService, clock: FakeClock) -> None:
    request_id = await started(reports)
    for seq_no in range(3):
        clock.advance(20)
        await part(reports, request_id, seq_no, tbc=True)

    assert await reports.begin_boot_report("cp1") is None


async def test_an_unknown_request_id_is_applied_but_not_tracked(
    reports: ReportService,
    device_model: RecordingDeviceModel,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await part(reports, 99, 0, tbc=False)

    assert len(device_model.parts) == 1
    async with sessionmaker() as session:
        assert list(await session.scalars(select(ReportRequest))) == []


async def test_api_report_is_tracked_and_a_reused_request_id_starts_over(
    reports: ReportService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    request = {"requestId": 5, "reportBase": "ConfigurationInventory"}
    await reports.track_outbound("cp1", "GetBaseReport", request)
    await reports.on_report_answer("cp1", request, {"status": "Accepted"})
    await part(reports, 5, 0, tbc=False)
    assert (await row_of(sessionmaker, 5)).state == "complete"

    await reports.track_outbound("cp1", "GetBaseReport", request)

    row = await row_of(sessionmaker, 5)
    assert (row.purpose, row.state, row.seq_nos) == ("api", "requested", [])


@pytest.mark.parametrize(
    ("status", "state"),
    [("EmptyResultSet", "complete"), ("Rejected", "failed"), ("NotSupported", "failed")],
)
async def test_answers_other_than_accepted_settle_the_report(
    reports: ReportService,
    sessionmaker: async_sessionmaker[AsyncSession],
    status: str,
    state: str,
) -> None:
    request_id = await reports.begin_boot_report("cp1")

    await reports.on_report_answer("cp1", {"requestId": request_id}, {"status": status})

    assert request_id is not None
    assert (await row_of(sessionmaker, request_id)).state == state
