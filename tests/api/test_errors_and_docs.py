"""Error bodies for everything FastAPI and Starlette would answer on their own, the offline
docs, the OpenAPI document and CORS (interface.md §0, §1, §8.4)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from tourmaline.api.app import create_api
from tourmaline.api.deps import ApiDeps
from tourmaline.db.engine import make_sessionmaker
from tourmaline.ocpp.v201.actions import message_api_routes
from tourmaline.services.boot import BootService

from .conftest import FixedClock, error_of

pytestmark = pytest.mark.usefixtures("deps")


async def test_unknown_route_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/data/nothing/here")
    assert response.status_code == 404
    assert error_of(response) == {
        "statusCode": 404,
        "error": "Not Found",
        "code": "route_not_found",
        "message": "Route GET:/data/nothing/here not found",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/data/configuration/serverNetworkProfile"),
        ("DELETE", "/data/configuration/serverNetworkProfile"),
        ("GET", "/data/ocpprouter/websocket"),
        ("POST", "/data/ocpprouter/websocket"),
        ("PUT", "/data/ocpprouter/websocketMapping"),
        ("POST", "/data/tenant/tenant"),
        ("GET", "/data/certificates/tlsCertificates"),
    ],
)
async def test_citrineos_routes_tourmaline_leaves_out_are_404(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, params={"stationId": "cp1"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "route_not_found"


async def test_wrong_method_is_a_json_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.post("/data/configuration/boot", params={"stationId": "cp1"})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"PUT", "GET", "DELETE"}


async def test_malformed_json_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/data/configuration/boot",
        params={"stationId": "cp1"},
        content=b'{"status": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_json"


async def test_unexpected_exception_is_a_generic_500(deps: ApiDeps, tmp_path: Path) -> None:
    # A database without tables: every query fails inside the service.
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    broken = BootService(make_sessionmaker(engine), FixedClock(), deps.settings.ocpp)
    app = create_api(ApiDeps(**{**vars(deps), "boots": broken}))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            response = await client.get("/data/configuration/boot", params={"stationId": "cp1"})
    finally:
        await engine.dispose()
    assert response.status_code == 500
    assert error_of(response) == {
        "statusCode": 500,
        "error": "Internal Server Error",
        "code": "internal_error",
        "message": "Internal server error",
    }


async def test_docs_page_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", response.text)
    assert sorted(urls) == [
        "/docs/static/favicon.png",
        "/docs/static/swagger-ui-bundle.js",
        "/docs/static/swagger-ui.css",
    ]
    assert "http://" not in response.text
    assert "https://" not in response.text


async def test_redoc_page_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/redoc")
    assert response.status_code == 200
    assert "https://" not in response.text
    assert "/docs/static/redoc.standalone.js" in response.text


@pytest.mark.parametrize(
    ("asset", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "text/javascript"),
        ("favicon.png", "image/png"),
    ],
)
async def test_docs_assets_are_served_locally(
    client: httpx.AsyncClient, asset: str, content_type: str
) -> None:
    response = await client.get(f"/docs/static/{asset}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == content_type
    assert len(response.content) > 1000


async def test_missing_asset_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/static/nothing.js")
    assert response.status_code == 404
    error_of(response)


async def test_openapi_is_served_at_both_paths(client: httpx.AsyncClient) -> None:
    citrine = await client.get("/docs/json")
    fastapi_path = await client.get("/openapi.json")
    assert citrine.status_code == fastapi_path.status_code == 200
    assert citrine.json() == fastapi_path.json()
    assert citrine.json()["info"]["title"] == "Tourmaline"


async def test_openapi_never_mentions_422(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert operations
    assert all("422" not in op["responses"] for op in operations)
    boot_put = document["paths"]["/data/configuration/boot"]["put"]
    assert boot_put["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]


async def test_documented_paths_are_exactly_the_implemented_ones(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    message_api = {f"/ocpp/2.0.1/{module}/{path}" for module, path, _ in message_api_routes()}
    assert message_api <= set(document["paths"])
    assert set(document["paths"]) - message_api == {
        "/health",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/data/configuration/boot",
        "/data/configuration/chargingStation",
        "/data/configuration/password",
        "/data/monitoring/variableAttribute",
        "/data/ocpprouter/connection",
        "/data/ocpprouter/messages",
        "/data/ocpprouter/subscription",
        "/data/evdriver/authorization",
        "/data/evdriver/authorizationRestrictions",
        "/data/evdriver/localListVersion",
        "/data/evdriver/reservation",
        "/data/certificates/installedCertificates",
        "/data/certificates/signingRequests",
        "/data/certificates/certificateOperations",
        "/data/reporting/securityEvent",
        "/data/configuration/networkProfile",
        "/data/transactions/transaction",
        "/data/transactions/transactions",
        "/data/transactions/meterValues",
        "/data/transactions/tariff",
        "/data/transactions/remoteRequests",
    }


async def test_cors_preflight_allows_any_origin(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/data/configuration/boot",
        headers={"Origin": "http://ui.example", "Access-Control-Request-Method": "DELETE"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    methods = response.headers["access-control-allow-methods"].replace(" ", "").split(",")
    assert set(methods) == {"GET", "POST", "PUT", "DELETE", "OPTIONS"}


async def test_cors_headers_on_an_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/nothing", headers={"Origin": "http://ui.example"})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == "*"


async def test_cors_allow_list_is_configurable(deps: ApiDeps) -> None:
    settings = deps.settings.model_copy(
        update={"api": deps.settings.api.model_copy(update={"cors_origins": ["http://ok"]})}
    )
    app: FastAPI = create_api(ApiDeps(**{**vars(deps), "settings": settings}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        allowed = await c.get("/health", headers={"Origin": "http://ok"})
        refused = await c.get("/health", headers={"Origin": "http://evil"})
    assert allowed.headers["access-control-allow-origin"] == "http://ok"
    assert "access-control-allow-origin" not in refused.headers


async def test_a_body_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/data/configuration/boot",
        params={"stationId": "cp1"},
        content=b"status=Accepted",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
