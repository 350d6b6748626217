"""Which station sockets live here, and their registration in the cluster (interface.md §2.6, §2.8;
design.md §4 step 2, §5 step 8).

A new connection always wins: it claims a fresh epoch, and the older socket is closed with 1000
"Replaced by a newer connection", here or on its instance through an evict message. Releases are
epoch-checked, so a replaced socket's late close handler changes nothing, and a station that
reconnects many times a second is served every time. The owner refreshes each registration; a
refresh that fails means another instance took the station over, and the stale socket is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from tourmaline.clock import Clock
from tourmaline.cluster.broker import Broker, Message
from tourmaline.cluster.registry import Claim, Registry
from tourmaline.cluster.rpc import ClusterRpc, Replier, RpcError
from tourmaline.cluster.tasks import TaskSupervisor
from tourmaline.metrics import CONNECTED_STATIONS, STATION_REPLACEMENTS
from tourmaline.services.redaction import redact_record
from tourmaline.transport.ports import CallOutcomeName, FrameRecord, StationLink

__all__ = [
    "ADMIN_DISCONNECT_REASON",
    "REPLACED_REASON",
    "ConnectionEvents",
    "ConnectionManager",
    "FrameSink",
    "PresenceStore",
]

log = structlog.get_logger(__name__)

REPLACED_REASON = "Replaced by a newer connection"
ADMIN_DISCONNECT_REASON = "Disconnected by admin request"
NORMAL_CLOSURE = 1000
DEFAULT_REFRESH_INTERVAL = 30.0
# A remote disconnect is a quick local action on the other instance.
REMOTE_DISCONNECT_TIMEOUT = 5.0
# Replaced sockets get this long to finish their closing handshake when the manager stops.
CLOSE_GRACE = 2.0


class PresenceStore(Protocol):
    """The online flag of stations (StationService)."""

    def mark_online(self, station_id: str, protocol: str | None) -> None: ...

    def mark_offline(self, station_id: str) -> None: ...


class FrameSink(Protocol):
    """The batched message-log writer (MessageLogWriter)."""

    def add(self, record: FrameRecord) -> None: ...

    def touch(self, station_id: str, timestamp: datetime) -> None: ...

    def set_outcome(self, station_id: str, message_id: str, outcome: str) -> None: ...


class ConnectionEvents(Protocol):
    """Listener for webhooks (SubscriptionService); every method must return at once."""

    def connected(self, station_id: str) -> None: ...

    def closed(self, station_id: str) -> None: ...

    def frame(self, record: FrameRecord) -> None: ...


@dataclass(frozen=True, slots=True)
class _Registration:
    link: StationLink
    epoch: int


class ConnectionManager:
    """Implements transport.ports.ConnectionHooks; owns the instance's cluster rpc endpoint,
    on which CommandService registers its own request kind."""

    def __init__(
        self,
        *,
        instance_id: str,
        registry: Registry,
        broker: Broker,
        stations: PresenceStore,
        writer: FrameSink,
        clock: Clock,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        events: ConnectionEvents | None = None,
    ) -> None:
        self.instance_id = instance_id
        self.events = events
        self._registry = registry
        self._stations = stations
        self._writer = writer
        self._clock = clock
        self._refresh_interval = refresh_interval
        self._links: dict[str, _Registration] = {}
        self._tasks = TaskSupervisor("connections")
        self._refresher: asyncio.Task[None] | None = None
        self.rpc = ClusterRpc(broker, instance_id, service="commands")
        self.rpc.handle("evict", self._on_evict)
        self.rpc.handle("disconnect", self._on_disconnect)
        # Told of every newly registered connection (e.g. the network-profile upgrade check,
        # interface.md §7.4 setNetworkProfile); each must return at once.
        self.on_registered: list[Callable[[StationLink], None]] = []

    async def start(self) -> None:
        await self.rpc.start()
        self._refresher = asyncio.get_running_loop().create_task(
            self._refresh_forever(), name="connections:refresh"
        )

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
            self._refresher = None
        await self.rpc.stop()
        await self._tasks.close(grace=CLOSE_GRACE)

    # -- queries ------------------------------------------------------------------------------

    def local(self, station_id: str) -> StationLink | None:
        registration = self._links.get(station_id)
        return None if registration is None else registration.link

    def local_station_ids(self) -> list[str]:
        return list(self._links)

    async def remote_owner(self, station_id: str) -> str | None:
        """The other instance holding the station's socket, if any."""
        if station_id in self._links:
            return None
        ownership = await self._registry.owner(station_id)
        if ownership is None or ownership.instance_id == self.instance_id:
            return None
        return ownership.instance_id

    async def is_connected(self, station_id: str) -> bool:
        """Connected to any instance of the cluster."""
        return station_id in self._links or await self.remote_owner(station_id) is not None

    # -- ConnectionHooks ----------------------------------------------------------------------

    async def opened(self, link: StationLink) -> None:
        station_id = link.station_id
        claim = await self._registry.claim(station_id, self.instance_id)
        older = self._links.get(station_id)
        if older is not None and older.epoch > claim.epoch:
            # A newer connection of this station registered while this one awaited its claim.
            self._close_soon(link, REPLACED_REASON)
            return
        self._store(station_id, _Registration(link, claim.epoch))
        await self._replace_older(station_id, older, claim)
        self._stations.mark_online(station_id, link.subprotocol)
        await self._confirm(station_id, claim.epoch)
        if self.events is not None and station_id in self._links:
            self.events.connected(station_id)
        if station_id in self._links:
            self._announce(link)

    def _announce(self, link: StationLink) -> None:
        for listener in self.on_registered:
            try:
                listener(link)
            except Exception:
                log.exception("registration listener failed", station_id=link.station_id)

    async def _replace_older(
        self, station_id: str, older: _Registration | None, claim: Claim
    ) -> None:
        previous = claim.previous
        remote = None
        if previous is not None and previous.instance_id != self.instance_id:
            remote = previous.instance_id
        if older is None and remote is None:
            return
        if older is not None:
            self._close_soon(older.link, REPLACED_REASON)
        if remote is not None:
            await self._evict_remote(station_id, remote, claim.epoch)
        # interface.md §2.6: two live chargers sharing an id keep replacing each other.
        STATION_REPLACEMENTS.inc()
        log.warning(
            "station connection replaced by a newer one",
            station_id=station_id,
            previous_instance=remote or self.instance_id,
            epoch=claim.epoch,
        )

    async def closed(self, link: StationLink, code: int | None, reason: str) -> None:
        registration = self._links.get(link.station_id)
        if registration is None or registration.link is not link:
            # A replaced or already retired socket: its successor's registration stays.
            log.debug("late close of a retired connection", station_id=link.station_id, code=code)
            return
        await self._retire(link.station_id, registration)

    def frame(self, record: FrameRecord) -> None:
        # interface.md §5.3: a clear password never reaches the log or a webhook.
        record = redact_record(record)
        self._writer.add(record)
        if record.origin == "cs":
            self._writer.touch(record.station_id, record.timestamp)
        if self.events is not None:
            self.events.frame(record)

    def call_outcome(self, station_id: str, message_id: str, outcome: CallOutcomeName) -> None:
        self._writer.set_outcome(station_id, message_id, outcome)

    # -- administrative disconnect --------------------------------------------------------------

    async def disconnect(
        self, station_id: str, code: int = NORMAL_CLOSURE, reason: str = ADMIN_DISCONNECT_REASON
    ) -> bool:
        """Close the station's socket wherever it is; False when it is connected nowhere."""
        if await self._disconnect_local(station_id, code, reason):
            return True
        owner = await self.remote_owner(station_id)
        if owner is None:
            return False
        deadline = asyncio.get_running_loop().time() + REMOTE_DISCONNECT_TIMEOUT
        body = {"stationId": station_id, "code": code, "reason": reason}
        try:
            reply = await self.rpc.request(owner, "disconnect", body, deadline=deadline)
        except RpcError as error:
            log.warning("remote disconnect failed", station_id=station_id, error=str(error))
            return False
        return bool(reply.get("closed"))

    async def _disconnect_local(self, station_id: str, code: int, reason: str) -> bool:
        registration = self._links.get(station_id)
        if registration is None:
            return False
        # Retired first, so the station counts as disconnected as soon as this returns.
        await self._retire(station_id, registration)
        await registration.link.close(code, reason)
        return True

    async def _on_disconnect(self, body: Message, _: Replier) -> Message:
        station_id = str(body.get("stationId"))
        code = int(body.get("code", NORMAL_CLOSURE))
        reason = str(body.get("reason", ADMIN_DISCONNECT_REASON))
        return {"closed": await self._disconnect_local(station_id, code, reason)}

    # -- ownership ------------------------------------------------------------------------------

    def _store(self, station_id: str, registration: _Registration) -> None:
        if station_id not in self._links:
            CONNECTED_STATIONS.inc()
        self._links[station_id] = registration

    def _drop(self, station_id: str, registration: _Registration) -> bool:
        if self._links.get(station_id) is not registration:
            return False
        del self._links[station_id]
        CONNECTED_STATIONS.dec()
        if self.events is not None:
            self.events.closed(station_id)
        return True

    async def _retire(self, station_id: str, registration: _Registration) -> None:
        """The socket is gone for good: unregister it and, if no newer connection owns the
        station anywhere, mark it offline."""
        if not self._drop(station_id, registration):
            return
        try:
            released = await self._registry.release(
                station_id, self.instance_id, registration.epoch
            )
            orphaned = released or await self._registry.owner(station_id) is None
        except Exception:
            log.exception("registry release failed", station_id=station_id)
            orphaned = True
        if orphaned:
            self._stations.mark_offline(station_id)

    def _supersede(self, station_id: str, registration: _Registration) -> bool:
        """A newer connection owns the station: forget ours and close it, leaving the
        registration and the online flag to the newer one."""
        if not self._drop(station_id, registration):
            return False
        self._close_soon(registration.link, REPLACED_REASON)
        return True

    async def _confirm(self, station_id: str, epoch: int) -> None:
        # An evict sent while our claim was in flight found nothing to close; re-reading the
        # registry after storing closes that gap.
        ownership = await self._registry.owner(station_id)
        registration = self._links.get(station_id)
        if registration is None or registration.epoch != epoch:
            return
        if ownership is None or ownership != (self.instance_id, epoch):
            self._supersede(station_id, registration)

    async def _evict_remote(self, station_id: str, instance_id: str, epoch: int) -> None:
        try:
            await self.rpc.notify(instance_id, "evict", {"stationId": station_id, "epoch": epoch})
        except Exception:
            # The other instance's refresh fails on its own and closes the stale socket.
            log.exception("evict message not sent", station_id=station_id, to=instance_id)

    async def _on_evict(self, body: Message, _: Replier) -> Message:
        station_id = str(body.get("stationId"))
        newer_epoch = int(body.get("epoch", 0))
        registration = self._links.get(station_id)
        if registration is not None and registration.epoch < newer_epoch:
            log.info("connection evicted by a newer one elsewhere", station_id=station_id)
            self._supersede(station_id, registration)
        return {}

    def _close_soon(self, link: StationLink, reason: str) -> None:
        # Not awaited: the newcomer must not wait for the old socket's closing handshake.
        self._tasks.spawn(link.close(NORMAL_CLOSURE, reason), name=f"close:{link.station_id}")

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_interval)
            await self.refresh_all()

    async def refresh_all(self) -> None:
        """Extend every local registration's TTL; close those another instance took over."""
        for station_id, registration in list(self._links.items()):
            try:
                await self._refresh_one(station_id, registration)
            except Exception:
                # Registry unreachable: keep the socket; the TTL decides if this lasts too long.
                log.exception("registry refresh failed", station_id=station_id)

    async def _refresh_one(self, station_id: str, registration: _Registration) -> None:
        owned = await self._registry.refresh(station_id, self.instance_id, registration.epoch)
        if owned or not self._supersede(station_id, registration):
            return
        log.warning("registration lost; stale connection closed", station_id=station_id)
        if await self._registry.owner(station_id) is None:
            self._stations.mark_offline(station_id)
