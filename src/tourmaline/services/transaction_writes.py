"""The database side of TransactionEvent (interface.md §10.1) for a whole group of events.

`apply_events` handles every event of a group in the caller's transaction with a fixed number
of statements, whatever the group's size: one read of the transactions concerned and of those
holding the same EVSEs, then the multi-row writes of services/transaction_rows.py. Only when
needed: the answers already given to repeated events (recognised from the transactions' seqNo
ranges: idempotency per station, transactionId and seqNo) and the other active transactions of
tokens that start one (ConcurrentTx). The Batcher in services/transactions.py gives it every
event that queued up while the previous group committed; events of one transaction are never in
the same group, so each group sees the previous one's effects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import Select, Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tourmaline.db.lookups import KeyLookup, bare_flag
from tourmaline.db.models import (
    ChargingStation,
    Connector,
    RemoteRequest,
    Transaction,
    TransactionEvent,
)
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models.transaction_event import (
    IdTokenEnumType,
    IdTokenType,
    TransactionEventEnumType,
    TransactionEventRequest,
)
from tourmaline.services.metering import energy_readings
from tourmaline.services.ports import AuthorizationOutcome, ReservationUse
from tourmaline.services.tariffs import Prices
from tourmaline.services.transaction_rows import GroupWrites, ReservationClaim, write_group
from tourmaline.services.transaction_state import EventApplied, TxState, apply_event, supersede

__all__ = [
    "EventInput",
    "EventOptions",
    "apply_events",
    "token_variants",
]

log = structlog.get_logger(__name__)

_TX: Table = Transaction.__table__  # type: ignore[assignment]
_EVENTS: Table = TransactionEvent.__table__  # type: ignore[assignment]
_REMOTE: Table = RemoteRequest.__table__  # type: ignore[assignment]
_STATIONS: Table = ChargingStation.__table__  # type: ignore[assignment]
_CONNECTORS: Table = Connector.__table__  # type: ignore[assignment]
# Each term repeats the condition of the partial index ix_transactions_active_evse.
_HELD_EVSES = KeyLookup(
    "evse", (_TX.c.station_id, _TX.c.evse_id), each=bare_flag(_TX.name, "is_active")
)
_KEYS = KeyLookup("tx", (_TX.c.station_id, _TX.c.transaction_id))
_STORED_ANSWERS = KeyLookup("answer", (_EVENTS.c.transaction_db_id, _EVENTS.c.seq_no))

STARTED = TransactionEventEnumType.started
ENDED = TransactionEventEnumType.ended
UPDATED = TransactionEventEnumType.updated

TxKey = tuple[str, str]
TokenKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class EventInput:
    """One event: the validated payload as received (what is stored) and its model."""

    station_id: str
    payload: JsonObject
    request: TransactionEventRequest
    received_at: datetime
    outcome: AuthorizationOutcome | None = None

    @property
    def key(self) -> TxKey:
        return (self.station_id, self.request.transaction_info.transaction_id)


@dataclass(frozen=True, slots=True)
class EventOptions:
    cost_on_meter_values: bool = False
    reservations: ReservationUse | None = None


@dataclass(kw_only=True)
class _Group(GroupWrites):
    """What one group of events knows while it is applied, in memory, and what it will write."""

    cost_on_meter_values: bool
    prices: Prices | None
    holders: dict[tuple[str, int], TxState] = field(default_factory=dict)
    tokens: dict[TokenKey, set[TxKey]] = field(default_factory=lambda: defaultdict(set))


async def apply_events(
    session: AsyncSession,
    events: list[EventInput],
    now: datetime,
    options: EventOptions,
    prices: Prices | None,
) -> list[JsonObject]:
    """The answer to each event, in order; keys (station, transactionId) are unique."""
    if not events:
        return []
    group = await _load_group(session, events, now, options, prices)
    answered = await _stored_answers(session, group, events)
    fresh = [event for event in events if _event_key(event) not in answered]
    for event in fresh:
        answered[_event_key(event)] = _apply(group, event)
    if fresh:
        await write_group(session, group)
    return [answered[_event_key(event)] for event in events]


def _event_key(event: EventInput) -> tuple[str, str, int]:
    return (*event.key, event.request.seq_no)


async def _stored_answers(
    session: AsyncSession, group: _Group, events: list[EventInput]
) -> dict[tuple[str, str, int], JsonObject]:
    """The answers already given to repeated events: only those need reading."""
    repeated = {}
    for event in events:
        state = group.states.get(event.key)
        if state is not None and state.db_id is not None and state.has_seq_no(event.request.seq_no):
            repeated[(state.db_id, event.request.seq_no)] = _event_key(event)
    if not repeated:
        return {}
    where, params = _STORED_ANSWERS.matching(list(repeated))
    query = select(_EVENTS.c.transaction_db_id, _EVENTS.c.seq_no, _EVENTS.c.response).where(where)
    rows = await session.execute(query, params)
    return {repeated[(row[0], row[1])]: dict(row[2]) for row in rows}


# -- loading ----------------------------------------------------------------------------------


async def _load_group(
    session: AsyncSession,
    events: list[EventInput],
    now: datetime,
    options: EventOptions,
    prices: Prices | None,
) -> _Group:
    keys = [event.key for event in events]
    evses = list({(e.station_id, e.request.evse.id) for e in events if e.request.evse})
    query = _group_query(_KEYS.slots(len(keys)), _HELD_EVSES.slots(len(evses)) if evses else 0)
    params = _KEYS.params(keys) | (_HELD_EVSES.params(evses) if evses else {})
    rows = await session.execute(query, params)
    states = {state.key: state for state in map(TxState.from_row, rows)}
    group = _Group(
        now=now,
        states=states,
        reservations=options.reservations,
        cost_on_meter_values=options.cost_on_meter_values,
        prices=prices,
    )
    for state in states.values():
        _hold(group, state)
    await _load_token_holders(session, group, events)
    return group


@lru_cache(maxsize=128)
def _group_query(key_slots: int, evse_slots: int) -> Select[Any]:
    """The transactions of a group's events and those holding its EVSEs (one active
    transaction per EVSE), built once per shape (db/lookups.py).

    FOR UPDATE (PostgreSQL; SQLite has one writer anyway): should a station's events reach
    two instances at once (a reconnect while its old socket's work is still queued), their
    groups take turns on its rows instead of overwriting each other's seqNo ranges."""
    where = _KEYS.clause(key_slots)
    if evse_slots:
        where = or_(where, _HELD_EVSES.clause(evse_slots))
    return select(*TxState.selected_columns(_TX)).where(where).with_for_update()


async def _load_token_holders(
    session: AsyncSession, group: _Group, events: list[EventInput]
) -> None:
    """Active transactions of the tokens that start a transaction in this group (ConcurrentTx)."""
    tokens = [e.request.id_token for e in events if _needs_concurrency_check(e)]
    if not tokens:
        return
    variants = {v for token in tokens if token is not None for v in token_variants(token.id_token)}
    query = select(_TX.c.station_id, _TX.c.transaction_id, _TX.c.id_token, _TX.c.id_token_type)
    query = query.where(_TX.c.is_active, _TX.c.id_token.in_(variants))
    for row in await session.execute(query):
        group.tokens[(row[2].casefold(), row[3])].add((row[0], row[1]))


def token_variants(id_token: str) -> set[str]:
    """IdToken is case-insensitive (OCPP 2.0.1 IdTokenType): the spellings an indexed lookup
    tries, which covers the hex case of RFID UIDs."""
    return {id_token, id_token.upper(), id_token.lower()}


def _needs_concurrency_check(event: EventInput) -> bool:
    """interface.md §10.2 ConcurrentTx: a Started event with an Accepted token that may not
    hold two sessions. NoAuthorization is no one's token: its sessions never collide."""
    outcome, token = event.outcome, event.request.id_token
    return (
        event.request.event_type is STARTED
        and token is not None
        and token.type is not IdTokenEnumType.no_authorization
        and outcome is not None
        and outcome.status == "Accepted"
        and not outcome.concurrent_transaction
    )


# -- applying one event -----------------------------------------------------------------------


def _apply(group: _Group, event: EventInput) -> JsonObject:
    request = event.request
    state = group.states.get(event.key) or _new_state(group, event)
    info = _id_token_info(group, event)
    old_evse, old_connector = state.evse_id, state.connector_id
    had_remote_start = state.remote_start_id
    applied = apply_event(state, request, energy_readings(request.meter_value or ()))
    _remember_token(state, request.id_token, info)
    _claim_evse(group, state, event, old_evse)
    _track_tokens(group, state)
    state.total_cost = state.price(group.prices)
    state.updated_at = group.now
    if state.remote_start_id is not None and had_remote_start is None:
        group.remote_links.append(state)
    if (state.evse_id, state.connector_id) != (old_evse, old_connector):
        _record_connector(group, state)
    _log_irregularities(event, applied)
    response = _response(group, state, request, info)
    _stage_event(group, state, event, response)
    return response


def _record_connector(group: _Group, state: TxState) -> None:
    if state.evse_id is not None and state.connector_id is not None:
        group.connectors.add((state.station_id, state.evse_id, state.connector_id))


def _new_state(group: _Group, event: EventInput) -> TxState:
    state = TxState(*event.key, created_at=group.now, updated_at=group.now)
    group.states[event.key] = state
    return state


def _id_token_info(group: _Group, event: EventInput) -> JsonObject | None:
    if event.outcome is None:
        return None
    info = dict(event.outcome.id_token_info)
    token = event.request.id_token
    if token is not None and _needs_concurrency_check(event):
        others = group.tokens.get((token.id_token.casefold(), token.type.value), set())
        if others - {event.key}:
            # interface.md §10.2: the token already holds an active transaction elsewhere.
            info["status"] = "ConcurrentTx"
    return info


def _remember_token(state: TxState, token: IdTokenType | None, info: JsonObject | None) -> None:
    """The first token presented authorizes the session; later ones (a stop token, a master
    pass) are kept on their events."""
    if token is None or state.id_token is not None:
        return
    state.id_token, state.id_token_type = token.id_token, token.type.value
    state.authorization_status = None if info is None else str(info.get("status"))


def _claim_evse(group: _Group, state: TxState, event: EventInput, old_evse: int | None) -> None:
    """interface.md §10.1: one active transaction per EVSE."""
    if old_evse is not None and group.holders.get((state.station_id, old_evse)) is state:
        del group.holders[(state.station_id, old_evse)]
    if not state.is_active or state.evse_id is None:
        return
    place = (state.station_id, state.evse_id)
    holder = group.holders.get(place)
    if holder is not None and holder is not state:
        timestamp = event.request.timestamp
        if _starts_later(timestamp, holder):
            supersede(holder, state, timestamp)
            _track_tokens(group, holder)
            log.warning(
                "stale transaction superseded",
                station_id=state.station_id,
                evse_id=state.evse_id,
                stale=holder.transaction_id,
                newer=state.transaction_id,
            )
        else:
            # An old replay (offline queue) for a transaction never seen: the EVSE stays with
            # the newer one, which is not stale.
            state.is_active = False
            state.stopped_note = f"EVSE {state.evse_id} held by {holder.transaction_id}"
            return
    group.holders[place] = state


def _starts_later(timestamp: datetime, holder: TxState) -> bool:
    """Whether an event at `timestamp` shows `holder` to be stale: it did not start later."""
    return holder.start_time is None or timestamp >= holder.start_time


def _hold(group: _Group, state: TxState) -> None:
    if state.is_active and state.evse_id is not None:
        group.holders[(state.station_id, state.evse_id)] = state


def _track_tokens(group: _Group, state: TxState) -> None:
    if state.id_token is None or state.id_token_type is None:
        return
    holders = group.tokens[(state.id_token.casefold(), state.id_token_type)]
    if state.is_active:
        holders.add(state.key)
    else:
        holders.discard(state.key)


def _log_irregularities(event: EventInput, applied: EventApplied) -> None:
    if not applied.irregular:
        return
    log.info(
        "transaction event irregular",
        station_id=event.station_id,
        transaction_id=event.key[1],
        seq_no=event.request.seq_no,
        seq_gap=applied.seq_gap,
        out_of_order=applied.out_of_order,
        after_end=applied.after_end,
        refused_readings=applied.refused_readings,
    )


def _response(
    group: _Group, state: TxState, request: TransactionEventRequest, info: JsonObject | None
) -> JsonObject:
    response: JsonObject = {}
    if request.event_type is ENDED or (
        request.event_type is UPDATED and group.cost_on_meter_values
    ):
        response["totalCost"] = state.total_cost
    if info is not None:
        response["idTokenInfo"] = info
    return response


def _stage_event(group: _Group, state: TxState, event: EventInput, response: JsonObject) -> None:
    request, payload = event.request, event.payload
    evse = request.evse
    row = {
        "station_id": event.station_id,
        "transaction_id": event.key[1],
        "seq_no": request.seq_no,
        "event_type": request.event_type.value,
        "timestamp": request.timestamp,
        "received_at": event.received_at,
        "trigger_reason": request.trigger_reason.value,
        "offline": bool(request.offline),
        "number_of_phases_used": request.number_of_phases_used,
        "cable_max_current": request.cable_max_current,
        "reservation_id": request.reservation_id,
        "evse_id": evse.id if evse else None,
        "connector_id": evse.connector_id if evse else None,
        "id_token": payload.get("idToken"),
        "transaction_info": payload["transactionInfo"],
        "meter_value": payload.get("meterValue"),
        "response": response,
    }
    group.staged.append((state, row))
    if request.reservation_id is not None:
        claim = ReservationClaim(
            event.station_id, request.reservation_id, state.transaction_id, event.received_at
        )
        group.claims.append(claim)
