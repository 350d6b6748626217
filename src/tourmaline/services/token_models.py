"""The REST shapes of ID tokens (interface.md §8.2 `/data/evdriver/authorization*`) and the
OCPP wire form of a stored token's IdTokenInfo (§10.2).

Write models are strict (interface.md §0): OCPP enums and lengths, chargingPriority -9..9, and
the idToken format rules of `token_format.py`, for the token and for its groupIdToken.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, model_validator

from tourmaline.db.models import Authorization
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models.authorize import (
    AuthorizationStatusEnumType,
    IdTokenEnumType,
    MessageFormatEnumType,
)
from tourmaline.services.token_format import token_refusal

__all__ = [
    "AdditionalInfo",
    "AuthorizationView",
    "AuthorizationWrite",
    "IdTokenIn",
    "IdTokenInfoIn",
    "MessageContent",
    "RestrictionsWrite",
    "compact",
    "id_token_info_of",
    "rfc3339",
]

_STRICT = ConfigDict(populate_by_name=True, extra="forbid", strict=True)
Language = Annotated[str, Field(min_length=1, max_length=8)]
# Enums by value: a JSON string is the only way to send one, so strict mode's "instance only"
# rule does not apply to them (nothing else is coerced).
TokenType = Annotated[IdTokenEnumType, Strict(False)]
AuthorizationStatus = Annotated[AuthorizationStatusEnumType, Strict(False)]
MessageFormat = Annotated[MessageFormatEnumType, Strict(False)]
# Connector types are ConnectorEnumType values or the extra ones the OCPP information model
# names (cGBT, cChaoJi, OppCharge); EVSE ids are ISO 15118 EVSEIDs (at most 36 characters).
RestrictionText = Annotated[str, Field(min_length=1, max_length=50)]


def compact(mapping: JsonObject) -> JsonObject:
    """OCPP payloads never carry null (interface.md §3): absent optional fields are left out."""
    return {key: value for key, value in mapping.items() if value is not None}


def rfc3339(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class AdditionalInfo(BaseModel):
    model_config = _STRICT

    additional_id_token: str = Field(alias="additionalIdToken", min_length=1, max_length=36)
    type: str = Field(min_length=1, max_length=50)


class IdTokenIn(BaseModel):
    """OCPP IdTokenType, checked against the format rule of its type."""

    model_config = _STRICT

    id_token: str = Field(alias="idToken", max_length=36)
    type: TokenType
    additional_info: list[AdditionalInfo] | None = Field(
        default=None, alias="additionalInfo", min_length=1
    )

    @model_validator(mode="after")
    def _well_formed(self) -> Self:
        refusal = token_refusal({"idToken": self.id_token, "type": self.type.value})
        if refusal is not None:
            raise ValueError(refusal)
        return self

    def wire(self) -> JsonObject:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class MessageContent(BaseModel):
    model_config = _STRICT

    format: MessageFormat
    language: Language | None = None
    content: str = Field(max_length=512)


class IdTokenInfoIn(BaseModel):
    model_config = _STRICT

    status: AuthorizationStatus
    cache_expiry_date_time: AwareDatetime | None = Field(default=None, alias="cacheExpiryDateTime")
    charging_priority: int | None = Field(default=None, alias="chargingPriority", ge=-9, le=9)
    language1: Language | None = None
    language2: Language | None = None
    group_id_token: IdTokenIn | None = Field(default=None, alias="groupIdToken")
    personal_message: MessageContent | None = Field(default=None, alias="personalMessage")

    @model_validator(mode="after")
    def _languages(self) -> Self:
        # OCPP IdTokenInfoType: language2 is not used without language1 and differs from it.
        second = self.language2
        if second is not None and (self.language1 is None or second == self.language1):
            raise ValueError("language2 needs language1 and must differ from it")
        return self


class AuthorizationWrite(BaseModel):
    """PUT /data/evdriver/authorization. An absent `concurrentTransaction` keeps the stored
    value (false for a new token)."""

    model_config = _STRICT

    id_token: IdTokenIn = Field(alias="idToken")
    id_token_info: IdTokenInfoIn = Field(alias="idTokenInfo")
    concurrent_transaction: bool | None = Field(default=None, alias="concurrentTransaction")


class RestrictionsWrite(BaseModel):
    """PUT /data/evdriver/authorizationRestrictions: replaces both lists; absent = no
    restriction. An empty list would forbid everything or nothing depending on the reader, so
    it is refused."""

    model_config = _STRICT

    allowed_connector_types: list[RestrictionText] | None = Field(
        default=None, alias="allowedConnectorTypes", min_length=1, max_length=100
    )
    disallowed_evse_id_prefixes: list[RestrictionText] | None = Field(
        default=None, alias="disallowedEvseIdPrefixes", min_length=1, max_length=100
    )


class AuthorizationView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    id_token: dict[str, Any] = Field(alias="idToken")
    id_token_info: dict[str, Any] = Field(alias="idTokenInfo")
    concurrent_transaction: bool = Field(alias="concurrentTransaction")
    allowed_connector_types: list[str] | None = Field(alias="allowedConnectorTypes")
    disallowed_evse_id_prefixes: list[str] | None = Field(alias="disallowedEvseIdPrefixes")
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")

    @classmethod
    def of(cls, row: Authorization) -> AuthorizationView:
        return cls(
            id=row.id,
            id_token=compact(
                {"idToken": row.id_token, "type": row.type, "additionalInfo": row.additional_info}
            ),
            id_token_info=id_token_info_of(row),
            concurrent_transaction=row.concurrent_transaction,
            allowed_connector_types=row.allowed_connector_types,
            disallowed_evse_id_prefixes=row.disallowed_evse_id_prefixes,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def id_token_info_of(row: Authorization, status: str | None = None) -> JsonObject:
    """The stored IdTokenInfoType in wire form, optionally with another status."""
    return compact(
        {
            "status": status or row.status,
            "cacheExpiryDateTime": rfc3339(row.cache_expiry_date_time),
            "chargingPriority": row.charging_priority,
            "language1": row.language1,
            "language2": row.language2,
            "groupIdToken": row.group_id_token,
            "personalMessage": row.personal_message,
        }
    )
