"""CSMS-side security events (issue 5 item 4): refused handshakes and TLS failures, recorded
with the OCPP security event types of `ocpp.security_events` through a `SecurityEventSink`.

Whoever provokes a refusal can repeat it as often as they like, so events are folded: the first
event of a kind (same station, or same listener and reason for what has no station) within
`window` seconds is reported, later ones are only counted, and the next reported event of that
kind says how many were folded into it. The sink therefore sees at most one event per kind per
window, whatever the attack rate; the metric counts every occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from tourmaline.clock import Clock
from tourmaline.metrics import SECURITY_EVENTS
from tourmaline.ocpp.security_events import TECH_INFO_MAX_LENGTH
from tourmaline.services.ports import SecurityEventSink

__all__ = ["DEFAULT_FOLD_WINDOW", "SecurityAudit"]

log = structlog.get_logger(__name__)

DEFAULT_FOLD_WINDOW = 60.0
# Kinds remembered at most; beyond it, kinds whose window has passed are forgotten first.
MAX_KINDS = 10_000


@dataclass(slots=True)
class _Kind:
    window_start: float
    folded: int = 0


class SecurityAudit:
    def __init__(
        self,
        clock: Clock,
        sink: SecurityEventSink | None = None,
        *,
        window: float = DEFAULT_FOLD_WINDOW,
    ) -> None:
        self._clock = clock
        self.sink = sink
        self._window = window
        self._kinds: dict[tuple[str, str], _Kind] = {}

    def report(
        self, station_id: str | None, event_type: str, tech_info: str, *, kind: str | None = None
    ) -> None:
        """Record one occurrence. `kind` separates occurrences that must not fold into each
        other (default: the station id); never blocks, never raises."""
        key = (kind if kind is not None else station_id or "", event_type)
        folded = self._fold(key)
        if folded is None:
            SECURITY_EVENTS.labels(type=event_type, outcome="suppressed").inc()
            return
        SECURITY_EVENTS.labels(type=event_type, outcome="reported").inc()
        if folded:
            tech_info = f"{tech_info} (+{folded} more in {self._window:g} s)"
        self._emit(station_id, event_type, tech_info[:TECH_INFO_MAX_LENGTH])

    def tls_failure(self, event_type: str, tech_info: str) -> None:
        """`transport.tls.TlsFailureSink`: the station is unknown before the TLS handshake."""
        self.report(None, event_type, tech_info, kind=f"tls:{tech_info}")

    def _fold(self, key: tuple[str, str]) -> int | None:
        """How many occurrences were folded into this one, or None to fold this one."""
        now = self._clock.monotonic()
        entry = self._kinds.get(key)
        if entry is not None and now - entry.window_start < self._window:
            entry.folded += 1
            return None
        if entry is None and len(self._kinds) >= MAX_KINDS:
            self._forget_expired(now)
        self._kinds[key] = _Kind(window_start=now)
        return entry.folded if entry is not None else 0

    def _forget_expired(self, now: float) -> None:
        expired = [k for k, v in self._kinds.items() if now - v.window_start >= self._window]
        for key in expired or list(self._kinds)[: MAX_KINDS // 10]:
            del self._kinds[key]

    def _emit(self, station_id: str | None, event_type: str, tech_info: str) -> None:
        # The refusal itself is already logged as a warning where it happened.
        log.info(
            "security event", station_id=station_id, event_type=event_type, tech_info=tech_info
        )
        if self.sink is None:
            return
        try:
            self.sink(station_id, event_type, tech_info)
        except Exception:
            log.exception("security event sink failed", event_type=event_type)
