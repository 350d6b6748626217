"""A session's meter values as chart series (ui/meter_series.py): the register rules of
services/metering.py, measured power, and power derived from energy when none is sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from tests.tx_support import at
from tourmaline.ui.meter_series import Point, SampleRow, Segment, meter_series


@dataclass
class Value:
    timestamp: datetime
    sampled_value: list[Any]


def energy(value: float, **fields: Any) -> dict[str, Any]:
    return {"value": value, "measurand": "Energy.Active.Import.Register", **fields}


def power(value: float, **fields: Any) -> dict[str, Any]:
    return {"value": value, "measurand": "Power.Active.Import", **fields}


def test_energy_is_delivered_kwh_since_the_first_reading_in_any_unit() -> None:
    series = meter_series(
        [
            Value(at(120), [energy(3.5, unitOfMeasure={"unit": "kWh"})]),
            Value(at(0), [energy(1000)]),  # Wh by default, arrived out of order
            Value(at(60), [energy(2, unitOfMeasure={"multiplier": 3})]),  # 2 x 10^3 Wh
        ]
    )

    assert series.energy == [Point(at(0), 0.0), Point(at(60), 1.0), Point(at(120), 2.5)]
    assert series.rows[0] == SampleRow(at(0), 1.0, 0.0, None)


def test_phase_readings_other_meters_and_bad_samples_are_not_the_session_energy() -> None:
    series = meter_series(
        [
            Value(at(0), [energy(500, phase="L1"), energy(900, location="EV"), energy(1000)]),
            Value(at(60), [{"value": "lots"}, energy(-5), energy(15, unitOfMeasure={"unit": "V"})]),
            Value(at(120), [energy(2000)]),
        ]
    )  # fmt: skip

    assert series.energy == [Point(at(0), 0.0), Point(at(120), 1.0)]


def test_power_is_derived_from_consecutive_readings_when_none_is_sent() -> None:
    series = meter_series(
        [
            Value(at(0), [energy(0)]),
            Value(at(360), [energy(1000)]),  # 1 kWh in 6 minutes: 10 kW
            Value(at(720), [energy(800)]),  # the register went back: no level
            Value(at(1080), [energy(1400)]),
        ]
    )

    assert series.power_is_derived
    assert series.derived_power == [
        Segment(at(0), at(360), pytest.approx(10.0)),
        Segment(at(720), at(1080), pytest.approx(6.0)),
    ]
    assert series.peak_power_kw == pytest.approx(10.0)
    assert [row.power_kw for row in series.rows] == [None, pytest.approx(10.0), None,
                                                     pytest.approx(6.0)]  # fmt: skip


def test_sent_power_samples_are_used_in_kw() -> None:
    series = meter_series(
        [
            Value(at(0), [energy(0), power(7200)]),
            Value(at(60), [energy(120), power(7.4, unitOfMeasure={"unit": "kW"})]),
            Value(at(120), [power(11, unitOfMeasure={"multiplier": 3}), power(3000, phase="L1")]),
        ]
    )

    assert not series.power_is_derived
    assert series.derived_power == []
    assert series.power == [Point(at(0), 7.2), Point(at(60), 7.4), Point(at(120), 11.0)]
    assert series.rows[-1] == SampleRow(at(120), None, None, 11.0)


def test_no_meter_values_no_series() -> None:
    series = meter_series([])
    assert (series.energy, series.power, series.derived_power, series.rows) == ([], [], [], [])
    assert series.peak_power_kw is None
