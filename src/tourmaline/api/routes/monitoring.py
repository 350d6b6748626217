"""`/data/monitoring/variableAttribute`: the device model over REST (interface.md §8.2, §5).

Secret attributes (§5.3) are returned without `value` and with `"secret": true`; a PUT carrying a
BasicAuthPassword value sets the station's credential (the seed's "set this VariableAttribute on
the CSMS side" for profile-1 logins).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

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
from tourmaline.api.errors import BadRequest, StationNotFound
from tourmaline.api.schemas import BAD_REQUEST, NOT_FOUND
from tourmaline.api.strict import strict_body
from tourmaline.ocpp.v201.models.notify_report import AttributeEnumType, ReportDataType
from tourmaline.services.device_model import (
    AttributeFilters,
    DeviceModelService,
    StationUnknownError,
    count_deleted,
)
from tourmaline.services.device_model_query import NULL_TYPE

__all__ = ["DeviceModelDep", "InvalidPassword", "router"]

router = APIRouter(prefix="/data/monitoring", tags=["monitoring"], responses=BAD_REQUEST)

_TYPE_PATTERN = "^(" + "|".join([*(kind.value for kind in AttributeEnumType), NULL_TYPE]) + ")$"


class InvalidPassword(BadRequest):
    code = "invalid_password"
    default_message = "password must be 16-40 characters of a-z A-Z 0-9 * - _ = : + | @ ."


DeviceModelDep = Annotated[
    DeviceModelService, Depends(wired("device_model", "The device model is"))
]


def _filters(
    type_: Annotated[str | None, Query(alias="type", pattern=_TYPE_PATTERN)] = None,
    value: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    evse_id: Annotated[StrictInt | None, Query(alias="component_evse_id")] = None,
    connector_id: Annotated[StrictInt | None, Query(alias="component_evse_connectorId")] = None,
    component_name: Annotated[str | None, Query()] = None,
    component_instance: Annotated[str | None, Query()] = None,
    variable_name: Annotated[str | None, Query()] = None,
    variable_instance: Annotated[str | None, Query()] = None,
) -> AttributeFilters:
    return AttributeFilters(
        type=type_,
        value=value,
        status=status,
        evse_id=evse_id,
        connector_id=connector_id,
        component_name=component_name,
        component_instance=component_instance,
        variable_name=variable_name,
        variable_instance=variable_instance,
    )


FiltersDep = Annotated[AttributeFilters, Depends(_filters)]
_SET_ON_CHARGER_HELP = "Add a status row {Accepted, reasonCode SetOnCharger}."


@router.put(
    "/variableAttribute",
    response_model=list[dict[str, Any]],
    responses=NOT_FOUND,
    summary="Upsert one component/variable's attributes (OCPP ReportDataType)",
)
async def put_variable_attribute(
    request: Request,
    body: ReportDataType,
    device_model: DeviceModelDep,
    station_id: StationIdQuery,
    _: TenantDep,
    set_on_charger: Annotated[
        StrictBool, Query(alias="setOnCharger", description=_SET_ON_CHARGER_HELP)
    ] = False,
) -> list[dict[str, Any]]:
    data = await strict_body(request, ReportDataType)
    report_data = data.model_dump(by_alias=True, exclude_none=True, mode="json")
    try:
        return await device_model.upsert_from_api(
            station_id, report_data, set_on_charger=set_on_charger
        )
    except StationUnknownError:
        raise StationNotFound(station_id) from None
    except ValueError:
        raise InvalidPassword() from None


@router.get(
    "/variableAttribute",
    response_model=list[dict[str, Any]],
    summary="Attributes with component, variable, characteristics and status history",
)
async def get_variable_attributes(
    device_model: DeviceModelDep,
    station_id: StationIdQuery,
    filters: FiltersDep,
    _: TenantDep,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> list[dict[str, Any]]:
    page = dataclasses.replace(filters, limit=limit, offset=offset)
    return await device_model.query(station_id, page)


@router.delete("/variableAttribute", response_model=str, summary="Delete the matching attributes")
async def delete_variable_attributes(
    device_model: DeviceModelDep, station_id: StationIdQuery, filters: FiltersDep, _: TenantDep
) -> str:
    return count_deleted(await device_model.delete(station_id, filters))
