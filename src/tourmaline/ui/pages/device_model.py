"""A station's device model (issue 6, item 3): components, variables and attributes with
search, and setting a variable through SetVariables with the station's answer shown."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tourmaline.api.deps import ApiDeps
from tourmaline.services.device_model import AttributeFilters, DeviceModelService
from tourmaline.ui.command_forms import SET_VARIABLE
from tourmaline.ui.deps import ConsoleDeps, station_context
from tourmaline.ui.forms import Form, read_form
from tourmaline.ui.pages.commands import command_state, submit_command
from tourmaline.ui.paging import page_links
from tourmaline.ui.render import ConsoleError, page, path_part

__all__ = ["router", "set_variable_link"]

router = APIRouter()

PAGE_SIZE = 200
READ_ONLY = "ReadOnly"


def _store(deps: ApiDeps) -> DeviceModelService:
    if deps.device_model is None:
        raise ConsoleError(503, "Unavailable", "The device model is not available here.")
    return deps.device_model


@router.get("/stations/{station_id}/device-model")
async def device_model_page(
    request: Request,
    deps: ConsoleDeps,
    station_id: str,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    context = await station_context(deps, station_id)
    filters = AttributeFilters(text=q or None, limit=PAGE_SIZE + 1, offset=offset)
    attributes = await _store(deps).query(station_id, filters)
    base = {"q": q or ""}
    path = f"/ui/stations/{path_part(station_id)}/device-model"
    context |= {
        "tab": "device-model",
        "q": q or "",
        "attributes": attributes[:PAGE_SIZE],
        "set_link": set_variable_link,
        **page_links(path, base, offset, PAGE_SIZE, more=len(attributes) > PAGE_SIZE),
        "fragment": "device_model/_table.html",
    }
    return page(request, "device_model/list.html", context)


def set_variable_link(station_id: str, attribute: dict[str, Any]) -> str | None:
    """The set-variable form pre-filled for this attribute; None for read-only ones."""
    if attribute.get("mutability") == READ_ONLY:
        return None
    component, variable = attribute["component"], attribute["variable"]
    evse = component.get("evse") or {}
    values = {
        "component": component["name"],
        "component_instance": component.get("instance"),
        "evse_id": evse.get("id"),
        "connector_id": evse.get("connectorId"),
        "variable": variable["name"],
        "variable_instance": variable.get("instance"),
        "attribute_type": attribute.get("type"),
        "value": None if attribute.get("secret") else attribute.get("value"),
    }
    query = urlencode({k: v for k, v in values.items() if v is not None})
    return f"/ui/stations/{path_part(station_id)}/device-model/set?{query}"


@router.get("/stations/{station_id}/device-model/set")
async def set_variable_form(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    context = await station_context(deps, station_id)
    names = {field.name for field in SET_VARIABLE.fields}
    form = Form((k, v) for k, v in request.query_params.items() if k in names)
    state = command_state(SET_VARIABLE, form)
    return page(request, "device_model/set.html", {**context, "tab": "device-model", **state})


@router.post("/stations/{station_id}/device-model/set")
async def set_variable(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    form = await read_form(request)
    context = await station_context(deps, station_id)
    state, status = await submit_command(deps, station_id, SET_VARIABLE, form)
    # A value may be a secret (BasicAuthPassword): it is not sent back to the browser.
    form.values.pop("value", None)
    context |= {"tab": "device-model", **state, "state": state, "fragment": "_command.html"}
    return page(request, "device_model/set.html", context, status)
