"""Tolerated payload slips are counted every time and logged once per station, action, hour."""

from __future__ import annotations

import structlog
from structlog.testing import capture_logs

from tests.helpers import FakeClock
from tourmaline.metrics import TIMESTAMPS_WITHOUT_ZONE
from tourmaline.services.tolerance import ToleranceReporter


def zoneless_count() -> float:
    return TIMESTAMPS_WITHOUT_ZONE._value.get()


def test_logged_once_per_station_action_and_hour_but_always_counted() -> None:
    clock = FakeClock()
    report = ToleranceReporter(clock)
    before = zoneless_count()

    with capture_logs() as logs:
        structlog.contextvars.bind_contextvars(station_id="cp1")
        try:
            report("timestamp_without_zone", action="StatusNotification", path="$.timestamp")
            report("timestamp_without_zone", action="StatusNotification", path="$.timestamp")
            report("timestamp_without_zone", action="MeterValues", path="$.meterValue")
            clock.advance(3601)
            report("timestamp_without_zone", action="StatusNotification", path="$.timestamp")
        finally:
            structlog.contextvars.unbind_contextvars("station_id")

    assert [entry["action"] for entry in logs] == [
        "StatusNotification",
        "MeterValues",
        "StatusNotification",
    ]
    assert all(entry["log_level"] == "warning" for entry in logs)
    assert zoneless_count() - before == 4


def test_other_stations_are_logged_separately() -> None:
    report = ToleranceReporter(FakeClock())
    with capture_logs() as logs:
        for station in ("a", "b"):
            structlog.contextvars.bind_contextvars(station_id=station)
            report("null_properties_removed", action="Heartbeat", paths=["$.x"])
        structlog.contextvars.unbind_contextvars("station_id")
    assert len(logs) == 2
