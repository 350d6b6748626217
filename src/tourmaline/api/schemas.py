"""API-only models: the error body and the health answers.

The entity DTOs (StationView, BootView, …) belong to the services and are used as bodies directly;
only what exists purely because of HTTP lives here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BAD_REQUEST",
    "NOT_FOUND",
    "ErrorBody",
    "ErrorDetail",
    "HealthStatus",
]


class ErrorDetail(BaseModel):
    """One failing location of a `validation_failed` error."""

    path: str = Field(examples=["query.stationId", "body.statusInfo.reasonCode"])
    message: str
    type: str = Field(examples=["missing", "string_too_long", "extra_forbidden"])


class ErrorBody(BaseModel):
    """interface.md §0: fastify's three fields plus a stable `code` and optional `details`."""

    model_config = ConfigDict(populate_by_name=True)

    status_code: int = Field(alias="statusCode", examples=[404])
    error: str = Field(examples=["Not Found"])
    code: str = Field(examples=["station_not_found"])
    message: str
    details: list[ErrorDetail] | Any | None = None


def _documented(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


BAD_REQUEST: dict[int | str, dict[str, Any]] = {400: _documented("Validation failed")}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _documented("Not found")}


class HealthStatus(BaseModel):
    status: Literal["healthy", "alive", "ready"]
