"""Energy from meter values (OCPP 2.0.1 Part 2 §J, interface.md §10.1).

A session's energy comes from `Energy.Active.Import.Register` readings of the whole EVSE (no
`phase`), measured at the outlet or inlet, in Wh or kWh scaled by `unitOfMeasure.multiplier`
(a power of ten). Readings are stored as received; only their use in the totals is ruled here:

* a negative, non-finite or unconvertible reading never counts;
* `meterStart` is the reading with the earliest timestamp, whatever order events arrive in;
* the total is the highest reading minus `meterStart`, never below zero, so a register that goes
  backwards (a faulty meter, or a replayed older reading) cannot lower what was delivered.
  Energy counted after a register reset is therefore not added; the readings stay visible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tourmaline.ocpp.v201.models.transaction_event import (
    LocationEnumType,
    MeasurandEnumType,
    MeterValueType,
    SampledValueType,
)

__all__ = ["EnergyReading", "MeterTotals", "energy_readings", "import_power_w", "register_wh"]

_UNIT_SCALE = {"Wh": 1.0, "kWh": 1000.0}
_POWER_SCALE = {"W": 1.0, "kW": 1000.0}
_METERED_LOCATIONS = (None, LocationEnumType.outlet, LocationEnumType.inlet)


@dataclass(frozen=True, slots=True)
class EnergyReading:
    timestamp: datetime
    wh: float


def register_wh(sample: SampledValueType) -> float | None:
    """The reading in Wh when `sample` is the EVSE's import register, else None."""
    if sample.measurand not in (None, MeasurandEnumType.energy_active_import_register):
        return None
    return _evse_total(sample, _UNIT_SCALE, "Wh")


def import_power_w(sample: SampledValueType) -> float | None:
    """The EVSE's import power in W when `sample` is its `Power.Active.Import` total, else None
    (the same meters and unit rules as the register)."""
    if sample.measurand != MeasurandEnumType.power_active_import:
        return None
    return _evse_total(sample, _POWER_SCALE, "W")


def _evse_total(sample: SampledValueType, scales: dict[str, float], base: str) -> float | None:
    """The value in the `base` unit for a whole-EVSE sample of the outlet or inlet meter."""
    if sample.phase is not None or sample.location not in _METERED_LOCATIONS:
        return None
    unit = sample.unit_of_measure
    # The schema's default unit is "Wh" whatever the measurand: only a unit that was sent
    # counts, an absent one means the measurand's base unit.
    sent = unit.unit if unit is not None and "unit" in unit.model_fields_set else None
    scale = scales.get(sent or base)
    if scale is None:
        return None
    multiplier = (unit.multiplier if unit else None) or 0
    try:
        return float(sample.value) * scale * 10.0**multiplier
    except OverflowError:
        return None


def energy_readings(meter_values: Iterable[MeterValueType]) -> list[EnergyReading]:
    """Every import-register reading of an event, in the order sent."""
    readings: list[EnergyReading] = []
    for meter_value in meter_values:
        for sample in meter_value.sampled_value:
            wh = register_wh(sample)
            if wh is not None:
                readings.append(EnergyReading(meter_value.timestamp, wh))
    return readings


@dataclass(slots=True)
class MeterTotals:
    start_wh: float | None = None
    start_at: datetime | None = None
    max_wh: float | None = None

    def add(self, reading: EnergyReading) -> bool:
        """Count one reading; False when the rule above refuses it."""
        wh = reading.wh
        if not math.isfinite(wh) or wh < 0:
            return False
        if self.start_at is None or self.start_wh is None or reading.timestamp < self.start_at:
            self.start_at, self.start_wh = reading.timestamp, wh
        elif reading.timestamp == self.start_at and wh < self.start_wh:
            self.start_wh = wh
        if self.max_wh is None or wh > self.max_wh:
            self.max_wh = wh
        return True

    @property
    def total_kwh(self) -> float:
        if self.start_wh is None or self.max_wh is None:
            return 0.0
        return max(self.max_wh - self.start_wh, 0.0) / 1000.0
