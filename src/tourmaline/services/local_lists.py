"""Local authorization lists (interface.md §10.3, §7.4 `evdriver/sendLocalList` and
`getLocalListVersion`; OCPP 2.0.1 D01, D02).

`check_outbound` runs before a SendLocalList is queued (an `OutboundCheck`): it refuses what the
station must never receive and stores the request. The station's answer decides the rest:
Accepted makes the request the current version with its entries (Full replaces the list,
Differential updates it and an entry without idTokenInfo removes that token), VersionMismatch
asks the station for its version, Failed changes nothing. A GetLocalListVersion answer
reconciles the stored version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import LocalListEntry, LocalListRequest, LocalListVersion
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.local_list_rules import (
    TokenKey,
    entry_key,
    list_refusal,
    read_list_limits,
)

__all__ = ["LocalListService", "LocalListView", "VersionRequester"]

log = structlog.get_logger(__name__)

SEND_LOCAL_LIST = "SendLocalList"
GET_LOCAL_LIST_VERSION = "GetLocalListVersion"
FULL = "Full"
ACCEPTED = "Accepted"
VERSION_MISMATCH = "VersionMismatch"
# Answers that say the station did not take the list.
_REFUSED = ("Failed", VERSION_MISMATCH)


class VersionRequester(Protocol):
    """CommandService.send, as far as GetLocalListVersion needs it."""

    async def send(self, station_id: str, action: str, payload: JsonObject) -> object: ...


class LocalListView(BaseModel):
    """GET /data/evdriver/localListVersion."""

    model_config = ConfigDict(populate_by_name=True)

    station_id: str = Field(alias="stationId")
    version_number: int = Field(alias="versionNumber")
    authorizations: list[dict[str, Any]]


class LocalListService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        sender: VersionRequester | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self.sender = sender

    # -- before sending ---------------------------------------------------------------------------

    async def check_outbound(self, station_id: str, action: str, payload: JsonObject) -> str | None:
        if action != SEND_LOCAL_LIST:
            return None
        async with self._sessionmaker.begin() as session:
            current = await session.get(LocalListVersion, station_id)
            refusal = list_refusal(
                payload,
                current_version=None if current is None else current.version_number,
                current_keys=await _entry_keys(session, station_id),
                limits=await read_list_limits(session, station_id),
            )
            if refusal is not None:
                log.info("SendLocalList refused", station_id=station_id, reason=refusal)
                return refusal
            session.add(_request_row(station_id, payload, self._clock.now()))
        return None

    # -- the station's answers --------------------------------------------------------------------

    async def on_send_result(
        self, station_id: str, request: JsonObject, response: JsonObject
    ) -> bool:
        """Store the answer; True when the station reported VersionMismatch (the caller then
        asks for the station's version)."""
        status = str(response.get("status"))
        async with self._sessionmaker.begin() as session:
            row = await _pending_request(session, station_id, request.get("versionNumber"))
            if row is not None:
                row.status = status
                row.status_info = response.get("statusInfo")
            if status == ACCEPTED:
                await self._apply(session, station_id, request)
        return status == VERSION_MISMATCH

    async def on_version_result(self, station_id: str, response: JsonObject) -> None:
        """D02: the station's version wins. A version Tourmaline sent but never saw answered
        (a timeout) is applied from the stored request; 0 means no list; any other unknown
        version leaves the entries unknown, so none are kept."""
        version = response.get("versionNumber")
        if not isinstance(version, int):
            return
        async with self._sessionmaker.begin() as session:
            current = await session.get(LocalListVersion, station_id)
            if current is not None and current.version_number == version:
                return
            sent = await _sent_request(session, station_id, version) if version > 0 else None
            if sent is not None:
                await self._apply(session, station_id, _payload_of(sent), force=True)
                return
            await session.execute(
                delete(LocalListEntry).where(LocalListEntry.station_id == station_id)
            )
            await self._set_version(session, station_id, version, current)
            log.warning("local list reconciled", station_id=station_id, version=version)

    async def request_version(self, station_id: str) -> None:
        """Ask the station for its list version; the answer comes back through
        `on_version_result` (the CALLRESULT route)."""
        if self.sender is not None:
            await self.sender.send(station_id, GET_LOCAL_LIST_VERSION, {})

    async def _apply(
        self, session: AsyncSession, station_id: str, request: JsonObject, *, force: bool = False
    ) -> None:
        version = int(request["versionNumber"])
        current = await session.get(LocalListVersion, station_id)
        if not force and current is not None and version <= current.version_number:
            # An answer overtaken by a newer accepted list: the station holds the newer one.
            log.warning("stale SendLocalList answer", station_id=station_id, version=version)
            return
        entries = request.get("localAuthorizationList") or []
        if request.get("updateType") == FULL:
            await session.execute(
                delete(LocalListEntry).where(LocalListEntry.station_id == station_id)
            )
        for entry in entries:
            await _put_entry(session, station_id, entry)
        await self._set_version(session, station_id, version, current)

    async def _set_version(
        self,
        session: AsyncSession,
        station_id: str,
        version: int,
        current: LocalListVersion | None,
    ) -> None:
        now = self._clock.now()
        if current is None:
            session.add(
                LocalListVersion(station_id=station_id, version_number=version, updated_at=now)
            )
            return
        current.version_number = version
        current.updated_at = now

    # -- REST -------------------------------------------------------------------------------------

    async def current(self, station_id: str) -> LocalListView | None:
        async with self._sessionmaker() as session:
            version = await session.get(LocalListVersion, station_id)
            if version is None:
                return None
            stmt = (
                select(LocalListEntry)
                .where(LocalListEntry.station_id == station_id)
                .order_by(LocalListEntry.id)
            )
            entries = [
                {"idToken": row.id_token, "idTokenInfo": row.id_token_info}
                for row in await session.scalars(stmt)
            ]
        return LocalListView(
            station_id=station_id, version_number=version.version_number, authorizations=entries
        )


def _request_row(station_id: str, payload: JsonObject, now: datetime) -> LocalListRequest:
    return LocalListRequest(
        station_id=station_id,
        version_number=int(payload["versionNumber"]),
        update_type=str(payload["updateType"]),
        local_authorization_list=payload.get("localAuthorizationList"),
        created_at=now,
        updated_at=now,
    )


def _payload_of(row: LocalListRequest) -> JsonObject:
    payload: JsonObject = {"versionNumber": row.version_number, "updateType": row.update_type}
    if row.local_authorization_list:
        payload["localAuthorizationList"] = row.local_authorization_list
    return payload


async def _entry_keys(session: AsyncSession, station_id: str) -> set[TokenKey]:
    stmt = select(LocalListEntry.token_key, LocalListEntry.type).where(
        LocalListEntry.station_id == station_id
    )
    return {(key, token_type) for key, token_type in await session.execute(stmt)}


async def _put_entry(session: AsyncSession, station_id: str, entry: JsonObject) -> None:
    key, token_type = entry_key(entry)
    await session.execute(
        delete(LocalListEntry).where(
            LocalListEntry.station_id == station_id,
            LocalListEntry.token_key == key,
            LocalListEntry.type == token_type,
        )
    )
    info = entry.get("idTokenInfo")
    if isinstance(info, dict):
        session.add(
            LocalListEntry(
                station_id=station_id,
                token_key=key,
                type=token_type,
                id_token=entry["idToken"],
                id_token_info=info,
            )
        )
        await session.flush()


async def _pending_request(
    session: AsyncSession, station_id: str, version: object
) -> LocalListRequest | None:
    stmt = (
        select(LocalListRequest)
        .where(
            LocalListRequest.station_id == station_id,
            LocalListRequest.version_number == version,
            LocalListRequest.status.is_(None),
        )
        .order_by(LocalListRequest.id.desc())
        .limit(1)
    )
    return await session.scalar(stmt) if isinstance(version, int) else None


async def _sent_request(
    session: AsyncSession, station_id: str, version: int
) -> LocalListRequest | None:
    """The last request of that version the station did not refuse."""
    stmt = (
        select(LocalListRequest)
        .where(
            LocalListRequest.station_id == station_id, LocalListRequest.version_number == version
        )
        .order_by(LocalListRequest.id.desc())
    )
    for row in await session.scalars(stmt):
        if row.status not in _REFUSED:
            return row
    return None
