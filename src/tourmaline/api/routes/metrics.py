"""`/metrics`: prometheus_client's default registry in the text exposition format.

One process per instance, so no multiprocess collector is needed (design.md §9).
"""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.responses import Response

__all__ = ["router"]

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Metrics"}},
)
def metrics() -> Response:
    # A sync route: FastAPI runs it in the thread pool, so collection never blocks the loop.
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
