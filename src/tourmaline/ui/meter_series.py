"""A session's meter values as the two series its chart shows: energy delivered and power.

Readings are read with services/metering.py, so units, multipliers and which samples count
(the whole EVSE, its outlet or inlet meter) are the rules the session totals use. Energy is the
import register minus the session's first reading (`meterStart`), in kWh. Power is the
`Power.Active.Import` samples when the station sends any; otherwise it is derived from each pair
of consecutive energy readings as a level held between them, and the chart says so. A register
that goes backwards gives no derived power for that interval (it is a faulty or replayed
reading, not a negative flow).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, Protocol

from pydantic import ValidationError

from tourmaline.ocpp.v201.models.transaction_event import SampledValueType
from tourmaline.services.metering import EnergyReading, MeterTotals, import_power_w, register_wh

__all__ = ["MeterSample", "MeterSeries", "Point", "SampleRow", "Segment", "meter_series"]


class MeterSample(Protocol):
    """One OCPP MeterValueType as stored (services/transaction_query.py `MeterValueView`)."""

    @property
    def timestamp(self) -> datetime: ...

    @property
    def sampled_value(self) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime
    value: float


@dataclass(frozen=True, slots=True)
class Segment:
    """A level held from `start` to `end` (derived power)."""

    start: datetime
    end: datetime
    value: float


@dataclass(frozen=True, slots=True)
class SampleRow:
    """One line of the chart's data table."""

    at: datetime
    register_kwh: float | None
    delivered_kwh: float | None
    power_kw: float | None


@dataclass(frozen=True, slots=True)
class MeterSeries:
    energy: list[Point]
    power: list[Point]
    derived_power: list[Segment]
    rows: list[SampleRow]

    @property
    def power_is_derived(self) -> bool:
        return not self.power

    @property
    def peak_power_kw(self) -> float | None:
        levels = [p.value for p in self.power] + [s.value for s in self.derived_power]
        return max(levels, default=None)


def meter_series(meter_values: Iterable[MeterSample]) -> MeterSeries:
    """Energy (kWh since the first reading) and power (kW) of a session's meter values."""
    registers: list[EnergyReading] = []
    powers: list[Point] = []
    for value in sorted(meter_values, key=lambda value: value.timestamp):
        wh, watts = _readings(value.sampled_value)
        if wh is not None:
            registers.append(EnergyReading(value.timestamp, wh))
        if watts is not None:
            powers.append(Point(value.timestamp, watts / 1000.0))
    totals = MeterTotals()
    counted = [reading for reading in registers if totals.add(reading)]
    start = totals.start_wh or 0.0
    energy = [Point(reading.timestamp, (reading.wh - start) / 1000.0) for reading in counted]
    derived = [] if powers else _derived_power(energy)
    # A derived level is listed with the reading that ends its interval.
    levels = powers or [Point(segment.end, segment.value) for segment in derived]
    return MeterSeries(energy, powers, derived, _rows(counted, start, levels))


def _readings(samples: Sequence[Any]) -> tuple[float | None, float | None]:
    """The first register reading (Wh) and the first power sample (W) of one meter value."""
    wh: float | None = None
    watts: float | None = None
    for raw in samples:
        try:
            sample = SampledValueType.model_validate(raw)
        except ValidationError:
            continue
        wh = register_wh(sample) if wh is None else wh
        watts = import_power_w(sample) if watts is None else watts
    return wh, watts


def _derived_power(energy: Sequence[Point]) -> list[Segment]:
    segments = []
    for before, after in pairwise(energy):
        hours = (after.at - before.at).total_seconds() / 3600.0
        delivered = after.value - before.value
        if hours > 0 and delivered >= 0:
            segments.append(Segment(before.at, after.at, delivered / hours))
    return segments


def _rows(
    counted: Sequence[EnergyReading], start: float, powers: Sequence[Point]
) -> list[SampleRow]:
    by_time: dict[datetime, SampleRow] = {}
    for reading in counted:
        kwh = reading.wh / 1000.0
        by_time.setdefault(
            reading.timestamp, SampleRow(reading.timestamp, kwh, kwh - start / 1000.0, None)
        )
    for power in powers:
        row = by_time.get(power.at)
        if row is None:
            by_time[power.at] = SampleRow(power.at, None, None, power.value)
        elif row.power_kw is None:
            by_time[power.at] = SampleRow(row.at, row.register_kwh, row.delivered_kwh, power.value)
    return [by_time[moment] for moment in sorted(by_time)]
