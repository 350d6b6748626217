"""Report requests and their progress: the Pending boot flow with GetBaseReport (interface.md §4.4,
OCPP B02/B07) and GetBaseReport/GetReport sent through the message API (§7.4).

Progress lives in `report_requests` (§4.4 step 7), never in a cache: an instance that restarts,
or another instance the station reconnects to, continues the same report. A report fails after
`ocpp.report_inactivity_timeout` without news, checked lazily on the next boot or part and by a
supervised timer on the instance that last heard of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.cluster.tasks import TaskSupervisor
from tourmaline.db.models import Boot, ReportRequest, StationRequestCounter
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.settings import OcppSettings

__all__ = [
    "OPEN_STATES",
    "REPORT_ACTIONS",
    "ReportApplier",
    "ReportSender",
    "ReportService",
    "SentCall",
]

log = structlog.get_logger(__name__)

REPORT_ACTIONS = frozenset({"GetBaseReport", "GetReport"})
OPEN_STATES = ("requested", "accepted")
_BOOT = "boot"
_API = "api"


class SentCall(Protocol):
    """What CommandService.send answers (CommandResult)."""

    @property
    def success(self) -> bool: ...

    @property
    def payload(self) -> Any: ...


class ReportSender(Protocol):
    async def send(
        self,
        station_id: str,
        action: str,
        payload: JsonObject,
        *,
        wait: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - the station's deadline
    ) -> SentCall: ...


ReportApplier = Callable[[str, list[JsonObject], datetime], Awaitable[None]]
"""apply_report(station_id, report_data, generated_at): DeviceModelService.apply_report (§5.2)."""


async def _no_device_model(
    station_id: str, report_data: list[JsonObject], generated_at: datetime
) -> None:
    """Seam until a device model is wired: parts are tracked but their data is dropped."""


class ReportService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        ocpp: OcppSettings,
        *,
        sender: ReportSender,
        apply_report: ReportApplier | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._ocpp = ocpp
        self._sender = sender
        self._apply_report = apply_report or _no_device_model
        self._timeout = timedelta(seconds=ocpp.report_inactivity_timeout)
        self._timers = TaskSupervisor("reports")
        self._watched: set[tuple[str, int]] = set()

    async def stop(self) -> None:
        await self._timers.close()

    # -- the boot flow (§4.2, §4.4) ---------------------------------------------------------------

    async def begin_boot_report(self, station_id: str) -> int | None:
        """A new boot report's requestId, or None while one is still running (§4.2)."""
        now = self._clock.now()
        async with self._sessionmaker.begin() as session:
            if await self._open_boot_report(session, station_id, now) is not None:
                return None
            request_id = await _next_request_id(session, station_id)
            await _reset_request(session, station_id, request_id, "GetBaseReport", _BOOT, now)
        log.info("boot report requested", station_id=station_id, request_id=request_id)
        return request_id

    async def send_boot_report(self, station_id: str, request_id: int) -> None:
        """Step 1-2: runs after the Pending answer was sent. A CALLRESULT is handled by the
        result route (`on_report_answer`); anything else fails the report."""
        payload = {"requestId": request_id, "reportBase": "FullInventory"}
        result = await self._sender.send(station_id, "GetBaseReport", payload, wait=True)
        if not result.success:
            log.warning("boot report not sent", station_id=station_id, reason=result.payload)
            await self._fail_if_requested(station_id, request_id)

    # -- answers to GetBaseReport / GetReport -----------------------------------------------------

    async def track_outbound(self, station_id: str, action: str, payload: JsonObject) -> None:
        """Before a GetBaseReport/GetReport is sent: a message-API request is tracked under the
        caller's requestId (purpose 'api'); the boot flow's own row is left as it is."""
        request_id = payload.get("requestId")
        if action not in REPORT_ACTIONS or not isinstance(request_id, int):
            return
        now = self._clock.now()
        async with self._sessionmaker.begin() as session:
            row = await _find(session, station_id, request_id)
            if row is not None and row.state == "requested":
                return
            await _reset_request(session, station_id, request_id, action, _API, now)

    async def on_report_answer(
        self, station_id: str, request: JsonObject, response: JsonObject
    ) -> None:
        """Step 2: Accepted → wait for parts; EmptyResultSet → complete; otherwise failed."""
        request_id = request.get("requestId")
        if not isinstance(request_id, int):
            return
        status = response.get("status")
        now = self._clock.now()
        async with self._sessionmaker.begin() as session:
            row = await _find(session, station_id, request_id, lock=True)
            if row is None or row.state != "requested":
                return
            row.updated_at = now
            if status == "Accepted":
                row.state = "accepted"
            elif status == "EmptyResultSet":
                await self._complete(session, row)
            else:
                row.state = "failed"
        log.info("report answered", station_id=station_id, request_id=request_id, status=status)
        if status == "Accepted":
            self._watch(station_id, request_id)

    # -- NotifyReport (§4.4 step 3) ---------------------------------------------------------------

    async def on_notify_report(
        self,
        station_id: str,
        request_id: int,
        seq_no: int,
        tbc: bool,
        report_data: list[JsonObject],
        generated_at: datetime,
    ) -> None:
        """Apply one part unless it is a duplicate, then record it. Applied first, so a part
        whose write failed is not mistaken for a duplicate when the station sends it again."""
        row = await self._row_for_part(station_id, request_id)
        if row is not None and seq_no in row.seq_nos:
            log.info("duplicate report part ignored", station_id=station_id, seq_no=seq_no)
            return
        await self._apply_report(station_id, report_data, generated_at)
        if row is not None:
            await self._record_part(station_id, row.request_id, seq_no, tbc)

    async def _row_for_part(self, station_id: str, request_id: int) -> ReportRequest | None:
        now = self._clock.now()
        async with self._sessionmaker.begin() as session:
            row = await _find(session, station_id, request_id)
            if row is None and self._ocpp.boot_report_accept_any_request_id:
                row = await self._open_boot_report(session, station_id, now)
            elif row is not None and row.state in OPEN_STATES and self._stale(row, now):
                self._fail(row, now)
            return row

    async def _record_part(self, station_id: str, request_id: int, seq_no: int, tbc: bool) -> None:
        now = self._clock.now()
        async with self._sessionmaker.begin() as session:
            row = await _find(session, station_id, request_id, lock=True)
            if row is None or seq_no in row.seq_nos:
                return
            row.seq_nos = sorted([*row.seq_nos, seq_no])
            row.last_part_at = now
            row.updated_at = now
            if not tbc and (row.final_seq_no is None or seq_no < row.final_seq_no):
                row.final_seq_no = seq_no
            if row.state in OPEN_STATES and _all_parts_seen(row):
                await self._complete(session, row)
        self._watch(station_id, request_id)

    # -- completion and failure -------------------------------------------------------------------

    async def _complete(self, session: AsyncSession, row: ReportRequest) -> None:
        """Step 5: a completed boot report turns the boot record's next answer to Accepted
        (with autoAccept); the station's next BootNotification lifts gating."""
        row.state = "complete"
        log.info("report complete", station_id=row.station_id, request_id=row.request_id)
        if row.purpose != _BOOT:
            return
        boot = await session.get(Boot, row.station_id, with_for_update=True)
        if boot is None:
            return
        boot.get_base_report_on_pending = False
        if self._ocpp.auto_accept:
            boot.status = "Accepted"
        boot.updated_at = self._clock.now()

    def _fail(self, row: ReportRequest, now: datetime) -> None:
        row.state = "failed"
        row.updated_at = now
        log.warning("report failed", station_id=row.station_id, request_id=row.request_id)

    def _stale(self, row: ReportRequest, now: datetime) -> bool:
        return now - (row.last_part_at or row.updated_at) >= self._timeout

    async def _fail_if_requested(self, station_id: str, request_id: int) -> None:
        async with self._sessionmaker.begin() as session:
            row = await _find(session, station_id, request_id, lock=True)
            if row is not None and row.state == "requested":
                self._fail(row, self._clock.now())

    async def _open_boot_report(
        self, session: AsyncSession, station_id: str, now: datetime
    ) -> ReportRequest | None:
        """The station's running boot report; stale ones are failed on the way (step 4)."""
        rows = await session.scalars(
            select(ReportRequest)
            .where(
                ReportRequest.station_id == station_id,
                ReportRequest.purpose == _BOOT,
                ReportRequest.state.in_(OPEN_STATES),
            )
            .order_by(ReportRequest.id)
        )
        running = None
        for row in rows:
            if self._stale(row, now):
                self._fail(row, now)
            else:
                running = row
        return running

    # -- the inactivity timer (step 4) ------------------------------------------------------------

    def _watch(self, station_id: str, request_id: int) -> None:
        key = (station_id, request_id)
        if key not in self._watched:
            self._watched.add(key)
            self._timers.spawn(self._expire_later(key), name=f"report-timeout:{station_id}")

    async def _expire_later(self, key: tuple[str, int]) -> None:
        try:
            delay: float | None = self._timeout.total_seconds()
            while delay is not None:
                await asyncio.sleep(delay)
                delay = await self._expire_if_stale(*key)
        finally:
            self._watched.discard(key)

    async def _expire_if_stale(self, station_id: str, request_id: int) -> float | None:
        """Seconds until the report may next go stale, or None when it is no longer open."""
        now = self._clock.now()
        async with self._sessionmaker.begin() as session:
            row = await _find(session, station_id, request_id, lock=True)
            if row is None or row.state not in OPEN_STATES:
                return None
            if self._stale(row, now):
                self._fail(row, now)
                return None
            last = row.last_part_at or row.updated_at
            return max((last + self._timeout - now).total_seconds(), 0.01)


