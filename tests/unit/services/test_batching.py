"""Group commit: concurrent requests share one `process` call; failures stay with their owner."""

from __future__ import annotations

import asyncio

import pytest

from tourmaline.services.batching import Batcher


class Recorder:
    def __init__(self, fail_on: set[int] | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on or set()
        self.gate = asyncio.Event()
        self.gate.set()

    async def process(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        await self.gate.wait()
        if self.fail_on & set(items):
            raise ValueError(f"cannot store {sorted(self.fail_on & set(items))}")
        return [item * 10 for item in items]


async def test_a_lone_request_is_processed_at_once() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.process, key=lambda item: item)

    assert await batcher.submit(1) == 10
    assert recorder.batches == [[1]]


async def test_requests_queued_while_busy_share_the_next_batch() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.process, key=lambda item: item)
    recorder.gate.clear()
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(batcher.submit(n)) for n in range(2, 7)]
    await asyncio.sleep(0)
    recorder.gate.set()

    assert await asyncio.gather(first, *rest) == [10, 20, 30, 40, 50, 60]
    assert recorder.batches == [[1], [2, 3, 4, 5, 6]]


async def test_the_same_key_never_shares_a_batch() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.process, key=lambda item: item % 2)
    recorder.gate.clear()
    tasks = [asyncio.create_task(batcher.submit(n)) for n in (1, 3, 2)]
    await asyncio.sleep(0)
    recorder.gate.set()

    assert await asyncio.gather(*tasks) == [10, 30, 20]
    assert recorder.batches == [[1, 2], [3]]


async def test_a_failing_request_fails_alone() -> None:
    recorder = Recorder(fail_on={3})
    batcher = Batcher(recorder.process, key=lambda item: item)
    recorder.gate.clear()
    tasks = [asyncio.create_task(batcher.submit(n)) for n in (1, 2, 3, 4)]
    await asyncio.sleep(0)
    recorder.gate.set()

    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert results[:2] == [10, 20]
    assert isinstance(results[2], ValueError)
    assert results[3] == 40


async def test_max_batch_bounds_each_call() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.process, key=lambda item: item, max_batch=2)
    recorder.gate.clear()
    tasks = [asyncio.create_task(batcher.submit(n)) for n in range(5)]
    await asyncio.sleep(0)
    recorder.gate.set()

    await asyncio.gather(*tasks)

    assert [len(batch) for batch in recorder.batches] == [2, 2, 1]


async def test_a_caller_that_stops_waiting_does_not_stop_the_batch() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.process, key=lambda item: item)
    recorder.gate.clear()
    impatient = asyncio.create_task(batcher.submit(1))
    patient = asyncio.create_task(batcher.submit(2))
    await asyncio.sleep(0)
    impatient.cancel()
    recorder.gate.set()

    assert await patient == 20
    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert recorder.batches == [[1, 2]]


async def test_linger_never_delays_a_request_that_finds_the_batcher_idle() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.process, key=lambda item: item, linger=60.0)

    assert await asyncio.wait_for(batcher.submit(1), timeout=10) == 10


async def test_linger_lets_requests_arriving_after_a_batch_join_the_next_one() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.process, key=lambda item: item, linger=0.5)
    recorder.gate.clear()
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    second = asyncio.create_task(batcher.submit(2))
    await asyncio.sleep(0)
    recorder.gate.set()
    assert await first == 10
    third = asyncio.create_task(batcher.submit(3))  # while the batcher lingers before [2]

    assert await asyncio.gather(second, third) == [20, 30]
    assert recorder.batches == [[1], [2, 3]]
