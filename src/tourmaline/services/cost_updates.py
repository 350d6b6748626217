"""Periodic CostUpdated (OCPP 2.0.1 I02, interface.md §10.1): every `costUpdatedInterval`
seconds each Accepted, active transaction of a station connected to this instance is sent
`CostUpdated {totalCost, transactionId}` with its running cost (services/tariffs.py, elapsed
time up to now). Each instance serves its own stations, so every station hears it once. The
interval is a global tick, not aligned with each session's start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import structlog
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.cluster.tasks import TaskSupervisor
from tourmaline.db.models import Transaction
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.reports import ReportSender as CommandSender
from tourmaline.services.tariffs import current_prices
from tourmaline.services.transaction_state import TxState

__all__ = ["CostUpdater"]

log = structlog.get_logger(__name__)

_TX: Table = Transaction.__table__  # type: ignore[assignment]
# Station ids per query: well below every backend's bound-parameter limit.
_CHUNK = 500


class CostUpdater:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        interval: float,
        local_stations: Callable[[], Sequence[str]],
        sender: CommandSender,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._interval = interval
        self._local_stations = local_stations
        self._sender = sender
        self._tasks = TaskSupervisor("cost-updates")

    def start(self) -> None:
        if self._interval > 0 and not len(self._tasks):
            self._tasks.spawn(self._run(), name="cost-updates")

    async def stop(self) -> None:
        await self._tasks.close()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.send_updates()
            except Exception:  # the next tick tries again; a bad tick must not end the loop
                log.exception("cost updates failed")

    async def send_updates(self) -> int:
        """One tick: the number of CostUpdated calls queued."""
        updates = await self._due_updates(list(self._local_stations()))
        for station_id, payload in updates:
            result = await self._sender.send(station_id, "CostUpdated", payload, wait=False)
            if not result.success:
                log.info("cost update not sent", station_id=station_id, reason=result.payload)
        return len(updates)

    async def _due_updates(self, station_ids: list[str]) -> list[tuple[str, JsonObject]]:
        now = self._clock.now()
        updates: list[tuple[str, JsonObject]] = []
        async with self._sessionmaker() as session:
            prices = await current_prices(session)
            for start in range(0, len(station_ids), _CHUNK):
                chunk = station_ids[start : start + _CHUNK]
                query = select(*TxState.selected_columns(_TX)).where(
                    _TX.c.is_active,
                    _TX.c.authorization_status == "Accepted",
                    _TX.c.station_id.in_(chunk),
                )
                for row in await session.execute(query):
                    state = TxState.from_row(row)
                    payload = {
                        "totalCost": state.price(prices, until=now),
                        "transactionId": state.transaction_id,
                    }
                    updates.append((state.station_id, payload))
        return updates
