"""Per-station limit on failed Basic-auth attempts (issue 5 item 4; interface.md §2.4).

After `limit` failures for one station within `window` seconds, the station is locked for
`window` seconds: its attempts are refused with 401 without the argon2 check, so guessing costs
the attacker a lot of time and the CSMS no CPU.

The trade-off: the lock is keyed by the station id in the URL, which anyone can send, so an
attacker can keep a station locked by failing `limit` times per window. Two things bound that:
the lock always ends `window` seconds after it began (further attempts do not extend it), and
during a lock the station's own password is still accepted when it matches the in-memory
verification cache, which costs no hashing (a station that connected within the cache TTL of
`CredentialService` is not locked out at all). Counts live in this process only: with several
instances each one counts for itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from tourmaline.clock import Clock
from tourmaline.metrics import AUTH_LOCKOUTS

__all__ = ["FailedAuthLimiter"]

# Stations tracked at most; entries whose window has passed are dropped first.
MAX_TRACKED = 100_000


@dataclass(slots=True)
class _Failures:
    window_start: float
    count: int = 0
    locked_until: float | None = None


class FailedAuthLimiter:
    def __init__(self, clock: Clock, *, limit: int, window: float) -> None:
        self._clock = clock
        self._limit = limit
        self._window = window
        self._stations: dict[str, _Failures] = {}

    @property
    def window(self) -> float:
        return self._window

    def locked(self, station_id: str) -> bool:
        """Whether the station's attempts are refused without a password check now."""
        entry = self._stations.get(station_id)
        if entry is None or entry.locked_until is None:
            return False
        if self._clock.monotonic() < entry.locked_until:
            return True
        del self._stations[station_id]
        return False

    def failed(self, station_id: str) -> bool:
        """Count a failure; True when it locks the station."""
        if self._limit == 0:
            return False
        now = self._clock.monotonic()
        entry = self._stations.get(station_id)
        if entry is None or now - entry.window_start >= self._window:
            self._make_room(now)
            entry = self._stations[station_id] = _Failures(window_start=now)
        entry.count += 1
        if entry.count < self._limit or entry.locked_until is not None:
            return False
        entry.locked_until = now + self._window
        AUTH_LOCKOUTS.inc()
        return True

    def succeeded(self, station_id: str) -> None:
        self._stations.pop(station_id, None)

    def _make_room(self, now: float) -> None:
        if len(self._stations) < MAX_TRACKED:
            return
        for station_id, entry in list(self._stations.items()):
            if (entry.locked_until or entry.window_start + self._window) <= now:
                del self._stations[station_id]
