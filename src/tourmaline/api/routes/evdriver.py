"""`/data/evdriver/*`: ID tokens, their restrictions, the local-list version and reservations
(interface.md §8.2, §10.2-§10.4).

`localListVersion` is a CitrineOS route, so an empty lookup answers 200 `null`; the others are
Tourmaline additions and answer 404 for a missing record (interface.md §0).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from tourmaline.api.deps import (
    LimitQuery,
    OffsetQuery,
    StationIdQuery,
    StrictBool,
    StrictInt,
    TenantDep,
    wired,
)
from tourmaline.api.errors import NotFound, ValidationFailed
from tourmaline.api.schemas import BAD_REQUEST, NOT_FOUND
from tourmaline.api.strict import strict_body
from tourmaline.ocpp.v201.models.authorize import AuthorizationStatusEnumType
from tourmaline.services.local_lists import LocalListService, LocalListView
from tourmaline.services.reservations import ReservationService, ReservationView
from tourmaline.services.token_format import TOKEN_TYPES
from tourmaline.services.token_models import (
    AuthorizationView,
    AuthorizationWrite,
    RestrictionsWrite,
)
from tourmaline.services.tokens import TokenFilters, TokenStore

__all__ = ["AuthorizationNotFound", "ReservationNotFound", "router"]

router = APIRouter(prefix="/data/evdriver", tags=["evdriver"], responses=BAD_REQUEST)

_TYPE_PATTERN = "^(" + "|".join(TOKEN_TYPES) + ")$"
_STATUS_PATTERN = "^(" + "|".join(status.value for status in AuthorizationStatusEnumType) + ")$"


class AuthorizationNotFound(NotFound):
    code = "authorization_not_found"

    def __init__(self, id_token: str, token_type: str) -> None:
        super().__init__(f"No authorization for idToken {id_token!r} of type {token_type}")


class ReservationNotFound(NotFound):
    code = "reservation_not_found"

    def __init__(self, station_id: str, reservation_id: int) -> None:
        super().__init__(f"Reservation {reservation_id} not found for station {station_id}")


TokensDep = Annotated[TokenStore, Depends(wired("tokens", "ID tokens are"))]
LocalListsDep = Annotated[LocalListService, Depends(wired("local_lists", "Local lists are"))]
ReservationsDep = Annotated[ReservationService, Depends(wired("reservations", "Reservations are"))]
IdTokenQuery = Annotated[str, Query(alias="idToken", max_length=36)]
TypeQuery = Annotated[str, Query(alias="type", pattern=_TYPE_PATTERN)]


def _matching(write: AuthorizationWrite, id_token: str, token_type: str) -> AuthorizationWrite:
    """interface.md §8.2: the body must name the token the query names."""
    failures = []
    if write.id_token.id_token != id_token:
        failures.append(("body.idToken.idToken", f"does not match the query idToken {id_token!r}"))
    if write.id_token.type.value != token_type:
        failures.append(("body.idToken.type", f"does not match the query type {token_type}"))
    if failures:
        raise ValidationFailed(
            [{"path": path, "message": text, "type": "query_mismatch"} for path, text in failures]
        )
    return write


@router.put(
    "/authorization",
    response_model=AuthorizationView,
    summary="Create an ID token or replace its authorization data",
)
async def put_authorization(
    request: Request,
    body: AuthorizationWrite,
    tokens: TokensDep,
    id_token: IdTokenQuery,
    token_type: TypeQuery,
    _: TenantDep,
) -> AuthorizationView:
    write = _matching(await strict_body(request, AuthorizationWrite), id_token, token_type)
    return await tokens.put(write)


@router.get(
    "/authorization",
    response_model=AuthorizationView | list[AuthorizationView],
    responses=NOT_FOUND,
    summary="One ID token (idToken and type given) or a filtered page of tokens",
)
async def get_authorization(
    tokens: TokensDep,
    _: TenantDep,
    id_token: Annotated[str | None, Query(alias="idToken", max_length=36)] = None,
    token_type: Annotated[str | None, Query(alias="type", pattern=_TYPE_PATTERN)] = None,
    status: Annotated[str | None, Query(pattern=_STATUS_PATTERN)] = None,
    search: Annotated[
        str | None, Query(max_length=36, description="Substring of idToken, any case")
    ] = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> AuthorizationView | list[AuthorizationView]:
    if id_token is not None and token_type is not None:
        view = await tokens.get(id_token, token_type)
        if view is None:
            raise AuthorizationNotFound(id_token, token_type)
        return view
    filters = TokenFilters(id_token, token_type, status, search, limit, offset)
    return await tokens.find(filters)


@router.delete(
    "/authorization",
    response_model=AuthorizationView,
    responses=NOT_FOUND,
    summary="Delete an ID token",
)
async def delete_authorization(
    tokens: TokensDep, id_token: IdTokenQuery, token_type: TypeQuery, _: TenantDep
) -> AuthorizationView:
    view = await tokens.delete(id_token, token_type)
    if view is None:
        raise AuthorizationNotFound(id_token, token_type)
    return view


@router.put(
    "/authorizationRestrictions",
    response_model=AuthorizationView,
    responses=NOT_FOUND,
    summary="Set the connector types and EVSE id prefixes an ID token is restricted by",
)
async def put_authorization_restrictions(
    request: Request,
    body: RestrictionsWrite,
    tokens: TokensDep,
    id_token: IdTokenQuery,
    token_type: TypeQuery,
    _: TenantDep,
) -> AuthorizationView:
    write = await strict_body(request, RestrictionsWrite)
    view = await tokens.put_restrictions(id_token, token_type, write)
    if view is None:
        raise AuthorizationNotFound(id_token, token_type)
    return view


@router.get(
    "/localListVersion",
    response_model=LocalListView | None,
    summary="The station's local authorization list as last accepted, or null",
)
async def get_local_list_version(
    local_lists: LocalListsDep, station_id: StationIdQuery, _: TenantDep
) -> LocalListView | None:
    return await local_lists.current(station_id)


@router.get(
    "/reservation",
    response_model=ReservationView | list[ReservationView],
    responses=NOT_FOUND,
    summary="One reservation (with id) or the station's reservations",
)
async def get_reservation(
    reservations: ReservationsDep,
    station_id: StationIdQuery,
    _: TenantDep,
    reservation_id: Annotated[StrictInt | None, Query(alias="id")] = None,
    is_active: Annotated[StrictBool | None, Query(alias="isActive")] = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> ReservationView | list[ReservationView]:
    if reservation_id is not None:
        view = await reservations.get(station_id, reservation_id)
        if view is None:
            raise ReservationNotFound(station_id, reservation_id)
        return view
    return await reservations.find(station_id, is_active=is_active, limit=limit, offset=offset)
