"""`POST /data/configuration/password` (interface.md §6): every row of its table.

`setOnCharger: true` means the charger already has the password: only Tourmaline is updated.
`false` runs OCPP use case A01 (services/password_push.py, shared with the console): the
station's answer decides whether the password is stored. The password, given or generated, is
never logged or returned.
"""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from tourmaline.api.deps import CommandsDep, ConnectionsDep, SettingsDep, TenantDep
from tourmaline.api.errors import (
    BadGateway,
    BadRequest,
    Conflict,
    GatewayTimeout,
    StationNotFound,
)
from tourmaline.api.routes.monitoring import DeviceModelDep, InvalidPassword
from tourmaline.api.schemas import BAD_REQUEST, ErrorBody
from tourmaline.api.strict import strict_body
from tourmaline.services.credentials import PASSWORD_PATTERN, generate_password
from tourmaline.services.password_push import PasswordPush, push_password

__all__ = ["PasswordAnswer", "PasswordWrite", "router"]

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/data/configuration", tags=["configuration"], responses=BAD_REQUEST)

STORED_STATUSES = {
    "Accepted": "Updated 1 attributes",
    "RebootRequired": "Updated 1 attributes (reboot required)",
}


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


RESPONSES: dict[int | str, dict[str, Any]] = {
    404: _error("Unknown station"),
    409: _error("Station not connected"),
    502: _error("The station refused or answered with a CALLERROR"),
    504: _error("The station did not answer in time"),
}


class PasswordWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    station_id: str = Field(alias="stationId", min_length=1, max_length=48)
    password: str | None = Field(
        default=None, description="16-40 characters of a-z A-Z 0-9 * - _ = : + | @ ."
    )
    set_on_charger: bool = Field(
        default=False,
        alias="setOnCharger",
        description="true: the charger already has this password; only Tourmaline is updated.",
    )


class PasswordAnswer(BaseModel):
    success: bool
    payload: str


class PasswordRequired(BadRequest):
    code = "password_required"
    default_message = "setOnCharger true requires a password"


class StationNotConnected(Conflict):
    code = "station_not_connected"


class CommandRefused(Conflict):
    code = "command_refused"


class ChargerRejected(BadGateway):
    code = "charger_rejected"
    default_message = "The charging station refused the new password"


class ChargerError(BadGateway):
    code = "charger_error"


class ChargerTimeout(GatewayTimeout):
    code = "charger_timeout"


def _checked(write: PasswordWrite) -> PasswordWrite:
    if write.password is not None and PASSWORD_PATTERN.fullmatch(write.password) is None:
        raise InvalidPassword()
    if write.set_on_charger and write.password is None:
        raise PasswordRequired()
    return write


def _answer(station_id: str, push: PasswordPush) -> PasswordAnswer:
    """The station's answer as interface.md §6 words it."""
    if push.outcome == "Timeout":
        raise ChargerTimeout(f"Charging station {station_id} did not answer in time")
    if push.outcome == "CallError":
        raise ChargerError(
            f"Charging station {station_id} answered with a CALLERROR", details=push.detail
        )
    if push.outcome == "NotConnected":
        raise StationNotConnected(f"Charging station {station_id} is not connected")
    if push.outcome == "NotSent":
        raise CommandRefused(str(push.detail))
    if push.outcome == "Rejected":
        raise ChargerRejected(details=push.detail)
    return PasswordAnswer(success=True, payload=STORED_STATUSES[push.outcome])


@router.post(
    "/password",
    response_model=PasswordAnswer,
    responses=RESPONSES,
    summary="Set a station's Basic-auth password (OCPP A01 unless setOnCharger)",
)
async def post_password(
    request: Request,
    body: PasswordWrite,
    device_model: DeviceModelDep,
    commands: CommandsDep,
    connections: ConnectionsDep,
    settings: SettingsDep,
    tenant_id: TenantDep,
    callback_url: Annotated[str | None, Query(alias="callbackUrl")] = None,
) -> PasswordAnswer:
    write = _checked(await strict_body(request, PasswordWrite))
    station_id = write.station_id
    if not await device_model.station_exists(station_id):
        raise StationNotFound(station_id)
    if write.set_on_charger:
        assert write.password is not None
        await device_model.record_password(station_id, write.password)
        log.info("api.password_set", station_id=station_id, set_on_charger=True)
        return PasswordAnswer(success=True, payload=STORED_STATUSES["Accepted"])
    push = await push_password(
        commands,
        connections,
        station_id,
        write.password or generate_password(),
        timeout=settings.ocpp.call_timeout,
        callback_url=callback_url,
        tenant_id=tenant_id,
    )
    answer = _answer(station_id, push)
    log.info("api.password_set", station_id=station_id, set_on_charger=False)
    return answer
