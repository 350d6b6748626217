"""Moving a station to a higher security profile (OCPP 2.0.1 A05 and B09, OCTT TC_A_19, TC_B_42/44;
interface.md §7.4 `configuration/setNetworkProfile`, §2.2 step 3).

`POST /ocpp/2.0.1/configuration/setNetworkProfile?websocketServerConfigId=<listener>` records the
profile (secrets masked) with the listener its slot points at before the call goes out, as
CitrineOS does: the CALLRESULT route sees only the request and the answer, not the query. The
answer completes the record. Once an Accepted profile exists, the station's first connection
on that listener (or, when no listener was named, on a listener of the profile's security
profile) raises the station's `minSecurityProfile` to that listener's profile; from then on the
handshake refuses it on lower-profile listeners with 401 (A05: no downgrade after an upgrade).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.cluster.tasks import TaskSupervisor
from tourmaline.db.models import ChargingStation, NetworkProfile
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.batching import Batcher
from tourmaline.services.record_views import iso_z, newest_first, with_present
from tourmaline.services.redaction import redact_connection_data

__all__ = ["NetworkProfileRequests", "NetworkProfileService", "RegisteredLink"]

log = structlog.get_logger(__name__)

ACTION = "SetNetworkProfile"


class ListenerLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def security_profile(self) -> int: ...


class RegisteredLink(Protocol):
    """What is read of a `transport.ports.StationLink` (handlers may not import the transport)."""

    @property
    def station_id(self) -> str: ...

    @property
    def listener(self) -> ListenerLike: ...


@dataclass(frozen=True, slots=True)
class _Arrival:
    station_id: str
    listener_id: str
    security_profile: int


class NetworkProfileService:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._tasks = TaskSupervisor("network-profiles")
        # A reconnect storm asks about hundreds of stations at once: one query for all of them.
        self._upgrade_lookup: Batcher[_Arrival, bool] = Batcher(
            self._has_upgrades, key=lambda arrival: arrival.station_id
        )

    async def stop(self) -> None:
        await self._tasks.close()

    @property
    def checks_running(self) -> int:
        """Upgrade checks of new connections still in progress."""
        return len(self._tasks)

    # -- the message API ----------------------------------------------------------------------

    async def record_requests(
        self, station_ids: Sequence[str], payload: JsonObject, listener_id: str | None
    ) -> list[int]:
        """One unanswered record per station, before the call is sent; their ids in order."""
        rows = [self._record(station_id, payload, listener_id) for station_id in station_ids]
        async with self._sessionmaker.begin() as session:
            session.add_all(rows)
            await session.flush()
            return [row.id for row in rows]

    def _record(
        self, station_id: str, payload: JsonObject, listener_id: str | None
    ) -> NetworkProfile:
        connection = payload.get("connectionData")
        connection = connection if isinstance(connection, dict) else {}
        return NetworkProfile(
            station_id=station_id,
            configuration_slot=int(payload.get("configurationSlot", 0)),
            listener_id=listener_id,
            security_profile=int(connection.get("securityProfile", 0)),
            connection_data=redact_connection_data(connection),
            requested_at=self._clock.now(),
        )

    async def discard(self, row_ids: Sequence[int]) -> None:
        """Forget records of calls that were never sent (station not connected, refused)."""
        if row_ids:
            async with self._sessionmaker.begin() as session:
                profile = NetworkProfile
                await session.execute(
                    delete(profile).where(profile.id.in_(row_ids), profile.status.is_(None))
                )

    # -- CALLRESULT route ------------------------------------------------------------------------

    async def on_answer(self, station_id: str, request: JsonObject, response: JsonObject) -> None:
        """The newest unanswered record of this slot takes the answer; a call sent another way
        (no record) gets a record without a listener."""
        slot = int(request.get("configurationSlot", 0))
        profile = NetworkProfile
        query = (
            select(profile)
            .where(
                profile.station_id == station_id,
                profile.configuration_slot == slot,
                profile.status.is_(None),
            )
            .order_by(profile.id.desc())
            .limit(1)
        )
        async with self._sessionmaker.begin() as session:
            row = await session.scalar(query)
            if row is None:
                row = self._record(station_id, request, None)
                session.add(row)
            row.status = str(response.get("status"))
            row.answered_at = self._clock.now()

    # -- the upgrade (ConnectionManager registration hook) ----------------------------------

    def registered(self, link: RegisteredLink) -> None:
        """A station connection was registered; must return at once."""
        profile = link.listener.security_profile
        if profile > 0:  # nothing is below profile 0: no minimum to raise
            arrival = _Arrival(link.station_id, link.listener.id, profile)
            self._tasks.spawn(self._arrived(arrival), name=f"network-profile:{link.station_id}")

    async def _arrived(self, arrival: _Arrival) -> None:
        if await self._upgrade_lookup.submit(arrival):
            await self.apply_upgrade(
                arrival.station_id, arrival.listener_id, arrival.security_profile
            )

    async def _has_upgrades(self, arrivals: builtins.list[_Arrival]) -> builtins.list[bool]:
        station_ids = {arrival.station_id for arrival in arrivals}
        async with self._sessionmaker() as session:
            rows = (await session.scalars(_accepted_unapplied(station_ids))).all()
        return [
            any(
                row.station_id == arrival.station_id
                and _links(row, arrival.listener_id, arrival.security_profile)
                for row in rows
            )
            for arrival in arrivals
        ]

    async def apply_upgrade(
        self, station_id: str, listener_id: str, security_profile: int
    ) -> int | None:
        """Raise the station's minimum to `security_profile` if an Accepted, not yet applied
        profile points at this listener; the new minimum, or None when nothing was raised."""
        now = self._clock.now()
        async with self._sessionmaker.begin() as session:
            rows = (await session.scalars(_accepted_unapplied({station_id}))).all()
            matching = [row for row in rows if _links(row, listener_id, security_profile)]
            station = await session.get(ChargingStation, station_id)
            if not matching or station is None:
                return None
            for row in matching:
                row.applied_at = now
            if security_profile <= station.min_security_profile:
                return None
            previous, station.min_security_profile = station.min_security_profile, security_profile
            station.updated_at = now
        log.info(
            "minimum security profile raised",
            station_id=station_id,
            listener=listener_id,
            previous=previous,
            minimum=security_profile,
        )
        return security_profile

    # -- queries -----------------------------------------------------------------------------

    async def search(
        self, station_id: str, *, limit: int = 100, offset: int = 0
    ) -> builtins.list[dict[str, Any]]:
        """The station's network profiles, newest first."""
        query = newest_first(NetworkProfile, station_id, limit=limit, offset=offset)
        async with self._sessionmaker() as session:
            return [_view(row) for row in await session.scalars(query)]


