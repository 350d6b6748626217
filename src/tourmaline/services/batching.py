"""Group commit: requests that arrive while the database is busy share the next transaction.

SQLite (one connection, every statement a thread hop) and PostgreSQL (one round trip per
statement) both pay per statement, not per row. A `Batcher` runs one request on its own when
the database is idle, so an idle system adds no latency, and under load it hands everything that
queued up meanwhile to one `process` call: one transaction and a few multi-row statements for
hundreds of BootNotifications after a reconnect storm (ocpp-rules.md §7). Each caller still gets
its answer only after the commit (design.md §1.6).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import structlog

__all__ = ["Batcher"]

log = structlog.get_logger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(slots=True)
class _Pending(Generic[In, Out]):
    item: In
    future: asyncio.Future[Out] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Batcher(Generic[In, Out]):
    """`process(items)` returns one result per item, in order, after committing them together.

    Items with the same `key` never share a batch (a multi-row upsert may not touch a row
    twice). When a batch fails, its items are retried one by one, so a single bad request
    fails alone and the others still succeed.
    """

    def __init__(
        self,
        process: Callable[[list[In]], Awaitable[list[Out]]],
        *,
        key: Callable[[In], Hashable],
        max_batch: int = 200,
        linger: float = 0.0,
    ) -> None:
        self._process = process
        self._key = key
        self._max_batch = max_batch
        self._linger = linger
        self._queue: list[_Pending[In, Out]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, item: In) -> Out:
        pending: _Pending[In, Out] = _Pending(item)
        self._queue.append(pending)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="group-commit")
        # The worker finishes a batch even when one caller stops waiting (e.g. its socket closed).
        return await asyncio.shield(pending.future)

    async def _drain(self) -> None:
        first = True
        while self._queue:
            if not first:
                await self._gather_more()
            first = False
            batch = self._next_batch()
            try:
                await self._run(batch)
            except BaseException as error:  # cancelled at shutdown: nobody may wait forever
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(error)
                raise

    async def _gather_more(self) -> None:
        """Between back-to-back batches only (never for a request that finds the database
        idle): wait `linger` seconds for more requests, so that under load fewer, larger
        batches share the fixed cost of a transaction."""
        if self._linger > 0 and len(self._queue) < self._max_batch:
            await asyncio.sleep(self._linger)

    def _next_batch(self) -> list[_Pending[In, Out]]:
        batch: list[_Pending[In, Out]] = []
        keys: set[Hashable] = set()
        rest: list[_Pending[In, Out]] = []
        for pending in self._queue:
            key = self._key(pending.item)
            if len(batch) < self._max_batch and key not in keys:
                keys.add(key)
                batch.append(pending)
            else:
                rest.append(pending)
        self._queue = rest
        return batch

    async def _run(self, batch: list[_Pending[In, Out]]) -> None:
        try:
            results = await self._process([pending.item for pending in batch])
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0], error=error)
                return
            log.warning("group commit failed; retrying its requests one by one", size=len(batch))
            for pending in batch:
                await self._run([pending])
            return
        for pending, result in zip(batch, results, strict=True):
            _settle(pending, result=result)


def _settle(
    pending: _Pending[In, Out], *, result: Out | None = None, error: Exception | None = None
) -> None:
    if pending.future.done():
        return
    if error is not None:
        pending.future.set_exception(error)
    else:
        pending.future.set_result(result)  # type: ignore[arg-type]
