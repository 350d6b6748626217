"""Operator tasks run from a terminal (`tourmaline station …`), against the database directly.

Each call opens its own engine, sets up an empty database first (as `serve` does), and closes
the engine again; the running server sees the changes at the next connection attempt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from tourmaline.clock import SystemClock
from tourmaline.db.engine import create_engine, make_sessionmaker
from tourmaline.db.migrate import is_empty, upgrade_to_head
from tourmaline.db.writer import MessageLogWriter
from tourmaline.services.credentials import CredentialService
from tourmaline.services.station_setup import provision_station, store_password
from tourmaline.services.stations import StationService, StationWrite
from tourmaline.settings import Settings

__all__ = ["add_station", "list_stations", "remove_station", "set_station_password"]


@dataclass(frozen=True)
class _Services:
    stations: StationService
    credentials: CredentialService


@asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[_Services]:
    engine = create_engine(settings.database)
    try:
        if await is_empty(engine):
            await upgrade_to_head(engine)
        sessionmaker = make_sessionmaker(engine)
        clock = SystemClock()
        writer = MessageLogWriter(sessionmaker, clock=clock)
        yield _Services(
            StationService(sessionmaker, clock, writer), CredentialService(sessionmaker, clock)
        )
    finally:
        await engine.dispose()


async def add_station(
    settings: Settings,
    station_id: str,
    password: str | None,
    generate_password: bool,
    min_security_profile: int,
) -> str | None:
    """Create or update the station; returns the password to show once when one was generated."""
    async with _services(settings) as services:
        return await provision_station(
            services.stations,
            services.credentials,
            station_id,
            StationWrite(min_security_profile=min_security_profile),
            password=password,
            generate=generate_password,
        )


async def set_station_password(
    settings: Settings, station_id: str, password: str | None
) -> str | None:
    async with _services(settings) as services:
        if not await services.stations.exists(station_id):
            raise LookupError(f"no station {station_id}")
        return await store_password(
            services.credentials, station_id, password, generate=password is None
        )


async def list_stations(settings: Settings) -> list[dict[str, Any]]:
    async with _services(settings) as services:
        rows = await services.stations.list(limit=10_000, offset=0)
    return [row.model_dump(by_alias=True, mode="json") for row in rows]


async def remove_station(settings: Settings, station_id: str) -> bool:
    async with _services(settings) as services:
        return await services.stations.delete(station_id) is not None