class NetworkProfileRequests:
    """The message API's bracket around one SetNetworkProfile send (api/routes/messages.py):
    record before, forget what could not be sent after."""

    def __init__(self, service: NetworkProfileService, listener_id: str | None) -> None:
        self._service = service
        self._listener_id = listener_id
        self._row_ids: list[int] = []

    async def before(self, identifiers: Sequence[str], payload: JsonObject) -> None:
        self._row_ids = await self._service.record_requests(identifiers, payload, self._listener_id)

    async def after(self, results: Sequence[Any]) -> None:
        # A call that got no message id never reached a station's queue.
        unsent = [
            row_id
            for row_id, result in zip(self._row_ids, results, strict=False)
            if getattr(result, "message_id", None) is None
        ]
        await self._service.discard(unsent)


def _accepted_unapplied(station_ids: set[str]) -> Any:
    profile = NetworkProfile
    return select(profile).where(
        profile.station_id.in_(station_ids),
        profile.status == "Accepted",
        profile.applied_at.is_(None),
    )


def _links(row: NetworkProfile, listener_id: str, security_profile: int) -> bool:
    if row.listener_id is not None:
        return row.listener_id == listener_id
    return row.security_profile == security_profile


def _view(row: NetworkProfile) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row.id,
        "stationId": row.station_id,
        "configurationSlot": row.configuration_slot,
        "securityProfile": row.security_profile,
        "connectionData": row.connection_data,
        "requestedAt": iso_z(row.requested_at),
    }
    optional = {
        "websocketServerConfigId": row.listener_id,
        "status": row.status,
        "answeredAt": row.answered_at,
        "appliedAt": row.applied_at,
    }
    return with_present(view, optional)