def _all_parts_seen(row: ReportRequest) -> bool:
    """Completion needs the tbc=false part and every seqNo from 0 up to it (step 3)."""
    final = row.final_seq_no
    return final is not None and set(range(final + 1)) <= set(row.seq_nos)


async def _find(
    session: AsyncSession, station_id: str, request_id: int, *, lock: bool = False
) -> ReportRequest | None:
    query = select(ReportRequest).where(
        ReportRequest.station_id == station_id, ReportRequest.request_id == request_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def _next_request_id(session: AsyncSession, station_id: str) -> int:
    """Above both the counter and any requestId a message-API caller chose."""
    counter = await session.get(StationRequestCounter, station_id, with_for_update=True)
    if counter is None:
        counter = StationRequestCounter(station_id=station_id, last_request_id=0)
        session.add(counter)
    highest = await session.scalar(
        select(func.max(ReportRequest.request_id)).where(ReportRequest.station_id == station_id)
    )
    counter.last_request_id = max(counter.last_request_id, highest or 0) + 1
    return counter.last_request_id


async def _reset_request(
    session: AsyncSession,
    station_id: str,
    request_id: int,
    action: str,
    purpose: str,
    now: datetime,
) -> None:
    """A requestId used again starts from scratch: its earlier parts belong to another report."""
    row = await _find(session, station_id, request_id, lock=True)
    if row is None:
        row = ReportRequest(station_id=station_id, request_id=request_id, created_at=now)
        session.add(row)
    _fill(row, action, purpose, now)


def _fill(row: ReportRequest, action: str, purpose: str, now: datetime) -> None:
    row.action = action
    row.purpose = purpose
    row.state = "requested"
    row.seq_nos = []
    row.final_seq_no = None
    row.last_part_at = None
    row.updated_at = now
