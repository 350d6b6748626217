"""A station's boot configuration (issue 6, item 2): the last boot and the answer to give to
the next one. The same record and validation as `PUT /data/configuration/boot` (BootWrite);
fields the console does not show (statusInfo, variable ids, …) are kept as they are."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from tourmaline.api.deps import ApiDeps
from tourmaline.services.boot import BootView, BootWrite
from tourmaline.ui.deps import ConsoleDeps, publish_change, station_context
from tourmaline.ui.forms import Form, read_form
from tourmaline.ui.render import page

__all__ = ["router"]

log = structlog.get_logger(__name__)

router = APIRouter()

BOOT_STATUSES = ("Accepted", "Pending", "Rejected")
# The largest interval OCPP's integer fields and the database column comfortably hold.
MAX_INTERVAL = 2_147_483_647


@router.get("/stations/{station_id}/boot")
async def boot_page(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    context = await _context(deps, station_id, None)
    return page(request, "boot.html", context)


async def _context(deps: ApiDeps, station_id: str, form: Form | None) -> dict[str, Any]:
    context = await station_context(deps, station_id)
    boot: BootView | None = context["boot"]
    return {
        **context,
        "tab": "boot",
        "form": form or _form_of(boot, deps),
        "statuses": [(status, status) for status in BOOT_STATUSES],
        "defaults": deps.settings.ocpp,
    }


def _form_of(boot: BootView | None, deps: ApiDeps) -> Form:
    """The stored configuration as form values (the configured defaults without a record)."""
    ocpp = deps.settings.ocpp
    report = ocpp.get_base_report_on_pending
    if boot is not None and boot.get_base_report_on_pending is not None:
        report = boot.get_base_report_on_pending
    values = {
        "status": boot.status if boot else ocpp.unknown_charger_status,
        "heartbeat_interval": _text(boot.heartbeat_interval if boot else None),
        "boot_retry_interval": _text(boot.boot_retry_interval if boot else None),
    }
    if report:
        values["get_base_report_on_pending"] = "on"
    return Form(values.items())


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def _boot_write(form: Form, boot: BootView | None) -> BootWrite | None:
    status = form.choice("status", BOOT_STATUSES, required=True)
    heartbeat = form.integer("heartbeat_interval", minimum=1, maximum=MAX_INTERVAL)
    retry = form.integer("boot_retry_interval", minimum=1, maximum=MAX_INTERVAL)
    if not form.ok:
        return None
    kept = {name: getattr(boot, name) for name in BootWrite.model_fields} if boot else {}
    changes = {
        "status": status,
        "heartbeat_interval": heartbeat,
        "boot_retry_interval": retry,
        "get_base_report_on_pending": form.flag("get_base_report_on_pending"),
    }
    try:
        return BootWrite.model_validate({**kept, **changes})
    except ValidationError as error:
        for problem in error.errors():
            form.fail(str(problem["loc"][0]), problem["msg"])
        return None


@router.post("/stations/{station_id}/boot")
async def save_boot(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    form = await read_form(request)
    context = await _context(deps, station_id, form)
    write = _boot_write(form, context["boot"])
    if write is None:
        return page(request, "boot.html", context, status=400)
    boot = await deps.boots.put(station_id, write)
    log.info("console.boot_saved", station_id=station_id, status=boot.status)
    publish_change(deps, station_id, "boot")
    notice = f"Saved: the next BootNotification of {station_id} will be answered {boot.status}."
    return page(request, "boot.html", {**context, "boot": boot, "notice": notice})
