"""Swagger UI, ReDoc and the OpenAPI document, served without any CDN (interface.md §1).

`/docs` is CitrineOS's Swagger UI path and `/docs/json` its OpenAPI path; `/openapi.json` is
FastAPI's usual one. The pages load the vendored assets from `/docs/static/`.

The document is post-processed: FastAPI would advertise a 422 on every route with parameters,
but Tourmaline answers validation failures with 400 `validation_failed` (interface.md §0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, JSONResponse

__all__ = ["STATIC_DIR", "STATIC_URL", "install_docs"]

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/docs/static"
OPENAPI_URL = "/openapi.json"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

# validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
_SWAGGER_PARAMETERS: dict[str, Any] = {"validatorUrl": None, "tryItOutEnabled": True}


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _docs_router(app: FastAPI) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}{OPENAPI_URL}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            swagger_js_url=f"{root}{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            swagger_ui_parameters=_SWAGGER_PARAMETERS,
        )

    @router.get(OAUTH2_REDIRECT_URL)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @router.get("/docs/redoc")
    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_redoc_html(
            openapi_url=f"{root}{OPENAPI_URL}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )

    @router.get("/docs/json")
    @router.get(OPENAPI_URL)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    return router


def _without_fastapi_422(schema: dict[str, Any]) -> dict[str, Any]:
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
    schemas = schema.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return schema


def _openapi_builder(app: FastAPI) -> Any:
    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            app.openapi_schema = _without_fastapi_422(schema)
        return app.openapi_schema

    return build


def install_docs(app: FastAPI) -> None:
    """Expects an app built with docs_url, redoc_url and openapi_url all None."""
    app.openapi = _openapi_builder(app)  # type: ignore[method-assign]
    app.include_router(_docs_router(app))
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="docs-static")
