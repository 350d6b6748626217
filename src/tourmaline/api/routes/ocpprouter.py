"""`/data/ocpprouter/connection` (interface.md §2.8, §8.2)."""

from __future__ import annotations

from typing import Literal

import structlog
from fastapi import APIRouter

from tourmaline.api.deps import ConnectionsDep, StationIdQuery, TenantDep
from tourmaline.api.errors import StationNotConnected
from tourmaline.api.schemas import BAD_REQUEST, NOT_FOUND
from tourmaline.services.connections import ADMIN_DISCONNECT_REASON

__all__ = ["router"]

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/data/ocpprouter", tags=["ocpprouter"], responses=BAD_REQUEST)


@router.delete(
    "/connection",
    response_model=Literal[True],
    responses=NOT_FOUND,
    summary="Close a station's WebSocket (1000) wherever it is connected",
)
async def delete_connection(
    connections: ConnectionsDep, station_id: StationIdQuery, _: TenantDep
) -> Literal[True]:
    if not await connections.disconnect(station_id, code=1000, reason=ADMIN_DISCONNECT_REASON):
        raise StationNotConnected(station_id)
    log.info("api.station_disconnected", station_id=station_id)
    return True
