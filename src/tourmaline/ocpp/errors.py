"""OCPP 2.0.1 RPC errors (OCPP-J Part 4 §4.3), one class per error code.

The tree:

* OcppError
  + FormatViolation
  + GenericError
  + InternalError
  + MessageTypeNotSupported
  + ActionNotImplemented             (code "NotImplemented")
  + NotSupported
  + OccurrenceConstraintViolation
  + PropertyConstraintViolation
  + ProtocolError
  + RpcFrameworkError
  + SecurityError
  + TypeConstraintViolation

Raising one of these anywhere on the path of an inbound CALL turns into the CALLERROR built by
`to_frame()`. Descriptions are generic by design: they never echo payload text (ocpp-rules §2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from tourmaline.ocpp.rpc import CallError

__all__ = [
    "ERROR_CLASSES",
    "ActionNotImplemented",
    "FormatViolation",
    "GenericError",
    "InternalError",
    "MessageTypeNotSupported",
    "NotSupported",
    "OccurrenceConstraintViolation",
    "OcppError",
    "PropertyConstraintViolation",
    "ProtocolError",
    "RpcFrameworkError",
    "SecurityError",
    "TypeConstraintViolation",
    "code_from_name",
    "error_class_for",
]

# OCPP-J 4.3: errorDescription is at most 255 characters.
MAX_DESCRIPTION_LENGTH = 255
UNKNOWN_MESSAGE_ID = "-1"


class OcppError(Exception):
    """Base of every OCPP RPC error; `code` is the errorCode put on the wire."""

    code: ClassVar[str] = "GenericError"
    default_description: ClassVar[str] = "Generic error"

    def __init__(
        self,
        description: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        message_id: str | None = None,
    ) -> None:
        text = self.default_description if description is None else description
        self.description = text[:MAX_DESCRIPTION_LENGTH]
        self.details: dict[str, Any] = {} if details is None else details
        self.message_id = message_id
        super().__init__(self.description)

    def to_frame(self, message_id: str | None = None) -> CallError:
        """The CALLERROR answering `message_id` (else this error's id, else "-1")."""
        # rpc.py raises these errors, so the frame class is imported late to avoid a cycle.
        from tourmaline.ocpp.rpc import CallError

        chosen = message_id if message_id is not None else self.message_id
        return CallError(
            message_id=UNKNOWN_MESSAGE_ID if chosen is None else chosen,
            code=self.code,
            description=self.description,
            details=self.details,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r}, message_id={self.message_id!r})"


class FormatViolation(OcppError):
    code = "FormatViolation"
    default_description = "Payload does not conform to the schema"


class GenericError(OcppError):
    code = "GenericError"
    default_description = "Generic error"


class InternalError(OcppError):
    code = "InternalError"
    default_description = "Internal error"


class MessageTypeNotSupported(OcppError):
    code = "MessageTypeNotSupported"
    default_description = "Message type not supported"


class ActionNotImplemented(OcppError):
    code = "NotImplemented"
    default_description = "Action is not an OCPP 2.0.1 action"


class NotSupported(OcppError):
    code = "NotSupported"
    default_description = "Action not supported"


class OccurrenceConstraintViolation(OcppError):
    code = "OccurrenceConstraintViolation"
    default_description = "Occurrence constraint violated"


class PropertyConstraintViolation(OcppError):
    code = "PropertyConstraintViolation"
    default_description = "Property constraint violated"


class ProtocolError(OcppError):
    code = "ProtocolError"
    default_description = "Payload is incomplete"


class RpcFrameworkError(OcppError):
    code = "RpcFrameworkError"
    default_description = "Invalid OCPP-J frame"


class SecurityError(OcppError):
    code = "SecurityError"
    default_description = "Not allowed for security reasons"


class TypeConstraintViolation(OcppError):
    code = "TypeConstraintViolation"
    default_description = "Type constraint violated"


ERROR_CLASSES: dict[str, type[OcppError]] = {
    cls.code: cls
    for cls in (
        FormatViolation,
        GenericError,
        InternalError,
        MessageTypeNotSupported,
        ActionNotImplemented,
        NotSupported,
        OccurrenceConstraintViolation,
        PropertyConstraintViolation,
        ProtocolError,
        RpcFrameworkError,
        SecurityError,
        TypeConstraintViolation,
    )
}

# OCPP-J 1.6 spells two codes differently; stations of either version may send either spelling,
# so both are accepted when reading (ocpp-rules §2.3).
_LEGACY_SPELLINGS = {
    "FormationViolation": "FormatViolation",
    "OccurenceConstraintViolation": "OccurrenceConstraintViolation",
}


def code_from_name(name: str) -> str | None:
    """The 2.0.1 error code a station meant by `name`, or None when it is no OCPP code."""
    code = _LEGACY_SPELLINGS.get(name, name)
    return code if code in ERROR_CLASSES else None


def error_class_for(name: str) -> type[OcppError]:
    """The error class for a received code; unknown codes read as GenericError."""
    code = code_from_name(name)
    return GenericError if code is None else ERROR_CLASSES[code]
