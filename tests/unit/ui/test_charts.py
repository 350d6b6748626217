"""The meter chart's geometry (ui/charts.py): round ticks, scaling onto the plot, and series
that are empty, a single point, decreasing or negative."""

from __future__ import annotations

import math
import re

import pytest

from tests.tx_support import at
from tourmaline.ui.charts import Chart, build_chart, nice_ticks, time_ticks
from tourmaline.ui.meter_series import Point, Segment


def coordinates(path: str) -> list[tuple[float, float]]:
    """The points an SVG path visits (M/L pairs and H strokes at the last height)."""
    points: list[tuple[float, float]] = []
    for command, numbers in re.findall(r"([MLH])([-0-9.,]+)", path):
        if command == "H":
            points.append((float(numbers), points[-1][1]))
        else:
            x, y = numbers.split(",")
            points.append((float(x), float(y)))
    return points


def inside(chart: Chart, points: list[tuple[float, float]]) -> bool:
    return all(chart.left <= x <= chart.right and chart.top <= y <= chart.bottom for x, y in points)


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0.0, 3.5, [0.0, 1.0, 2.0, 3.0, 4.0]),
        (0.0, 0.35, [0.0, 0.1, 0.2, 0.3, 0.4]),
        (0.0, 22.0, [0.0, 10.0, 20.0, 30.0]),
        (-1.2, 3.0, [-2.0, 0.0, 2.0, 4.0]),
        (-1.2, 0.8, [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0]),
        (0.0, 0.0, [0.0, 0.5, 1.0]),
        (7.0, 7.0, [7.0, 7.5, 8.0]),
    ],
)
def test_ticks_are_round_and_cover_the_range(low: float, high: float, ticks: list[float]) -> None:
    assert nice_ticks(low, high) == ticks


def test_no_ticks_for_a_range_that_is_not_one() -> None:
    assert nice_ticks(0.0, math.inf) == []
    assert nice_ticks(math.nan, 1.0) == []
    assert nice_ticks(2.0, 1.0) == []


def test_time_ticks_fall_on_round_minutes_within_the_span() -> None:
    start, end = at(30), at(330)  # 10:00:30 to 10:05:30
    assert time_ticks(start, end) == [at(60 * minute) for minute in range(1, 6)]
    long = time_ticks(at(0), at(7 * 3600))
    assert len(long) <= 7 and long[0] == at(0) and long[-1] <= at(7 * 3600)


def test_an_empty_series_gives_an_empty_chart() -> None:
    assert build_chart([]).empty
    assert build_chart([], [], []).energy_path == ""


def test_one_point_sits_in_the_middle_with_a_marker() -> None:
    chart = build_chart([Point(at(0), 2.0)])

    assert not chart.empty
    ((x, y),) = chart.energy_markers
    assert x == (chart.left + chart.right) / 2
    assert inside(chart, [(x, y)])
    assert chart.energy_path == f"M{x:g},{y:g}"
    # A lone instant is shown as the minute around it.
    labels = [tick.label for tick in chart.time_ticks]
    assert labels == ["09:59:30", "09:59:40", "09:59:50", "10:00:00", "10:00:10", "10:00:20",
                      "10:00:30"]  # fmt: skip


def test_energy_is_scaled_onto_the_plot_from_zero_to_the_top_tick() -> None:
    energy = [Point(at(0), 0.0), Point(at(60), 1.75), Point(at(120), 3.5)]
    chart = build_chart(energy)

    first, middle, last = coordinates(chart.energy_path)
    assert (first[0], last[0]) == (chart.left, chart.right)
    assert first[1] == chart.bottom  # 0 kWh on the bottom line
    assert [tick.label for tick in chart.energy_ticks] == ["0", "1", "2", "3", "4"]
    top_of_4 = chart.energy_ticks[-1].position
    assert top_of_4 == chart.top
    assert last[1] == pytest.approx(chart.bottom - (chart.bottom - chart.top) * 3.5 / 4, abs=0.1)
    assert middle[0] == pytest.approx((chart.left + chart.right) / 2, abs=0.1)


def test_decreasing_and_negative_values_stay_inside_the_plot() -> None:
    energy = [Point(at(0), 0.0), Point(at(60), 2.0), Point(at(120), -1.0), Point(at(180), 1.0)]
    chart = build_chart(energy, power=[Point(at(0), -3.0), Point(at(60), 11.0)])

    assert inside(chart, coordinates(chart.energy_path))
    assert inside(chart, coordinates(chart.power_path))
    assert chart.energy_ticks[0].label == "-1"
    assert "0" in [tick.label for tick in chart.energy_ticks]


def test_non_finite_values_are_left_out() -> None:
    chart = build_chart([Point(at(0), 1.0), Point(at(60), math.nan), Point(at(120), math.inf)])

    assert len(coordinates(chart.energy_path)) == 1
    assert build_chart([Point(at(0), math.nan)]).empty


def test_measured_power_is_a_line_and_derived_power_is_steps() -> None:
    energy = [Point(at(0), 0.0), Point(at(360), 1.0), Point(at(720), 2.5)]
    measured = build_chart(energy, power=[Point(at(0), 10.0), Point(at(360), 15.0)])
    steps = [Segment(at(0), at(360), 10.0), Segment(at(360), at(720), 15.0)]
    derived = build_chart(energy, power_steps=steps)

    assert "H" not in measured.power_path and len(measured.power_markers) == 2
    assert derived.power_markers == []
    (x0, y10), (x1, same), (x1_again, y15), (x2, _) = coordinates(derived.power_path)
    assert (x0, x1, x1_again, x2) == (derived.left, x1, x1, derived.right)
    assert same == y10 and y15 < y10  # 15 kW is drawn higher than 10 kW
    assert [tick.label for tick in derived.power_ticks][-1] == "15"
