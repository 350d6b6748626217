"""`/data/transactions/*`: charging sessions, their meter values, tariffs and remote-control
answers (interface.md §8.2, §10.6, §7.4).

`GET /transaction` and the tariff routes are CitrineOS's (an empty lookup answers 200 `null`);
the others are Tourmaline's additions and answer 404 instead (interface.md §0).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from tourmaline.api.deps import (
    LimitQuery,
    OffsetQuery,
    OptionalStationIdQuery,
    StationIdQuery,
    StrictBool,
    StrictInt,
    TenantDep,
    wired,
)
from tourmaline.api.errors import NotFound
from tourmaline.api.schemas import BAD_REQUEST, NOT_FOUND
from tourmaline.api.strict import strict_body
from tourmaline.api.timestamps import parse_instant
from tourmaline.services.remote_requests import (
    RemoteAction,
    RemoteOutcome,
    RemoteRequestQuery,
    RemoteRequestView,
)
from tourmaline.services.tariffs import TariffService, TariffView, TariffWrite
from tourmaline.services.transaction_query import (
    MeterValueView,
    TransactionDetailView,
    TransactionFilter,
    TransactionQuery,
    TransactionView,
)

__all__ = ["TransactionNotFound", "router"]

router = APIRouter(prefix="/data/transactions", tags=["transactions"], responses=BAD_REQUEST)

_FROM = "Started at or after: RFC 3339 date-time with a zone, e.g. 2025-03-01T12:00:00Z"
_TO = "Started at or before: RFC 3339 date-time with a zone"


class TransactionNotFound(NotFound):
    code = "transaction_not_found"

    def __init__(self, station_id: str, transaction_id: str) -> None:
        super().__init__(f"Transaction {transaction_id} of station {station_id} not found")


TransactionsDep = Annotated[TransactionQuery, Depends(wired("transactions", "Transactions are"))]
TariffsDep = Annotated[TariffService, Depends(wired("tariffs", "Tariffs are"))]
RemoteRequestsDep = Annotated[
    RemoteRequestQuery, Depends(wired("remote_requests", "Remote requests are"))
]
TransactionIdQuery = Annotated[
    str | None, Query(alias="transactionId", min_length=1, max_length=36)
]
ActiveQuery = Annotated[StrictBool | None, Query(alias="isActive")]
TariffIdQuery = Annotated[StrictInt | None, Query(alias="id", ge=1, le=2**31 - 1)]


@router.get(
    "/transaction",
    response_model=TransactionDetailView | list[TransactionView] | None,
    summary="One transaction with its events and meter values (or null), or the station's list",
)
async def get_transaction(
    transactions: TransactionsDep,
    station_id: StationIdQuery,
    _: TenantDep,
    transaction_id: TransactionIdQuery = None,
    is_active: ActiveQuery = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> TransactionDetailView | list[TransactionView] | None:
    if transaction_id is not None:
        return await transactions.get(station_id, transaction_id)
    where = TransactionFilter(
        station_id=station_id, is_active=is_active, limit=limit, offset=offset
    )
    return await transactions.search(where)


@router.get(
    "/transactions",
    response_model=list[TransactionView],
    summary="Search transactions, newest start first",
)
async def search_transactions(
    transactions: TransactionsDep,
    _: TenantDep,
    station_id: OptionalStationIdQuery = None,
    id_token: Annotated[str | None, Query(alias="idToken", min_length=1, max_length=36)] = None,
    since: Annotated[str | None, Query(alias="from", description=_FROM)] = None,
    until: Annotated[str | None, Query(alias="to", description=_TO)] = None,
    is_active: ActiveQuery = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> list[TransactionView]:
    where = TransactionFilter(
        station_id=station_id,
        id_token=id_token,
        is_active=is_active,
        since=parse_instant("from", since),
        until=parse_instant("to", until),
        limit=limit,
        offset=offset,
    )
    return await transactions.search(where)


@router.get(
    "/meterValues",
    response_model=list[MeterValueView],
    responses=NOT_FOUND,
    summary="A transaction's meter values in time order, or the station's stand-alone ones",
)
async def get_meter_values(
    transactions: TransactionsDep,
    station_id: StationIdQuery,
    _: TenantDep,
    transaction_id: TransactionIdQuery = None,
    evse_id: Annotated[StrictInt | None, Query(alias="evseId", ge=0)] = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> list[MeterValueView]:
    if transaction_id is None:
        return await transactions.station_meter_values(
            station_id, evse_id=evse_id, limit=limit, offset=offset
        )
    values = await transactions.meter_values(station_id, transaction_id)
    if values is None:
        raise TransactionNotFound(station_id, transaction_id)
    return values


@router.put("/tariff", response_model=TariffView, summary="Create or replace a tariff")
async def put_tariff(
    request: Request, body: TariffWrite, tariffs: TariffsDep, _: TenantDep
) -> TariffView:
    return await tariffs.put(await strict_body(request, TariffWrite))


@router.get("/tariff", response_model=list[TariffView], summary="Tariffs (one with id)")
async def get_tariffs(
    tariffs: TariffsDep, _: TenantDep, tariff_id: TariffIdQuery = None
) -> list[TariffView]:
    return await tariffs.list(tariff_id)


@router.delete("/tariff", response_model=int, summary="Delete a tariff (every tariff without id)")
async def delete_tariffs(tariffs: TariffsDep, _: TenantDep, tariff_id: TariffIdQuery = None) -> int:
    return await tariffs.delete(tariff_id)


@router.get(
    "/remoteRequests",
    response_model=list[RemoteRequestView],
    summary="Remote-control commands and their outcomes, newest first",
)
async def get_remote_requests(
    remote_requests: RemoteRequestsDep,
    _: TenantDep,
    station_id: OptionalStationIdQuery = None,
    action: Annotated[RemoteAction | None, Query()] = None,
    outcome: Annotated[RemoteOutcome | None, Query()] = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> list[RemoteRequestView]:
    return await remote_requests.search(
        station_id=station_id, action=action, outcome=outcome, limit=limit, offset=offset
    )
