"""Energy from meter values (services/metering.py) and the cost formula and tariff store
(services/tariffs.py, interface.md §10.6)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tests.tx_support import at
from tourmaline.ocpp.v201.models.transaction_event import SampledValueType
from tourmaline.services.metering import EnergyReading, MeterTotals, import_power_w, register_wh
from tourmaline.services.tariffs import Prices, TariffService, TariffWrite, session_cost


def sample(value: float, **fields: Any) -> SampledValueType:
    return SampledValueType.model_validate({"value": value, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, 1500.0, id="no measurand: the register, in Wh"),
        pytest.param({"unitOfMeasure": {"unit": "kWh"}}, 1_500_000.0, id="kWh"),
        pytest.param({"unitOfMeasure": {"multiplier": 3}}, 1_500_000.0, id="Wh x 10^3"),
        pytest.param(
            {"unitOfMeasure": {"unit": "kWh", "multiplier": -3}}, 1500.0, id="kWh x 10^-3"
        ),
        pytest.param({"location": "Inlet"}, 1500.0, id="inlet meter"),
        pytest.param({"phase": "L1"}, None, id="one phase is not the EVSE total"),
        pytest.param({"location": "EV"}, None, id="EV-side reading"),
        pytest.param({"measurand": "Power.Active.Import"}, None, id="another measurand"),
        pytest.param({"unitOfMeasure": {"unit": "varh"}}, None, id="unknown unit"),
        pytest.param({"unitOfMeasure": {"multiplier": 400}}, None, id="overflowing multiplier"),
    ],
)
def test_register_readings_are_converted_to_wh(fields: dict[str, Any], expected: float) -> None:
    assert register_wh(sample(1500, **fields)) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, 1500.0, id="no unit: W"),
        pytest.param({"unitOfMeasure": {"unit": "kW"}}, 1_500_000.0, id="kW"),
        pytest.param({"unitOfMeasure": {"multiplier": 3}}, 1_500_000.0, id="W x 10^3"),
        pytest.param({"location": "Inlet"}, 1500.0, id="inlet meter"),
        pytest.param({"phase": "L2"}, None, id="one phase is not the EVSE total"),
        pytest.param({"unitOfMeasure": {"unit": "Wh"}}, None, id="an energy unit"),
    ],
)
def test_import_power_is_converted_to_w(fields: dict[str, Any], expected: float | None) -> None:
    assert import_power_w(sample(1500, measurand="Power.Active.Import", **fields)) == expected
    assert import_power_w(sample(1500, **fields)) is None  # the register is not power


def test_totals_are_highest_minus_earliest_whatever_the_arrival_order() -> None:
    totals = MeterTotals()
    for seconds, wh in [(120, 9000.0), (0, 1000.0), (60, 4000.0), (180, 8500.0)]:
        assert totals.add(EnergyReading(at(seconds), wh))

    assert (totals.start_wh, totals.start_at, totals.max_wh) == (1000.0, at(0), 9000.0)
    assert totals.total_kwh == 8.0


@pytest.mark.parametrize("wh", [-1.0, math.inf, math.nan])
def test_negative_or_non_finite_readings_do_not_count(wh: float) -> None:
    totals = MeterTotals()
    totals.add(EnergyReading(at(0), 100.0))

    assert not totals.add(EnergyReading(at(60), wh))
    assert (totals.start_wh, totals.max_wh, totals.total_kwh) == (100.0, 100.0, 0.0)


def test_an_earlier_reading_higher_than_later_ones_never_gives_a_negative_total() -> None:
    totals = MeterTotals()
    totals.add(EnergyReading(at(60), 500.0))
    totals.add(EnergyReading(at(0), 900.0))

    assert totals.total_kwh == 0.0


def test_no_readings_mean_no_energy() -> None:
    assert MeterTotals().total_kwh == 0.0


# -- cost ---------------------------------------------------------------------------------------

EUR = Prices("EUR", per_kwh=Decimal("0.285"))


@pytest.mark.parametrize(
    ("prices", "kwh", "seconds", "expected"),
    [
        pytest.param(None, 12.5, 3600, "0.00", id="no tariff: free"),
        pytest.param(EUR, 10.0, 0, "2.85", id="energy only: pricePerKwh x totalKwh"),
        pytest.param(
            Prices("EUR", Decimal("0.25")), 0.1, 0, "0.03", id="0.025: half a cent rounds up"
        ),
        pytest.param(EUR, 7.123, 0, "2.03", id="2.030055 rounds to cents"),
        pytest.param(
            Prices("EUR", Decimal("0.30"), per_min=Decimal("0.05"), per_session=Decimal(1)),
            20.0,
            1800,
            "8.50",
            id="6.00 energy + 1.50 time + 1.00 session",
        ),
        pytest.param(
            Prices("EUR", Decimal("0.30"), per_session=Decimal(1), tax_rate=Decimal(19)),
            10.0,
            0,
            "4.76",
            id="(3.00 + 1.00) + 19 % tax",
        ),
    ],
)
def test_session_cost(prices: Prices | None, kwh: float, seconds: float, expected: str) -> None:
    assert session_cost(prices, kwh, seconds) == Decimal(expected)


def test_doubles_are_priced_by_their_shortest_representation() -> None:
    # 0.1 * 0.3 in binary floating point is 0.030000000000000002; in decimals it is 0.03.
    assert session_cost(Prices("EUR", Decimal(repr(0.1))), 0.3, 0) == Decimal("0.03")


# -- the tariff store ---------------------------------------------------------------------------


@pytest.fixture
def tariffs(sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock) -> TariffService:
    return TariffService(sessionmaker, clock)


async def test_tariffs_are_created_replaced_listed_and_deleted(tariffs: TariffService) -> None:
    first = await tariffs.put(TariffWrite(currency="EUR", price_per_kwh=0.3))
    second = await tariffs.put(TariffWrite(currency="EUR", price_per_kwh=0.5, tax_rate=19))
    replaced = await tariffs.put(
        TariffWrite(id=first.id, currency="USD", price_per_kwh=0.25, price_per_min=0.01)
    )

    assert (replaced.id, replaced.currency, replaced.price_per_min) == (first.id, "USD", 0.01)
    assert [t.id for t in await tariffs.list()] == [first.id, second.id]
    assert [t.price_per_kwh for t in await tariffs.list(second.id)] == [0.5]
    assert await tariffs.price_per_kwh() == Decimal("0.25")  # the lowest id applies
    assert await tariffs.delete(first.id) == 1
    assert await tariffs.price_per_kwh() == Decimal("0.5")
    assert await tariffs.delete() == 1
    assert await tariffs.price_per_kwh() is None


async def test_a_tariff_put_with_an_id_does_not_block_later_ids(tariffs: TariffService) -> None:
    await tariffs.put(TariffWrite(id=5, currency="EUR", price_per_kwh=0.3))

    created = [await tariffs.put(TariffWrite(currency="EUR", price_per_kwh=p)) for p in (1, 2)]

    assert all(t.id > 5 for t in created)
    assert len({t.id for t in created}) == 2
