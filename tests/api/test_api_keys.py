"""REST auth mode `api_key`: Bearer keys required everywhere but /health* and /docs*."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from pydantic import ValidationError

from tests.api.conftest import error_of
from tourmaline.api.app import create_api
from tourmaline.api.deps import ApiDeps
from tourmaline.settings import ApiSettings, Settings

KEY = "k3y-for-the-operator-console"


@pytest.fixture
async def protected(deps: ApiDeps) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(env="production", api={"auth": "api_key", "api_keys": [KEY, "other"]})
    app = create_api(replace(deps, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tourmaline") as client:
        yield client


async def test_requests_without_a_key_are_refused(protected: httpx.AsyncClient) -> None:
    response = await protected.get("/data/configuration/boot", params={"stationId": "cp1"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.parametrize("header", ["Bearer wrong", f"Basic {KEY}", "Bearer", KEY])
async def test_wrong_keys_and_schemes_are_refused(
    protected: httpx.AsyncClient, header: str
) -> None:
    response = await protected.get(
        "/data/configuration/boot", params={"stationId": "cp1"}, headers={"Authorization": header}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("key", [KEY, "other"])
async def test_each_configured_key_is_accepted(protected: httpx.AsyncClient, key: str) -> None:
    response = await protected.get(
        "/data/configuration/boot",
        params={"stationId": "cp1"},
        headers={"Authorization": f"bearer {key}"},
    )
    assert response.status_code == 200
    assert response.json() is None


@pytest.mark.parametrize(
    "path", ["/health", "/health/live", "/docs", "/docs/json", "/openapi.json"]
)
async def test_probes_and_docs_stay_open(protected: httpx.AsyncClient, path: str) -> None:
    assert (await protected.get(path)).status_code == 200


async def test_metrics_need_a_key(protected: httpx.AsyncClient) -> None:
    assert (await protected.get("/metrics")).status_code == 401


def test_api_key_mode_without_keys_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs at least one key"):
        ApiSettings(auth="api_key")


def test_no_auth_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="refused when env=production"):
        Settings(env="production")
