"""Operator actions on a station record that touch several services at once, shared by the
`tourmaline station …` commands, the REST API and the web console, so each is written once.

Passwords given here are stored as the station's Basic-auth credential only (the charger is
expected to have it already, or to be configured with it by hand); setting a password on a
connected charger is OCPP A01, services/password_push.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from tourmaline.services.connections import ConnectionManager
from tourmaline.services.credentials import (
    CredentialService,
    generate_password,
    validate_password,
)
from tourmaline.services.stations import StationDetailView, StationService, StationWrite

__all__ = [
    "STATION_DELETED_REASON",
    "DeletedStation",
    "delete_station",
    "provision_station",
    "store_password",
]

STATION_DELETED_REASON = "Station deleted"


async def store_password(
    credentials: CredentialService, station_id: str, password: str | None, *, generate: bool
) -> str | None:
    """Store `password`, or a generated one when `generate`; returns the generated password, to
    be shown once. Raises ValueError (nothing stored) for a password that is not an OCPP
    passwordString. The station must exist."""
    if generate:
        password = generate_password()
    if password is None:
        return None
    validate_password(password)
    await credentials.set_password(station_id, password)
    return password if generate else None


async def provision_station(
    stations: StationService,
    credentials: CredentialService,
    station_id: str,
    write: StationWrite,
    *,
    password: str | None = None,
    generate: bool = False,
) -> str | None:
    """Create or update the station record, then store its password as `store_password` does.
    A password that is not valid is refused before anything is written."""
    if password is not None and not generate:
        validate_password(password)
    await stations.upsert(station_id, write)
    return await store_password(credentials, station_id, password, generate=generate)


@dataclass(frozen=True, slots=True)
class DeletedStation:
    station: StationDetailView
    connection_closed: bool


async def delete_station(
    stations: StationService, connections: ConnectionManager, station_id: str
) -> DeletedStation | None:
    """Delete the record and close the station's socket wherever in the cluster it is
    (interface.md §8.2); None when there is no such station."""
    deleted = await stations.delete(station_id)
    if deleted is None:
        return None
    closed = await connections.disconnect(station_id, code=1000, reason=STATION_DELETED_REASON)
    return DeletedStation(deleted, closed)
