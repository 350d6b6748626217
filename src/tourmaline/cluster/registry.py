"""Which instance holds each station's socket, with an epoch per connection (design.md §5 step 8).

Every claim takes a new, strictly increasing epoch and overwrites the record, so the newest
connection always wins. Release and refresh are compare-and-set on (instance, epoch): the late
close handler of a replaced socket cannot remove its successor's registration (interface.md §2.6,
the CitrineOS race). Records expire after `ttl` unless their owner refreshes them, so an instance
that dies without releasing stops owning its stations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

import redis.asyncio as redis

from tourmaline.clock import Clock, SystemClock

__all__ = [
    "DEFAULT_TTL",
    "Claim",
    "MemoryRegistry",
    "Ownership",
    "RedisRegistry",
    "Registry",
]

DEFAULT_TTL = 90.0


class Ownership(NamedTuple):
    instance_id: str
    epoch: int


@dataclass(frozen=True, slots=True)
class Claim:
    """A successful claim: our epoch, and whoever held the station just before (to be evicted)."""

    epoch: int
    previous: Ownership | None


class Registry(Protocol):
    async def claim(self, station_id: str, instance_id: str) -> Claim: ...

    async def owner(self, station_id: str) -> Ownership | None: ...

    async def release(self, station_id: str, instance_id: str, epoch: int) -> bool:
        """Remove the record only if (instance_id, epoch) still owns it."""
        ...

    async def refresh(self, station_id: str, instance_id: str, epoch: int) -> bool:
        """Extend the TTL only if (instance_id, epoch) still owns it; False means the
        connection was superseded (or its record expired) and must be closed."""
        ...


class MemoryRegistry:
    """For instances sharing one process. Expiry is evaluated lazily against the clock."""

    def __init__(self, *, ttl: float = DEFAULT_TTL, clock: Clock | None = None) -> None:
        self._ttl = ttl
        self._clock: Clock = clock or SystemClock()
        self._records: dict[str, tuple[Ownership, float]] = {}
        self._last_epoch = 0

    def _current(self, station_id: str) -> Ownership | None:
        record = self._records.get(station_id)
        if record is None:
            return None
        ownership, expires_at = record
        if self._clock.monotonic() >= expires_at:
            del self._records[station_id]
            return None
        return ownership

    def _store(self, station_id: str, ownership: Ownership) -> None:
        self._records[station_id] = (ownership, self._clock.monotonic() + self._ttl)

    async def claim(self, station_id: str, instance_id: str) -> Claim:
        previous = self._current(station_id)
        self._last_epoch += 1
        self._store(station_id, Ownership(instance_id, self._last_epoch))
        return Claim(self._last_epoch, previous)

    async def owner(self, station_id: str) -> Ownership | None:
        return self._current(station_id)

    async def release(self, station_id: str, instance_id: str, epoch: int) -> bool:
        if self._current(station_id) != Ownership(instance_id, epoch):
            return False
        del self._records[station_id]
        return True

    async def refresh(self, station_id: str, instance_id: str, epoch: int) -> bool:
        ownership = Ownership(instance_id, epoch)
        if self._current(station_id) != ownership:
            return False
        self._store(station_id, ownership)
        return True


# KEYS[1] station record, KEYS[2] epoch counter; ARGV[1] instance, ARGV[2] ttl in ms.
_CLAIM = """
local epoch = redis.call('INCR', KEYS[2])
local previous = redis.call('HMGET', KEYS[1], 'instance', 'epoch')
redis.call('HSET', KEYS[1], 'instance', ARGV[1], 'epoch', epoch)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {epoch, previous[1] or '', previous[2] or ''}
"""

# KEYS[1] station record; ARGV[1] instance, ARGV[2] epoch.
_RELEASE = """
local current = redis.call('HMGET', KEYS[1], 'instance', 'epoch')
if current[1] == ARGV[1] and current[2] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

# KEYS[1] station record; ARGV[1] instance, ARGV[2] epoch, ARGV[3] ttl in ms.
_REFRESH = """
local current = redis.call('HMGET', KEYS[1], 'instance', 'epoch')
if current[1] == ARGV[1] and current[2] == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
"""


class RedisRegistry:
    """`<prefix>:station:<id>` → hash {instance, epoch} with a TTL; epochs come from one INCR
    counter `<prefix>:epoch`, so they increase across restarts of any instance. Check-and-set
    runs in Lua scripts, atomically on the server."""

    def __init__(
        self, client: redis.Redis, *, ttl: float = DEFAULT_TTL, prefix: str = "tourmaline"
    ) -> None:
        self._client = client
        self._ttl_ms = max(1, round(ttl * 1000))
        self._prefix = prefix
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)
        self._refresh = client.register_script(_REFRESH)

    @classmethod
    def from_url(cls, url: str, *, ttl: float = DEFAULT_TTL) -> RedisRegistry:
        return cls(redis.Redis.from_url(url), ttl=ttl)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _key(self, station_id: str) -> str:
        return f"{self._prefix}:station:{station_id}"

    async def claim(self, station_id: str, instance_id: str) -> Claim:
        keys = [self._key(station_id), f"{self._prefix}:epoch"]
        epoch, instance, previous_epoch = await self._claim(
            keys=keys, args=[instance_id, self._ttl_ms]
        )
        previous = None
        if previous_epoch:
            previous = Ownership(_text(instance), int(previous_epoch))
        return Claim(int(epoch), previous)

    async def owner(self, station_id: str) -> Ownership | None:
        instance, epoch = await self._client.hmget(self._key(station_id), ["instance", "epoch"])
        if instance is None or epoch is None:
            return None
        return Ownership(_text(instance), int(epoch))

    async def release(self, station_id: str, instance_id: str, epoch: int) -> bool:
        done = await self._release(keys=[self._key(station_id)], args=[instance_id, epoch])
        return bool(done)

    async def refresh(self, station_id: str, instance_id: str, epoch: int) -> bool:
        done = await self._refresh(
            keys=[self._key(station_id)], args=[instance_id, epoch, self._ttl_ms]
        )
        return bool(done)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
