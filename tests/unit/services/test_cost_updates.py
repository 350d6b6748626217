"""Periodic CostUpdated (interface.md §10.1, OCPP 2.0.1 I02): which transactions get one and
with which running cost."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tests.tx_support import T0, TokenBook, tx_event
from tests.unit.services.test_reports import RecordingSender, Sent
from tourmaline.services.cost_updates import CostUpdater
from tourmaline.services.tariffs import TariffService, TariffWrite
from tourmaline.services.transactions import TransactionService
from tourmaline.settings import TransactionSettings

TOKEN = "04A2B3C4"


async def test_each_accepted_active_transaction_of_a_local_station_gets_its_cost(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    clock = FakeClock(T0)
    book = TokenBook({TOKEN: ("Accepted", True)})
    tariffs = TariffService(sessionmaker, clock)
    service = TransactionService(
        sessionmaker, clock, TransactionSettings(), authorizer=book, tariffs=tariffs
    )
    await tariffs.put(TariffWrite(currency="EUR", price_per_kwh=0.3, price_per_min=0.1))
    sessions = [
        ("cp1", "charging", TOKEN, 1),
        ("cp1", "unknown-token", "AABBCCDD", 2),
        ("cp1", "no-token", None, 3),
        ("cp1", "ended", TOKEN, 4),
        ("cp2", "elsewhere", TOKEN, 1),
    ]
    for station, tx, token, evse in sessions:
        started = tx_event("Started", tx, 0, evse_id=evse, id_token=token, meter_wh=0)
        await service.on_transaction_event(station, started)
    await service.on_transaction_event("cp1", tx_event("Updated", "charging", 1, meter_wh=2000))
    await service.on_transaction_event("cp1", tx_event("Ended", "ended", 1))
    clock.advance(600)
    sender = RecordingSender(Sent(True, None))
    updater = CostUpdater(
        sessionmaker, clock, interval=60, local_stations=lambda: ["cp1"], sender=sender
    )

    assert await updater.send_updates() == 1

    # 2 kWh x 0.30 + 10 min x 0.10 (elapsed until now: no timeSpentCharging reported)
    payload = {"totalCost": 1.6, "transactionId": "charging"}
    assert sender.sent == [("cp1", "CostUpdated", payload)]


async def test_no_connected_station_means_no_call(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    sender = RecordingSender(Sent(True, None))
    updater = CostUpdater(
        sessionmaker, FakeClock(), interval=60, local_stations=list, sender=sender
    )

    assert await updater.send_updates() == 0
    assert sender.sent == []
