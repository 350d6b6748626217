"""Small test doubles shared by the unit suites."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
from argon2 import PasswordHasher

from tourmaline.services.credentials import default_hasher

if TYPE_CHECKING:
    from tourmaline.runtime import Runtime

__all__ = ["CountingHasher", "FakeClock", "api_client", "eventually", "running"]


@asynccontextmanager
async def running(runtime: Runtime) -> AsyncIterator[Runtime]:
    """`runtime` started without its HTTP server (tests call the API in-process), then stopped."""
    await runtime.start(serve_api=False)
    try:
        yield runtime
    finally:
        await runtime.stop()


@asynccontextmanager
async def api_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The runtime's REST API, called in-process."""
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://tourmaline") as client:
        yield client


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


T = TypeVar("T")

# Only a failing test waits this long: a condition that holds returns at once. Generous, so
# that a CI machine under load does not turn a slow success into a failure.
EVENTUALLY_TIMEOUT = 20.0


async def eventually(
    check: Callable[[], T | Awaitable[T]], timeout: float = EVENTUALLY_TIMEOUT
) -> T:
    """Poll `check` (sync or async) until it returns something truthy, and return that; work
    that crosses a socket, a broker or a background writer lands a little later."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found: Any = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found  # type: ignore[no-any-return]
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)
