"""The station → instance registry: newest claim wins, epoch-checked release and refresh."""

from __future__ import annotations

from typing import Any

from tourmaline.cluster.registry import MemoryRegistry, Ownership


class SteppedClock:
    mono = 1000.0

    def now(self) -> Any:
        raise AssertionError("the registry needs only monotonic time")

    def monotonic(self) -> float:
        return self.mono


async def test_every_claim_gets_a_higher_epoch_and_names_the_previous_owner(
    cluster_backend: Any,
) -> None:
    registry = cluster_backend.registry

    first = await registry.claim("cp1", "a")
    second = await registry.claim("cp1", "b")
    other = await registry.claim("cp2", "a")

    assert first.previous is None
    assert second.epoch > first.epoch
    assert second.previous == Ownership("a", first.epoch)
    assert other.epoch > second.epoch
    assert await registry.owner("cp1") == ("b", second.epoch)


async def test_only_the_current_epoch_may_release(cluster_backend: Any) -> None:
    registry = cluster_backend.registry
    old = await registry.claim("cp1", "a")
    new = await registry.claim("cp1", "a")

    assert await registry.release("cp1", "a", old.epoch) is False
    assert await registry.owner("cp1") == ("a", new.epoch)
    assert await registry.release("cp1", "b", new.epoch) is False
    assert await registry.release("cp1", "a", new.epoch) is True
    assert await registry.owner("cp1") is None
    assert await registry.release("cp1", "a", new.epoch) is False


async def test_refresh_fails_once_another_connection_claimed(cluster_backend: Any) -> None:
    registry = cluster_backend.registry
    mine = await registry.claim("cp1", "a")

    assert await registry.refresh("cp1", "a", mine.epoch) is True
    await registry.claim("cp1", "b")
    assert await registry.refresh("cp1", "a", mine.epoch) is False


async def test_unknown_station_has_no_owner(cluster_backend: Any) -> None:
    assert await cluster_backend.registry.owner("nobody") is None
    assert await cluster_backend.registry.refresh("nobody", "a", 1) is False


async def test_memory_records_expire_unless_refreshed() -> None:
    clock = SteppedClock()
    registry = MemoryRegistry(ttl=90, clock=clock)
    kept = await registry.claim("kept", "a")
    await registry.claim("lost", "a")

    clock.mono += 60
    assert await registry.refresh("kept", "a", kept.epoch) is True
    clock.mono += 60

    assert await registry.owner("kept") == ("a", kept.epoch)
    assert await registry.owner("lost") is None
