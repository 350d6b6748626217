"""The writes of one group of TransactionEvents (services/transaction_writes.py), staged in
memory while the group is applied and issued as a few multi-row statements at the end: the
transactions (deactivations first, so the one-active-per-EVSE index never sees two), the events,
connector records created on demand, RequestStartTransaction links and reservation use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from tourmaline.db.base import UTCDateTime
from tourmaline.db.models import (
    ChargingStation,
    Connector,
    RemoteRequest,
    Transaction,
    TransactionEvent,
)
from tourmaline.services.ports import ReservationUse
from tourmaline.services.stations import dialect_insert
from tourmaline.services.transaction_state import TxState

__all__ = ["REMOTE_START_LINK_WINDOW", "GroupWrites", "ReservationClaim", "write_group"]

log = structlog.get_logger(__name__)

_TX: Table = Transaction.__table__  # type: ignore[assignment]
_EVENTS: Table = TransactionEvent.__table__  # type: ignore[assignment]
_REMOTE: Table = RemoteRequest.__table__  # type: ignore[assignment]
_STATIONS: Table = ChargingStation.__table__  # type: ignore[assignment]
_CONNECTORS: Table = Connector.__table__  # type: ignore[assignment]

# A RequestStartTransaction answer and the transaction carrying its remoteStartId are linked
# when they arrive within this time of each other: ids are reused, old ones must not match.
REMOTE_START_LINK_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ReservationClaim:
    """interface.md §10.1 `reservationId`: consumed by the transaction, in the same commit."""

    station_id: str
    reservation_id: int
    transaction_id: str
    at: datetime


@dataclass(kw_only=True)
class GroupWrites:
    now: datetime
    states: dict[tuple[str, str], TxState]
    reservations: ReservationUse | None = None
    staged: list[tuple[TxState, dict[str, Any]]] = field(default_factory=list)
    remote_links: list[TxState] = field(default_factory=list)
    connectors: set[tuple[str, int, int]] = field(default_factory=set)
    claims: list[ReservationClaim] = field(default_factory=list)


async def write_group(session: AsyncSession, group: GroupWrites) -> None:
    await _ensure_connectors(session, group)
    await _save_states(session, group)
    event_rows = [{**row, "transaction_db_id": state.db_id} for state, row in group.staged]
    await session.execute(_EVENTS.insert(), event_rows)
    await _link_remote_starts(session, group)
    await _consume_reservations(session, group)


async def _ensure_connectors(session: AsyncSession, group: GroupWrites) -> None:
    """EVSE/connector records are created on demand (interface.md §10.1); the station row too,
    since connectors belong to one."""
    if not group.connectors:
        return
    stations = [{"id": station_id} for station_id in {c[0] for c in group.connectors}]
    station_insert = dialect_insert(session, _STATIONS).values(
        is_online=False, min_security_profile=0, created_at=group.now, updated_at=group.now
    )
    await session.execute(station_insert.on_conflict_do_nothing(), stations)
    rows = [{"station_id": s, "evse_id": e, "connector_id": c} for s, e, c in group.connectors]
    connector_insert = dialect_insert(session, _CONNECTORS).on_conflict_do_nothing()
    await session.execute(connector_insert, rows)


async def _save_states(session: AsyncSession, group: GroupWrites) -> None:
    changed = [state for state in group.states.values() if state.changed]
    # Deactivations first: the partial unique index must never see two active rows per EVSE.
    existing = sorted((s for s in changed if s.db_id is not None), key=lambda s: s.is_active)
    if existing:
        params = [_update_params(state) for state in existing]
        await session.execute(_STATE_UPDATE, params)
    new = [state for state in changed if state.db_id is None]
    if new:
        await _insert_transactions(session, new)


async def _insert_transactions(session: AsyncSession, states: list[TxState]) -> None:
    """One multi-row INSERT; ids are matched back by (station, transactionId), because asking
    for them in parameter order makes SQLAlchemy fall back to one INSERT per row on SQLite."""
    statement = _TX.insert().returning(_TX.c.id, _TX.c.station_id, _TX.c.transaction_id)
    result = await session.execute(statement, [state.to_row() for state in states])
    ids = {(row[1], row[2]): row[0] for row in result}
    for state in states:
        state.db_id = ids[state.key]


# Every column an event may change: the identity and creation time never do.
_MUTABLE = tuple(
    name for name in TxState.columns() if name not in ("station_id", "transaction_id", "created_at")
)
_STATE_UPDATE = (
    update(_TX)
    .where(_TX.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}") for name in _MUTABLE})
)


def _update_params(state: TxState) -> dict[str, Any]:
    params = {f"b_{name}": getattr(state, name) for name in _MUTABLE}
    params["b_id"] = state.db_id
    return params


async def _link_remote_starts(session: AsyncSession, group: GroupWrites) -> None:
    """The RequestStartTransaction answer recorded earlier gets its transaction (§7.4)."""
    if not group.remote_links:
        return
    statement = (
        update(_REMOTE)
        .where(
            _REMOTE.c.station_id == bindparam("b_station_id"),
            _REMOTE.c.remote_start_id == bindparam("b_remote_start_id"),
            _REMOTE.c.action == "RequestStartTransaction",
            _REMOTE.c.status == "Accepted",
            _REMOTE.c.transaction_id.is_(None),
            _REMOTE.c.answered_at >= bindparam("b_since", type_=UTCDateTime()),
        )
        .values(transaction_id=bindparam("b_transaction_id"))
    )
    params = [
        {
            "b_station_id": state.station_id,
            "b_remote_start_id": state.remote_start_id,
            "b_transaction_id": state.transaction_id,
            "b_since": group.now - REMOTE_START_LINK_WINDOW,
        }
        for state in group.remote_links
    ]
    await session.execute(statement, params)


async def _consume_reservations(session: AsyncSession, group: GroupWrites) -> None:
    if group.reservations is None:
        return
    for claim in group.claims:
        used = await group.reservations.consume(
            session,
            claim.station_id,
            claim.reservation_id,
            transaction_id=claim.transaction_id,
            now=claim.at,
        )
        if not used:
            log.info(
                "reservation not consumed",
                station_id=claim.station_id,
                reservation_id=claim.reservation_id,
            )
