"""Health probes (interface.md §1): CitrineOS's `/health`, plus liveness and readiness.

`/health` and `/health/live` only prove the event loop answers; `/health/ready` asks the runtime
(database, broker, listeners bound, migrations at head) and is what load balancers should use.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter

from tourmaline.api.deps import DepsDep
from tourmaline.api.errors import ServiceUnavailable
from tourmaline.api.schemas import ErrorBody, HealthStatus

__all__ = ["router"]

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/health", tags=["health"])


@router.get("", response_model=HealthStatus, summary="CitrineOS-compatible health check")
async def health() -> HealthStatus:
    return HealthStatus(status="healthy")


@router.get("/live", response_model=HealthStatus, summary="Liveness probe")
async def live() -> HealthStatus:
    return HealthStatus(status="alive")


@router.get(
    "/ready",
    response_model=HealthStatus,
    summary="Readiness probe",
    responses={503: {"model": ErrorBody, "description": "Not ready"}},
)
async def ready(deps: DepsDep) -> HealthStatus:
    if not await _is_ready(deps):
        raise ServiceUnavailable("Tourmaline is not ready", headers={"Retry-After": "1"})
    return HealthStatus(status="ready")


async def _is_ready(deps: DepsDep) -> bool:
    try:
        return await deps.ready()
    except Exception:
        # A probe that raises is a probe that failed; the orchestrator only needs the 503.
        log.exception("api.readiness_check_failed")
        return False
