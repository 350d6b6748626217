"""Fixtures of the transport suite: a factory of real servers on port 0, closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.unit.transport.fakes import Harness

StartServer = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def start_server() -> AsyncIterator[StartServer]:
    harnesses: list[Harness] = []

    async def _start(**ocpp: Any) -> Harness:
        harness = Harness(**ocpp)
        await harness.server.start()
        harnesses.append(harness)
        return harness

    yield _start
    for harness in harnesses:
        await harness.server.close()


@pytest.fixture
async def harness(start_server: StartServer) -> Harness:
    return await start_server()
