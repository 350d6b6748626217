"""`create_api(deps)`: the REST application on :8080 (interface.md §0, §1, §8).

No global app and no I/O here: the runtime builds the services, passes them in and serves the
result with uvicorn; tests build as many apps as they like. Routers are listed explicitly.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware

from tourmaline import __version__
from tourmaline.api.auth import ApiKeyMiddleware
from tourmaline.api.deps import ApiDeps
from tourmaline.api.docs import install_docs
from tourmaline.api.exception_handlers import CatchAllMiddleware, install_exception_handlers
from tourmaline.api.routes import certificates as certificate_routes
from tourmaline.api.routes import configuration, health, metrics, ocpprouter
from tourmaline.api.routes import evdriver as evdriver_routes
from tourmaline.api.routes import message_log as message_log_routes
from tourmaline.api.routes import messages as message_routes
from tourmaline.api.routes import monitoring as monitoring_routes
from tourmaline.api.routes import password as password_routes
from tourmaline.api.routes import security as security_routes
from tourmaline.api.routes import subscriptions as subscription_routes
from tourmaline.api.routes import transactions as transaction_routes
from tourmaline.settings import ApiSettings
from tourmaline.ui.routes import install_console

__all__ = ["CORS_METHODS", "ApiDeps", "create_api"]

CORS_METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS"]

_DESCRIPTION = (
    "Tourmaline OCPP 2.0.1 CSMS. Routes follow CitrineOS v1.8.3; errors use the body "
    "`{statusCode, error, code, message, details?}` and validation failures answer 400."
)


# Matching order; each router's module owns its routes (design.md §2 `api/routes/`).
_ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        health,
        metrics,
        configuration,
        ocpprouter,
        message_routes,
        subscription_routes,
        message_log_routes,
        monitoring_routes,
        password_routes,
        evdriver_routes,
        certificate_routes,
        security_routes,
        transaction_routes,
    )
)


def create_api(deps: ApiDeps) -> FastAPI:
    app = FastAPI(
        title="Tourmaline",
        version=__version__,
        description=_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.deps = deps
    install_exception_handlers(app)
    install_docs(app)
    for router in _ROUTERS:
        # The route objects themselves, not `include_router`: FastAPI materialises an included
        # router again for every app on its first request (about 1.5 s for the message API's
        # routes), and every runtime and test builds an app of its own.
        app.router.routes.extend(router.routes)
    install_console(app)
    _add_middleware(app, deps.settings.api)
    return app


def _add_middleware(app: FastAPI, settings: ApiSettings) -> None:
    # Added innermost first: CORS wraps the catch-all, so even a 500 carries CORS headers.
    app.add_middleware(CatchAllMiddleware)
    if settings.auth == "api_key":
        keys = [key.get_secret_value() for key in settings.api_keys]
        app.add_middleware(ApiKeyMiddleware, keys=keys)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=CORS_METHODS,
        allow_headers=["*"],
    )
