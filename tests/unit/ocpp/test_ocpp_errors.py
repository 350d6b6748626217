"""The OcppError tree: codes, frames, legacy spellings."""

from __future__ import annotations

import pytest

from tourmaline.ocpp import errors
from tourmaline.ocpp.rpc import CallError

# OCPP-J 2.0.1 Part 4 §4.3, the complete list.
CODES = {
    "FormatViolation",
    "GenericError",
    "InternalError",
    "MessageTypeNotSupported",
    "NotImplemented",
    "NotSupported",
    "OccurrenceConstraintViolation",
    "PropertyConstraintViolation",
    "ProtocolError",
    "RpcFrameworkError",
    "SecurityError",
    "TypeConstraintViolation",
}


def test_one_class_per_code() -> None:
    assert set(errors.ERROR_CLASSES) == CODES
    for code, cls in errors.ERROR_CLASSES.items():
        assert issubclass(cls, errors.OcppError)
        assert cls.code == code


def test_not_implemented_does_not_shadow_the_builtin() -> None:
    assert errors.ActionNotImplemented.code == "NotImplemented"
    assert not hasattr(errors, "NotImplemented") or errors.NotImplemented is NotImplemented


def test_to_frame_uses_the_given_id_then_its_own_then_minus_one() -> None:
    error = errors.SecurityError("Action Heartbeat not allowed", details={"a": 1}, message_id="m")
    assert error.to_frame("x") == CallError(
        "x", "SecurityError", "Action Heartbeat not allowed", {"a": 1}
    )
    assert error.to_frame().message_id == "m"
    assert errors.InternalError().to_frame().message_id == "-1"


def test_description_defaults_and_is_cut_to_255_characters() -> None:
    assert errors.RpcFrameworkError().description == "Invalid OCPP-J frame"
    assert len(errors.GenericError("x" * 1000).to_frame().description) == 255
    assert errors.GenericError().to_frame().details == {}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("FormationViolation", "FormatViolation"),
        ("OccurenceConstraintViolation", "OccurrenceConstraintViolation"),
        ("FormatViolation", "FormatViolation"),
        ("NotImplemented", "NotImplemented"),
        ("Bogus", None),
        ("formatviolation", None),
    ],
)
def test_code_from_name_accepts_the_16_spellings(name: str, code: str | None) -> None:
    assert errors.code_from_name(name) == code


def test_error_class_for_falls_back_to_generic_error() -> None:
    assert errors.error_class_for("FormationViolation") is errors.FormatViolation
    assert errors.error_class_for("Bogus") is errors.GenericError
