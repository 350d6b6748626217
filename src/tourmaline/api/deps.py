"""What routes receive: the services (one `ApiDeps` per app) and strictly parsed query values.

Routes declare `stations: StationsDep` instead of reaching for globals, so tests and the runtime
build as many apps as they need. Query parsing is strict (interface.md §0): `"1.0"`, `" 1"` or
`"yes"` are errors, not silently coerced values.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from tourmaline.api.errors import ServiceUnavailable, UnknownTenant
from tourmaline.cluster.events import EventFeed
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.services.boot import BootService
from tourmaline.services.commands import CommandService
from tourmaline.services.connections import ConnectionManager
from tourmaline.services.credentials import CredentialService
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.local_lists import LocalListService
from tourmaline.services.message_api import LimitLookup
from tourmaline.services.message_log import MessageLogQuery
from tourmaline.services.remote_requests import RemoteRequestQuery
from tourmaline.services.reservations import ReservationService
from tourmaline.services.security import SecurityServices
from tourmaline.services.stations import StationService
from tourmaline.services.subscriptions import SubscriptionService
from tourmaline.services.tariffs import TariffService
from tourmaline.services.tokens import TokenStore
from tourmaline.services.transaction_query import TransactionQuery
from tourmaline.settings import Settings

__all__ = [
    "ApiDeps",
    "BootsDep",
    "CommandsDep",
    "ConnectionsDep",
    "DepsDep",
    "LimitLookup",
    "LimitQuery",
    "OffsetQuery",
    "OptionalOnlineQuery",
    "OptionalStationIdQuery",
    "SecurityDep",
    "SettingsDep",
    "StationIdQuery",
    "StationsDep",
    "TenantDep",
    "get_deps",
    "wired",
]

# The OCPP-J limit for a station identity; ':' and '/' would break `<tenant>:<id>` texts and paths.
STATION_ID_PATTERN = r"^[^:/\x00-\x1f\x7f-\x9f]{1,48}$"
DEFAULT_TENANT_ID = 1
_DECIMAL = re.compile(r"-?[0-9]+")


@dataclass
class ApiDeps:
    settings: Settings
    stations: StationService
    boots: BootService
    connections: ConnectionManager
    commands: CommandService
    ready: Callable[[], Awaitable[bool]]
    # Message API, subscriptions and message log (issue 3, helper I); optional so that apps
    # built for other routes need not construct them.
    schemas: SchemaRegistry = field(default_factory=SchemaRegistry)
    subscriptions: SubscriptionService | None = None
    message_log: MessageLogQuery | None = None
    batch_limits: LimitLookup | None = None
    # Device model and password endpoint (issue 3, helper H).
    device_model: DeviceModelService | None = None
    # ID tokens, local lists and reservations (issue 4, evdriver).
    tokens: TokenStore | None = None
    local_lists: LocalListService | None = None
    reservations: ReservationService | None = None
    # Security events, certificates and network profiles (issue 5).
    security: SecurityServices | None = None
    # Operator console (issue 6): station passwords and the live event feed.
    credentials: CredentialService | None = None
    events: EventFeed | None = None
    # Transactions, tariffs and remote-control answers (issue 4, transactions helper).
    transactions: TransactionQuery | None = None
    tariffs: TariffService | None = None
    remote_requests: RemoteRequestQuery | None = None


def get_deps(request: Request) -> ApiDeps:
    deps = request.app.state.deps
    assert isinstance(deps, ApiDeps)
    return deps


DepsDep = Annotated[ApiDeps, Depends(get_deps)]


def _settings(deps: DepsDep) -> Settings:
    return deps.settings


def _stations(deps: DepsDep) -> StationService:
    return deps.stations


def _boots(deps: DepsDep) -> BootService:
    return deps.boots


def _connections(deps: DepsDep) -> ConnectionManager:
    return deps.connections


def _commands(deps: DepsDep) -> CommandService:
    return deps.commands


SettingsDep = Annotated[Settings, Depends(_settings)]
StationsDep = Annotated[StationService, Depends(_stations)]
BootsDep = Annotated[BootService, Depends(_boots)]
ConnectionsDep = Annotated[ConnectionManager, Depends(_connections)]
CommandsDep = Annotated[CommandService, Depends(_commands)]


def _strict_int(value: Any) -> Any:
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be a decimal integer")
    return value


def _strict_bool(value: Any) -> Any:
    if isinstance(value, str):
        if value not in ("true", "false"):
            raise PydanticCustomError("bool_parsing", "Input should be 'true' or 'false'")
        return value == "true"
    return value


StrictInt = Annotated[int, BeforeValidator(_strict_int)]
StrictBool = Annotated[bool, BeforeValidator(_strict_bool)]

StationIdQuery = Annotated[
    str,
    Query(
        alias="stationId",
        pattern=STATION_ID_PATTERN,
        description="Station identity: 1-48 characters, no ':', '/' or control characters.",
    ),
]
OptionalStationIdQuery = Annotated[str | None, Query(alias="stationId", pattern=STATION_ID_PATTERN)]
OptionalOnlineQuery = Annotated[StrictBool | None, Query(alias="isOnline")]
LimitQuery = Annotated[StrictInt, Query(ge=1, le=1000, description="Page size (max 1000).")]
OffsetQuery = Annotated[StrictInt, Query(ge=0)]


def _tenant(
    tenant_id: Annotated[
        StrictInt | None,
        Query(alias="tenantId", description="Accepted for CitrineOS clients; only 1 exists."),
    ] = None,
) -> int:
    # interface.md §0: single tenant; the parameter defaults to 1 and any other tenant is unknown.
    if tenant_id is None:
        return DEFAULT_TENANT_ID
    if tenant_id != DEFAULT_TENANT_ID:
        raise UnknownTenant(tenant_id)
    return tenant_id


TenantDep = Annotated[int, Depends(_tenant)]


def wired(attribute: str, what: str) -> Callable[[ApiDeps], Any]:
    """A dependency giving the service `deps.<attribute>`, or 503 when this app was built
    without it (apps built for one group of routes leave the other services out)."""

    def dependency(deps: DepsDep) -> Any:
        service = getattr(deps, attribute)
        if service is None:
            raise ServiceUnavailable(f"{what} not available on this instance")
        return service

    return dependency


SecurityDep = Annotated[
    SecurityServices, Depends(wired("security", "Security and certificate services are"))
]
