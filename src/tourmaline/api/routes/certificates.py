"""`/data/certificates/…`: what Tourmaline knows of each station's certificates (interface.md
§7.4 `certificates/*`, §11 blocks A and M). These routes are Tourmaline's additions; CitrineOS's
certificate data routes (`tlsCertificates`, `certificateChain`, `rootCertificate`, …) stay 404
(interface.md §8.4)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from tourmaline.api.deps import (
    LimitQuery,
    OffsetQuery,
    SecurityDep,
    StationIdQuery,
    StationsDep,
    TenantDep,
)
from tourmaline.api.errors import StationNotFound
from tourmaline.api.schemas import BAD_REQUEST, NOT_FOUND

__all__ = ["KnownStationId", "router"]

router = APIRouter(
    prefix="/data/certificates", tags=["certificates"], responses={**BAD_REQUEST, **NOT_FOUND}
)


async def _known_station(stations: StationsDep, station_id: StationIdQuery) -> str:
    """404 `station_not_found` for a station without a record (a typo, not an empty list)."""
    if not await stations.exists(station_id):
        raise StationNotFound(station_id)
    return station_id


KnownStationId = Annotated[str, Depends(_known_station)]


@router.get("/installedCertificates", summary="The certificates a station holds, as last known")
async def get_installed_certificates(
    security: SecurityDep, station_id: KnownStationId, _: TenantDep
) -> list[dict[str, Any]]:
    """From GetInstalledCertificateIds answers (`source: reported`) and Accepted
    InstallCertificate calls (`source: installed`); an Accepted DeleteCertificate removes one."""
    return await security.installed.installed(station_id)


@router.get("/signingRequests", summary="A station's SignCertificate requests, newest first")
async def get_signing_requests(
    security: SecurityDep,
    station_id: KnownStationId,
    _: TenantDep,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> list[dict[str, Any]]:
    """`status`: pending, refused (with `reason`), signed, then accepted / rejected (the
    station's CertificateSigned answer) or undelivered."""
    return await security.signing.search(station_id, limit=limit, offset=offset)


@router.get("/certificateOperations", summary="InstallCertificate and DeleteCertificate attempts")
async def get_certificate_operations(
    security: SecurityDep,
    station_id: KnownStationId,
    _: TenantDep,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> list[dict[str, Any]]:
    """Newest first; `status` is the station's answer, absent while none arrived."""
    return await security.installed.operations(station_id, limit=limit, offset=offset)
