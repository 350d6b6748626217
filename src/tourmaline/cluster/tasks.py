"""Supervised background tasks: every task is tracked, its failure is logged, and the owner cancels
what is left when it stops (design.md §4 step 10: never a bare `ensure_future`)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import structlog

__all__ = ["TaskSupervisor"]

log = structlog.get_logger(__name__)

T = TypeVar("T")


class TaskSupervisor:
    """A set of tasks owned by one component, closed together."""

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error(
                "background task failed",
                owner=self._owner,
                task=task.get_name(),
                exc_info=error,
            )

    async def close(self, grace: float = 0.0) -> None:
        """Let running tasks finish for up to `grace` seconds, then cancel the rest."""
        pending = set(self._tasks)
        if pending and grace > 0:
            _, pending = await asyncio.wait(pending, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
