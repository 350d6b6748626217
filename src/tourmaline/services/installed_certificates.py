"""The certificates each station holds, as far as Tourmaline knows (OCPP 2.0.1 M03-M05, OCTT
TC_M_01-21; interface.md §7.4 `certificates/*`).

InstallCertificate and DeleteCertificate are recorded when they go out (an outbound check, run
on the instance holding the station's socket) and completed by the station's answer. An Accepted
install adds the certificate with its hash data when that is derivable (self-issued roots); an
Accepted delete removes it; a GetInstalledCertificateIds answer replaces the stored list for the
types it asked for (all types when it asked for none).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import CertificateOperation, InstalledCertificate
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.certificate_hash import certificate_hash_data, hash_key
from tourmaline.services.record_views import iso_z, newest_first, with_present

__all__ = ["CERTIFICATE_ACTIONS", "InstalledCertificateService"]

INSTALL = "InstallCertificate"
DELETE = "DeleteCertificate"
CERTIFICATE_ACTIONS = frozenset({INSTALL, DELETE})
_HASH_FIELDS = ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")


class InstalledCertificateService:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    # -- before sending (services.ports.OutboundCheck) ---------------------------------------------

    async def record_outbound(
        self, station_id: str, action: str, payload: JsonObject
    ) -> str | None:
        """Record an InstallCertificate/DeleteCertificate attempt; never refuses."""
        if action in CERTIFICATE_ACTIONS:
            async with self._sessionmaker.begin() as session:
                session.add(self._operation(station_id, action, payload))
        return None

    def _operation(self, station_id: str, action: str, payload: JsonObject) -> CertificateOperation:
        if action == INSTALL:
            hash_data = certificate_hash_data(str(payload.get("certificate", "")))
        else:
            hash_data = _hash_data(payload.get("certificateHashData"))
        return CertificateOperation(
            station_id=station_id,
            action=action,
            certificate_type=payload.get("certificateType"),
            hash_data=hash_data,
            request_digest=_digest(payload),
            sent_at=self._clock.now(),
        )

    # -- CALLRESULT routes -----------------------------------------------------------------------

    async def on_install_answer(
        self, station_id: str, request: JsonObject, response: JsonObject
    ) -> None:
        async with self._sessionmaker.begin() as session:
            operation = await self._complete(session, station_id, INSTALL, request, response)
            if operation.status != "Accepted" or operation.hash_data is None:
                return
            certificate_type = str(request.get("certificateType"))
            await _forget(session, station_id, hash_key(operation.hash_data), certificate_type)
            entry = {
                "certificateType": certificate_type,
                "certificateHashData": operation.hash_data,
            }
            session.add(self._installed(station_id, entry, "installed", request.get("certificate")))

    async def on_delete_answer(
        self, station_id: str, request: JsonObject, response: JsonObject
    ) -> None:
        async with self._sessionmaker.begin() as session:
            operation = await self._complete(session, station_id, DELETE, request, response)
            if operation.status == "Accepted" and operation.hash_data is not None:
                await _forget(session, station_id, hash_key(operation.hash_data))

    async def on_installed_ids_answer(
        self, station_id: str, request: JsonObject, response: JsonObject
    ) -> None:
        """The answer is the station's truth for the types asked for (NotFound: none held)."""
        asked = request.get("certificateType")
        types = {str(value) for value in asked} if isinstance(asked, list) and asked else None
        entries = (
            response.get("certificateHashDataChain")
            if response.get("status") == "Accepted"
            else None
        )
        async with self._sessionmaker.begin() as session:
            replaced = delete(InstalledCertificate).where(
                InstalledCertificate.station_id == station_id
            )
            if types is not None:
                replaced = replaced.where(InstalledCertificate.certificate_type.in_(types))
            await session.execute(replaced)
            for entry in _dicts(entries):
                if types is None or entry.get("certificateType") in types:
                    session.add(self._installed(station_id, entry, "reported", None))

    async def _complete(
        self,
        session: AsyncSession,
        station_id: str,
        action: str,
        request: JsonObject,
        response: JsonObject,
    ) -> CertificateOperation:
        """The newest unanswered attempt with this payload, or a new row when the attempt was
        not recorded (sent before this instance started recording), now with its answer."""
        operation = CertificateOperation
        query = (
            select(operation)
            .where(
                operation.station_id == station_id,
                operation.action == action,
                operation.request_digest == _digest(request),
                operation.status.is_(None),
            )
            .order_by(operation.id.desc())
            .limit(1)
        )
        row = await session.scalar(query)
        if row is None:
            row = self._operation(station_id, action, request)
            session.add(row)
        row.status = str(response.get("status"))
        info = response.get("statusInfo")
        row.status_info = info if isinstance(info, dict) else None
        row.answered_at = self._clock.now()
        return row

    def _installed(
        self, station_id: str, entry: JsonObject, source: str, certificate: Any
    ) -> InstalledCertificate:
        data = _hash_data(entry.get("certificateHashData")) or {}
        children = entry.get("childCertificateHashData")
        now = self._clock.now()
        return InstalledCertificate(
            station_id=station_id,
            certificate_type=str(entry.get("certificateType")),
            hash_algorithm=data.get("hashAlgorithm", ""),
            issuer_name_hash=data.get("issuerNameHash", ""),
            issuer_key_hash=data.get("issuerKeyHash", ""),
            serial_number=data.get("serialNumber", ""),
            child_certificates=children if isinstance(children, list) else None,
            source=source,
            certificate=certificate if isinstance(certificate, str) else None,
            created_at=now,
            updated_at=now,
        )

    # -- queries -----------------------------------------------------------------------------

    async def installed(self, station_id: str) -> list[dict[str, Any]]:
        query = (
            select(InstalledCertificate)
            .where(InstalledCertificate.station_id == station_id)
            .order_by(InstalledCertificate.certificate_type, InstalledCertificate.id)
        )
        async with self._sessionmaker() as session:
            return [_installed_view(row) for row in await session.scalars(query)]

    async def operations(
        self, station_id: str, *, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Install and delete attempts, newest first."""
        query = newest_first(CertificateOperation, station_id, limit=limit, offset=offset)
        async with self._sessionmaker() as session:
            return [_operation_view(row) for row in await session.scalars(query)]


async def _forget(
    session: AsyncSession,
    station_id: str,
    key: tuple[str, str, str, str],
    certificate_type: str | None = None,
) -> None:
    rows = await session.scalars(
        select(InstalledCertificate).where(InstalledCertificate.station_id == station_id)
    )
    for row in rows:
        same_type = certificate_type is None or row.certificate_type == certificate_type
        if same_type and hash_key(_stored_hash_data(row)) == key:
            await session.delete(row)


def _digest(payload: JsonObject) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _hash_data(value: Any) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    return {field: str(value.get(field, "")) for field in _HASH_FIELDS}


def _dicts(value: Any) -> Sequence[JsonObject]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _stored_hash_data(row: InstalledCertificate) -> dict[str, str]:
    return {
        "hashAlgorithm": row.hash_algorithm,
        "issuerNameHash": row.issuer_name_hash,
        "issuerKeyHash": row.issuer_key_hash,
        "serialNumber": row.serial_number,
    }


def _installed_view(row: InstalledCertificate) -> dict[str, Any]:
    view: dict[str, Any] = {
        "stationId": row.station_id,
        "certificateType": row.certificate_type,
        "certificateHashData": _stored_hash_data(row),
        "source": row.source,
        "updatedAt": iso_z(row.updated_at),
    }
    optional = {
        "childCertificateHashData": row.child_certificates or None,
        "certificate": row.certificate,
    }
    return with_present(view, optional)


def _operation_view(row: CertificateOperation) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row.id,
        "stationId": row.station_id,
        "action": row.action,
        "sentAt": iso_z(row.sent_at),
    }
    optional = {
        "certificateType": row.certificate_type,
        "certificateHashData": row.hash_data,
        "status": row.status,
        "statusInfo": row.status_info,
        "answeredAt": row.answered_at,
    }
    return with_present(view, optional)
