"""Small test doubles shared by the unit suites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher

from tourmaline.services.credentials import default_hasher

__all__ = ["CountingHasher", "FakeClock"]


class FakeClock:
    """A `tourmaline.clock.Clock` that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds


class CountingHasher(PasswordHasher):
    """The real argon2id hasher, counting how often a verification is paid for."""

    def __init__(self) -> None:
        base = default_hasher()
        super().__init__(
            time_cost=base.time_cost,
            memory_cost=base.memory_cost,
            parallelism=base.parallelism,
        )
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)
