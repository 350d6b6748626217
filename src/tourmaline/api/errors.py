"""REST errors and the JSON error body of interface.md §0.

Every failure the API reports, including the ones FastAPI and Starlette raise themselves, leaves as

    {"statusCode": 404, "error": "Not Found", "code": "station_not_found",
     "message": "…", "details": …}

The first three names are fastify's (CitrineOS clients read them); `code` is a stable snake_case
string; `details` is present only when there is something to list.

    ApiError
    ├── BadRequest            400 bad_request
    │   ├── ValidationFailed  400 validation_failed (one details entry per failing path)
    │   └── MalformedJson     400 malformed_json
    ├── NotFound             404 not_found
    │   ├── RouteNotFound      404 route_not_found
    │   ├── StationNotFound    404 station_not_found
    │   ├── StationNotConnected 404 station_not_connected
    │   └── UnknownTenant      404 unknown_tenant
    ├── MethodNotAllowed      405 method_not_allowed
    ├── UnsupportedMediaType  415 unsupported_media_type
    ├── Conflict              409 conflict
    ├── BadGateway            502 bad_gateway
    ├── ServiceUnavailable    503 service_unavailable
    ├── GatewayTimeout        504 gateway_timeout
    └── InternalError         500 internal_error
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

__all__ = [
    "ApiError",
    "BadGateway",
    "BadRequest",
    "Conflict",
    "GatewayTimeout",
    "InternalError",
    "MalformedJson",
    "MethodNotAllowed",
    "NotFound",
    "RouteNotFound",
    "ServiceUnavailable",
    "StationNotConnected",
    "StationNotFound",
    "UnknownTenant",
    "UnsupportedMediaType",
    "ValidationFailed",
    "error_body",
]


def error_body(
    status_code: int, code: str, message: str, details: Any | None = None
) -> dict[str, Any]:
    """The interface.md §0 body; `error` is the HTTP reason phrase, as fastify sends it."""
    body: dict[str, Any] = {
        "statusCode": status_code,
        "error": HTTPStatus(status_code).phrase,
        "code": code,
        "message": message,
    }
    if details is not None:
        body["details"] = details
    return body


class ApiError(Exception):
    """Base of every error a route raises on purpose; the handler in app.py renders the body."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = dict(headers or {})
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return error_body(self.status_code, self.code, self.message, self.details)


class BadRequest(ApiError):
    status_code = 400
    code = "bad_request"
    default_message = "Bad request"


class ValidationFailed(BadRequest):
    """Strict validation failure (interface.md §0): `details` is a list of {path, message, type}."""

    code = "validation_failed"
    default_message = "Request validation failed"

    def __init__(self, failures: Sequence[Mapping[str, Any]], message: str | None = None) -> None:
        super().__init__(message, details=[dict(failure) for failure in failures])


class MalformedJson(BadRequest):
    code = "malformed_json"
    default_message = "Request body is not valid JSON"


class NotFound(ApiError):
    status_code = 404
    code = "not_found"
    default_message = "Not found"


class RouteNotFound(NotFound):
    code = "route_not_found"
    default_message = "Route not found"


class StationNotFound(NotFound):
    code = "station_not_found"

    def __init__(self, station_id: str) -> None:
        super().__init__(f"Charging station {station_id} not found")


class StationNotConnected(NotFound):
    code = "station_not_connected"

    def __init__(self, station_id: str) -> None:
        super().__init__(f"Charging station {station_id} is not connected")


class UnknownTenant(NotFound):
    """Tourmaline is single-tenant (interface.md §0): only tenant 1 exists."""

    code = "unknown_tenant"

    def __init__(self, tenant_id: object) -> None:
        super().__init__(f"Unknown tenant {tenant_id}")


class MethodNotAllowed(ApiError):
    status_code = 405
    code = "method_not_allowed"
    default_message = "Method not allowed"


class UnsupportedMediaType(ApiError):
    """A body that is not `application/json`; fastify (CitrineOS) answers 415 too."""

    status_code = 415
    code = "unsupported_media_type"
    default_message = "Request bodies must be sent as application/json"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"
    default_message = "Conflict"


class BadGateway(ApiError):
    status_code = 502
    code = "bad_gateway"
    default_message = "The charging station answered with an error"


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "service_unavailable"
    default_message = "Service unavailable"


class GatewayTimeout(ApiError):
    status_code = 504
    code = "gateway_timeout"
    default_message = "The charging station did not answer in time"


class InternalError(ApiError):
    pass
