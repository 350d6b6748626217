"""`GET /data/ocpprouter/messages`: the OCPP frame log (interface.md §8.5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from tourmaline.api.deps import (
    DepsDep,
    LimitQuery,
    OptionalStationIdQuery,
    StrictInt,
    TenantDep,
)
from tourmaline.api.errors import ServiceUnavailable, ValidationFailed
from tourmaline.api.schemas import BAD_REQUEST
from tourmaline.services.message_log import MessageLogFilter

__all__ = ["router"]

router = APIRouter(prefix="/data/ocpprouter", tags=["ocpprouter"], responses=BAD_REQUEST)

_RFC3339 = "RFC 3339 date-time with a zone, e.g. 2025-03-01T12:00:00Z"


def _instant(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value.upper():
        failure = {"path": f"query.{name}", "message": f"Expected {_RFC3339}", "type": "datetime"}
        raise ValidationFailed([failure])
    return parsed.astimezone(UTC)


@router.get("/messages", summary="Logged OCPP frames, newest first")
async def get_messages(
    deps: DepsDep,
    _: TenantDep,
    station_id: OptionalStationIdQuery = None,
    action: Annotated[str | None, Query(max_length=128)] = None,
    message_id: Annotated[str | None, Query(alias="messageId", max_length=128)] = None,
    origin: Annotated[Literal["cs", "csms"] | None, Query()] = None,
    since: Annotated[str | None, Query(alias="from", description=_RFC3339)] = None,
    until: Annotated[str | None, Query(alias="to", description=_RFC3339)] = None,
    limit: LimitQuery = 100,
    before: Annotated[
        StrictInt | None, Query(ge=1, description="Entry id: page backwards from it")
    ] = None,
) -> list[dict[str, Any]]:
    if deps.message_log is None:
        raise ServiceUnavailable("The message log is not available on this instance")
    where = MessageLogFilter(
        station_id=station_id,
        action=action,
        message_id=message_id,
        origin=origin,
        since=_instant("from", since),
        until=_instant("to", until),
        before=before,
        limit=limit,
    )
    return await deps.message_log.search(where)
