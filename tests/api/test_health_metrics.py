"""Health probes and Prometheus metrics (interface.md §1)."""

from __future__ import annotations

import httpx

from .conftest import Readiness, error_of


async def test_health_is_citrineos_compatible(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


async def test_liveness(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_readiness_when_ready(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_readiness_when_not_ready(client: httpx.AsyncClient, readiness: Readiness) -> None:
    readiness.ready = False
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert error_of(response)["code"] == "service_unavailable"
    assert response.headers["retry-after"] == "1"


async def test_readiness_check_that_raises_is_not_ready(
    client: httpx.AsyncClient, readiness: Readiness
) -> None:
    readiness.error = ConnectionRefusedError("database down")
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert "database down" not in response.text


async def test_metrics_in_prometheus_text_format(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE python_info gauge" in response.text
