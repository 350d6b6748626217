"""`/data/configuration/boot` and `/data/configuration/chargingStation` (interface.md §8.2, §8.3).

The boot routes are CitrineOS's, so an empty lookup answers 200 `null`; the chargingStation
routes are Tourmaline's additions and answer 404 instead (interface.md §0).
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request

from tourmaline.api.deps import (
    BootsDep,
    ConnectionsDep,
    LimitQuery,
    OffsetQuery,
    OptionalOnlineQuery,
    OptionalStationIdQuery,
    StationIdQuery,
    StationsDep,
    TenantDep,
)
from tourmaline.api.errors import StationNotFound
from tourmaline.api.schemas import BAD_REQUEST, NOT_FOUND
from tourmaline.api.strict import strict_body
from tourmaline.services.boot import BootView, BootWrite
from tourmaline.services.station_setup import delete_station
from tourmaline.services.stations import StationDetailView, StationView, StationWrite

__all__ = ["router"]

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/data/configuration", tags=["configuration"], responses=BAD_REQUEST)


@router.put("/boot", response_model=BootView, summary="Store the boot record for a station")
async def put_boot(
    request: Request, body: BootWrite, boots: BootsDep, station_id: StationIdQuery, _: TenantDep
) -> BootView:
    write = await strict_body(request, BootWrite)
    return await boots.put(station_id, write)


@router.get("/boot", response_model=BootView | None, summary="The boot record, or null")
async def get_boot(boots: BootsDep, station_id: StationIdQuery, _: TenantDep) -> BootView | None:
    return await boots.get(station_id)


@router.delete("/boot", response_model=BootView | None, summary="Delete the boot record")
async def delete_boot(boots: BootsDep, station_id: StationIdQuery, _: TenantDep) -> BootView | None:
    return await boots.delete(station_id)


@router.get(
    "/chargingStation",
    response_model=StationDetailView | list[StationView],
    responses=NOT_FOUND,
    summary="One station (with stationId) or a page of stations",
)
async def get_charging_station(
    stations: StationsDep,
    _: TenantDep,
    station_id: OptionalStationIdQuery = None,
    is_online: OptionalOnlineQuery = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> StationDetailView | list[StationView]:
    if station_id is None:
        return await stations.list(is_online=is_online, limit=limit, offset=offset)
    view = await stations.get(station_id)
    if view is None:
        raise StationNotFound(station_id)
    return view


@router.put(
    "/chargingStation",
    response_model=StationView,
    summary="Create or update a station's writable fields",
)
async def put_charging_station(
    request: Request,
    body: StationWrite,
    stations: StationsDep,
    station_id: StationIdQuery,
    _: TenantDep,
) -> StationView:
    write = await strict_body(request, StationWrite)
    return await stations.upsert(station_id, write)


@router.delete(
    "/chargingStation",
    response_model=StationView,
    responses=NOT_FOUND,
    summary="Delete a station and close its connection",
)
async def delete_charging_station(
    stations: StationsDep, connections: ConnectionsDep, station_id: StationIdQuery, _: TenantDep
) -> StationView:
    deleted = await delete_station(stations, connections, station_id)
    if deleted is None:
        raise StationNotFound(station_id)
    closed = deleted.connection_closed
    log.info("api.station_deleted", station_id=station_id, connection_closed=closed)
    return deleted.station
