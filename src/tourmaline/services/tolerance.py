"""Warnings for what Tourmaline tolerates in station payloads (ocpp-rules.md §3.1, §3).

A charger that sends zone-less timestamps does so in every message, so each kind of tolerance
is logged at most once per station, action and hour; the counter still sees every occurrence.
"""

from __future__ import annotations

from typing import Any

import structlog

from tourmaline.clock import Clock
from tourmaline.metrics import TIMESTAMPS_WITHOUT_ZONE

__all__ = ["ToleranceReporter"]

log = structlog.get_logger(__name__)

QUIET_PERIOD = 3600.0
MAX_REMEMBERED = 10_000


class ToleranceReporter:
    """The `on_warning` hook of the SchemaRegistry. The station comes from the logging context
    that the transport binds for each connection."""

    def __init__(self, clock: Clock, *, quiet_period: float = QUIET_PERIOD) -> None:
        self._clock = clock
        self._quiet_period = quiet_period
        self._last_logged: dict[tuple[str, str, str], float] = {}

    def __call__(self, event: str, /, **fields: Any) -> None:
        if event == "timestamp_without_zone":
            TIMESTAMPS_WITHOUT_ZONE.inc()
        station_id = str(structlog.contextvars.get_contextvars().get("station_id", "-"))
        key = (station_id, str(fields.get("action", "-")), event)
        now = self._clock.monotonic()
        last = self._last_logged.get(key)
        if last is not None and now - last < self._quiet_period:
            return
        if len(self._last_logged) >= MAX_REMEMBERED:
            self._last_logged.clear()
        self._last_logged[key] = now
        log.warning(event, **fields)
