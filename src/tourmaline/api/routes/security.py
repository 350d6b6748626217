"""`GET /data/reporting/securityEvent` and `GET /data/configuration/networkProfile` (interface.md
§11 block A, §7.4 `configuration/setNetworkProfile`). Both are Tourmaline's additions: CitrineOS
shows security events only through its GraphQL layer and keeps network profiles internal."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from tourmaline.api.deps import (
    LimitQuery,
    OffsetQuery,
    OptionalStationIdQuery,
    SecurityDep,
    TenantDep,
)
from tourmaline.api.routes.certificates import KnownStationId
from tourmaline.api.schemas import BAD_REQUEST, NOT_FOUND
from tourmaline.api.timestamps import RFC3339_HELP, parse_instant
from tourmaline.services.security_events import SecurityEventFilter

__all__ = ["router"]

router = APIRouter(responses=BAD_REQUEST)


@router.get(
    "/data/reporting/securityEvent", tags=["reporting"], summary="Security events, newest first"
)
async def get_security_events(
    security: SecurityDep,
    _: TenantDep,
    station_id: OptionalStationIdQuery = None,
    event_type: Annotated[str | None, Query(alias="type", max_length=50)] = None,
    origin: Annotated[
        Literal["cs", "csms"] | None,
        Query(description="cs: SecurityEventNotification; csms: noticed by Tourmaline"),
    ] = None,
    since: Annotated[str | None, Query(alias="from", description=RFC3339_HELP)] = None,
    until: Annotated[str | None, Query(alias="to", description=RFC3339_HELP)] = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> list[dict[str, Any]]:
    where = SecurityEventFilter(
        station_id=station_id,
        type=event_type,
        origin=origin,
        since=parse_instant("from", since),
        until=parse_instant("to", until),
        limit=limit,
        offset=offset,
    )
    return await security.events.search(where)


@router.get(
    "/data/configuration/networkProfile",
    tags=["configuration"],
    responses=NOT_FOUND,
    summary="SetNetworkProfile requests sent to a station, newest first",
)
async def get_network_profiles(
    security: SecurityDep,
    station_id: KnownStationId,
    _: TenantDep,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> list[dict[str, Any]]:
    """`connectionData` without its APN and VPN passwords; `status` is the station's answer;
    `appliedAt` is when a connection on the slot's listener raised `minSecurityProfile`."""
    return await security.network_profiles.search(station_id, limit=limit, offset=offset)
