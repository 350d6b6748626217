"""The ApiError tree renders the interface.md §0 body; pure, no app."""

from __future__ import annotations

import pytest

from tourmaline.api.errors import (
    ApiError,
    BadGateway,
    Conflict,
    GatewayTimeout,
    StationNotConnected,
    StationNotFound,
    UnknownTenant,
    ValidationFailed,
    error_body,
)
from tourmaline.api.exception_handlers import validation_error


def test_error_body_leaves_out_empty_details() -> None:
    assert error_body(409, "conflict", "busy") == {
        "statusCode": 409,
        "error": "Conflict",
        "code": "conflict",
        "message": "busy",
    }


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (StationNotFound("cp1"), 404, "station_not_found"),
        (StationNotConnected("cp1"), 404, "station_not_connected"),
        (UnknownTenant(3), 404, "unknown_tenant"),
        (Conflict(), 409, "conflict"),
        (BadGateway(), 502, "bad_gateway"),
        (GatewayTimeout(), 504, "gateway_timeout"),
        (ApiError(), 500, "internal_error"),
    ],
)
def test_each_error_has_its_status_and_code(error: ApiError, status: int, code: str) -> None:
    body = error.body()
    assert (body["statusCode"], body["code"]) == (status, code)
    assert "details" not in body


def test_validation_failures_list_paths_without_input_values() -> None:
    error = validation_error(
        [
            {"loc": ("body", "setVariableIds", 2), "msg": "bad", "type": "int_type", "input": "x"},
            {"loc": ("query", "stationId"), "msg": "Field required", "type": "missing"},
        ]
    )
    assert isinstance(error, ValidationFailed)
    assert error.body()["details"] == [
        {"path": "body.setVariableIds[2]", "message": "bad", "type": "int_type"},
        {"path": "query.stationId", "message": "Field required", "type": "missing"},
    ]


def test_a_json_decode_failure_is_malformed_json() -> None:
    error = validation_error(
        [{"loc": ("body", 3), "msg": "JSON decode error", "type": "json_invalid"}]
    )
    assert (error.status_code, error.code) == (400, "malformed_json")
