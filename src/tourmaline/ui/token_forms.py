"""The ID-token form: a stored token as form values, and the submitted form as the REST API's
write models (services/token_models.py `AuthorizationWrite`, `RestrictionsWrite`), validated
by those models in strict mode so the console and `PUT /data/evdriver/authorization*` apply the
same rules. Each model error is shown next to the field it concerns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel, ValidationError

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models.authorize import (
    AuthorizationStatusEnumType,
    MessageFormatEnumType,
)
from tourmaline.services.token_format import TOKEN_TYPES
from tourmaline.services.token_models import (
    AuthorizationView,
    AuthorizationWrite,
    RestrictionsWrite,
    compact,
    rfc3339,
)
from tourmaline.ui.forms import Form

__all__ = [
    "MESSAGE_FORMATS",
    "STATUSES",
    "TOKEN_TYPES",
    "TokenInput",
    "form_of",
    "read_token",
    "token_url",
]

STATUSES = tuple(status.value for status in AuthorizationStatusEnumType)
MESSAGE_FORMATS = tuple(kind.value for kind in MessageFormatEnumType)
ModelT = TypeVar("ModelT", bound=BaseModel)

# Where a model error is shown: the longest matching prefix of its location. IdTokenInfo's own
# check is about language2 (it needs language1 and must differ from it).
_FIELD_OF: dict[tuple[str | int, ...], str] = {
    ("idToken",): "id_token",
    ("idToken", "type"): "type",
    ("idTokenInfo",): "language2",
    ("idTokenInfo", "status"): "status",
    ("idTokenInfo", "cacheExpiryDateTime"): "cache_expiry",
    ("idTokenInfo", "chargingPriority"): "charging_priority",
    ("idTokenInfo", "language1"): "language1",
    ("idTokenInfo", "groupIdToken"): "group_id_token",
    ("idTokenInfo", "groupIdToken", "type"): "group_type",
    ("idTokenInfo", "personalMessage"): "message_content",
    ("idTokenInfo", "personalMessage", "format"): "message_format",
    ("idTokenInfo", "personalMessage", "language"): "message_language",
    ("allowedConnectorTypes",): "allowed_connector_types",
    ("disallowedEvseIdPrefixes",): "disallowed_evse_id_prefixes",
}


def token_url(id_token: str, token_type: str, action: str = "edit") -> str:
    return f"/ui/tokens/{action}?" + urlencode({"type": token_type, "id_token": id_token})


@dataclass(frozen=True, slots=True)
class TokenInput:
    token: AuthorizationWrite
    restrictions: RestrictionsWrite


def form_of(view: AuthorizationView) -> Form:
    """The stored token as the values of its edit form."""
    info = view.id_token_info
    group = info.get("groupIdToken") or {}
    message = info.get("personalMessage") or {}
    values = {
        "id_token": view.id_token["idToken"],
        "type": view.id_token["type"],
        "status": info["status"],
        "cache_expiry": _local(info.get("cacheExpiryDateTime")),
        "charging_priority": _text(info.get("chargingPriority")),
        "language1": info.get("language1", ""),
        "language2": info.get("language2", ""),
        "group_id_token": group.get("idToken", ""),
        "group_type": group.get("type", "Central"),
        "message_format": message.get("format", "UTF8"),
        "message_language": message.get("language", ""),
        "message_content": message.get("content", ""),
        "allowed_connector_types": ", ".join(view.allowed_connector_types or ()),
        "disallowed_evse_id_prefixes": ", ".join(view.disallowed_evse_id_prefixes or ()),
    }
    if view.concurrent_transaction:
        values["concurrent_transaction"] = "on"
    return Form(values.items())


def _local(moment: str | None) -> str:
    """An RFC 3339 UTC instant as a datetime-local value."""
    return "" if not moment else moment.removesuffix("Z")[:19]


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def read_token(
    form: Form, id_token: str, token_type: str, kept: AuthorizationView | None
) -> TokenInput | None:
    """The write models for the submitted form, or None with the problems in `form`.
    `kept` is the stored token, whose additionalInfo the form does not show and keeps."""
    token: JsonObject = {"idToken": id_token, "type": token_type}
    if kept is not None and "additionalInfo" in kept.id_token:
        token["additionalInfo"] = kept.id_token["additionalInfo"]
    body = {
        "idToken": token,
        "idTokenInfo": _info(form),
        "concurrentTransaction": form.flag("concurrent_transaction"),
    }
    restrictions = compact(
        {
            "allowedConnectorTypes": form.listed("allowed_connector_types"),
            "disallowedEvseIdPrefixes": form.listed("disallowed_evse_id_prefixes"),
        }
    )
    if not form.ok:
        return None
    write = _validated(form, AuthorizationWrite, body)
    limits = _validated(form, RestrictionsWrite, restrictions)
    if write is None or limits is None:
        return None
    return TokenInput(write, limits)


def _info(form: Form) -> JsonObject:
    group = form.text("group_id_token")
    content = form.text("message_content")
    message = {
        "format": form.values.get("message_format") or None,
        "language": form.text("message_language"),
        "content": content,
    }
    expiry = form.moment("cache_expiry")
    return compact(
        {
            "status": form.values.get("status") or None,
            "cacheExpiryDateTime": rfc3339(expiry),
            "chargingPriority": form.integer("charging_priority"),
            "language1": form.text("language1"),
            "language2": form.text("language2"),
            "groupIdToken": None if group is None else compact(
                {"idToken": group, "type": form.values.get("group_type") or None}
            ),
            "personalMessage": None if content is None else compact(message),
        }
    )  # fmt: skip


def _validated(form: Form, model: type[ModelT], body: dict[str, Any]) -> ModelT | None:
    try:
        return model.model_validate_json(json.dumps(body), strict=True)
    except ValidationError as error:
        for problem in error.errors():
            form.fail(_field(problem["loc"]), _message(problem))
        return None


def _field(location: tuple[str | int, ...]) -> str:
    for length in range(len(location), 0, -1):
        name = _FIELD_OF.get(location[:length])
        if name is not None:
            return name
    return "id_token"


def _message(problem: Any) -> str:
    if problem["type"] == "missing":
        return "Required."
    # The models' own texts, which name OCPP fields as the REST API's errors do.
    text = str(problem["msg"]).removeprefix("Value error, ")
    return text if text.endswith(".") else text + "."
