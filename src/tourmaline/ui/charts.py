"""The geometry of a session's meter chart: energy (left axis) and power (right axis) over time,
drawn as inline SVG by templates/sessions/_chart.html (no script, no chart library).

Everything here is pure: series in, coordinates, tick positions and labels out. Axes always
include zero and every finite value, so a register that goes backwards or a negative reading
stretches the axis instead of leaving the plot; non-finite values are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tourmaline.ui.meter_series import Point, Segment

__all__ = ["Axis", "Chart", "Tick", "build_chart", "nice_ticks", "time_ticks"]

WIDTH = 720
HEIGHT = 320
# Room for the tick labels and axis titles around the plot.
LEFT, RIGHT, TOP, BOTTOM = 64, 64, 36, 52
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
               43200, 86400, 172800, 604800)  # fmt: skip
_MAX_TIME_TICKS = 7
# A single instant is shown as a minute around it.
_LONE_INSTANT_PAD = timedelta(seconds=30)
# Beyond this many points the markers would only blur the line.
MAX_MARKERS = 60


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class Axis:
    low: float
    high: float
    ticks: list[Tick]


@dataclass(frozen=True, slots=True)
class Chart:
    """What the template draws; `empty` when there is nothing to plot."""

    empty: bool
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    time_title: str = "Time (UTC)"
    time_ticks: list[Tick] = field(default_factory=list)
    energy_ticks: list[Tick] = field(default_factory=list)
    power_ticks: list[Tick] = field(default_factory=list)
    energy_path: str = ""
    energy_markers: list[tuple[float, float]] = field(default_factory=list)
    power_path: str = ""
    power_markers: list[tuple[float, float]] = field(default_factory=list)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        return []
    if high == low:
        high = low + 1.0
    step = _nice_step((high - low) / max(count - 1, 1))
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    ticks = [first + index * step for index in range(round((last - first) / step) + 1)]
    # 0.1 * 3 is 0.30000000000000004: snap to the step's decimals.
    decimals = _decimals(step)
    return [round(tick, decimals) + 0.0 for tick in ticks]


def _nice_step(rough: float) -> float:
    magnitude = 10.0 ** math.floor(math.log10(rough))
    for factor in (1.0, 2.0, 5.0):
        if rough <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def _value_label(value: float, step: float) -> str:
    text = f"{value:.{_decimals(step)}f}"
    return "0" if float(text) == 0 else text


def time_ticks(start: datetime, end: datetime) -> list[datetime]:
    """Tick instants at a round step (seconds to weeks) within [start, end], at most seven."""
    span = (end - start).total_seconds()
    step = next((s for s in _TIME_STEPS if span / s <= _MAX_TIME_TICKS - 1), _TIME_STEPS[-1])
    first = math.ceil(start.timestamp() / step) * step
    count = max(0, math.floor((end.timestamp() - first) / step) + 1)
    return [datetime.fromtimestamp(first + i * step, UTC) for i in range(count)]


def _time_label(moment: datetime, start: datetime, end: datetime, step: float) -> str:
    if end - start > timedelta(days=1):
        return moment.strftime("%m-%d %H:%M")
    return moment.strftime("%H:%M:%S" if step < 60 else "%H:%M")


def _finite(values: Sequence[float]) -> list[float]:
    return [value for value in values if math.isfinite(value)]


def _value_axis(values: Sequence[float], top: float, bottom: float) -> Axis:
    finite = _finite(values)
    ticks = nice_ticks(min([0.0, *finite]), max([0.0, *finite]))
    low, high = ticks[0], ticks[-1]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    scale = (bottom - top) / (high - low)
    placed = [Tick(round(bottom - (tick - low) * scale, 1), _value_label(tick, step))
              for tick in ticks]  # fmt: skip
    return Axis(low, high, placed)


class _Frame:
    """Maps instants and values to SVG coordinates."""

    def __init__(self, start: datetime, end: datetime, chart: Chart) -> None:
        self.start, self.end, self.chart = start, end, chart
        self.seconds = (end - start).total_seconds()

    def x(self, moment: datetime) -> float:
        share = (moment - self.start).total_seconds() / self.seconds
        return round(self.chart.left + share * (self.chart.right - self.chart.left), 1)

    def y(self, value: float, axis: Axis) -> float:
        share = (value - axis.low) / (axis.high - axis.low)
        return round(self.chart.bottom - share * (self.chart.bottom - self.chart.top), 1)


def _time_range(
    energy: Sequence[Point], power: Sequence[Point], steps: Sequence[Segment]
) -> tuple[datetime, datetime] | None:
    moments = [p.at for p in energy] + [p.at for p in power]
    moments += [s.start for s in steps] + [s.end for s in steps]
    if not moments:
        return None
    start, end = min(moments), max(moments)
    if start == end:
        return start - _LONE_INSTANT_PAD, end + _LONE_INSTANT_PAD
    return start, end


def build_chart(
    energy: Sequence[Point], power: Sequence[Point] = (), power_steps: Sequence[Segment] = ()
) -> Chart:
    """Energy in kWh as a line; power in kW as a line (samples) or as steps (derived levels)."""
    energy = [p for p in energy if math.isfinite(p.value)]
    power = [p for p in power if math.isfinite(p.value)]
    power_steps = [s for s in power_steps if math.isfinite(s.value)]
    span = _time_range(energy, power, power_steps)
    if span is None:
        return Chart(empty=True)
    blank = Chart(empty=False)
    frame = _Frame(*span, blank)
    energy_axis = _value_axis([p.value for p in energy], blank.top, blank.bottom)
    power_values = [p.value for p in power] + [s.value for s in power_steps]
    power_axis = _value_axis(power_values, blank.top, blank.bottom)
    energy_xy = [(frame.x(p.at), frame.y(p.value, energy_axis)) for p in energy]
    power_xy = [(frame.x(p.at), frame.y(p.value, power_axis)) for p in power]
    return Chart(
        empty=False,
        time_ticks=_placed_times(frame),
        energy_ticks=energy_axis.ticks,
        power_ticks=power_axis.ticks,
        energy_path=_line(energy_xy),
        energy_markers=energy_xy if len(energy_xy) <= MAX_MARKERS else [],
        power_path=_line(power_xy) if power else _steps(frame, power_steps, power_axis),
        power_markers=power_xy if len(power_xy) <= MAX_MARKERS else [],
    )


def _placed_times(frame: _Frame) -> list[Tick]:
    instants = time_ticks(frame.start, frame.end)
    step = (instants[1] - instants[0]).total_seconds() if len(instants) > 1 else frame.seconds
    return [Tick(frame.x(moment), _time_label(moment, frame.start, frame.end, step))
            for moment in instants]  # fmt: skip


def _line(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x:g},{y:g}" for i, (x, y) in enumerate(points))


def _steps(frame: _Frame, steps: Sequence[Segment], axis: Axis) -> str:
    """One horizontal stroke per level; consecutive levels are joined by vertical strokes."""
    parts: list[str] = []
    previous_end: float | None = None
    for segment in steps:
        x0, x1, y = frame.x(segment.start), frame.x(segment.end), frame.y(segment.value, axis)
        parts.append(f"{'L' if previous_end == x0 else 'M'}{x0:g},{y:g} H{x1:g}")
        previous_end = x1
    return " ".join(parts)
