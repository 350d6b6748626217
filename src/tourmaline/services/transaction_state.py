"""One transaction's state and how one TransactionEvent changes it (interface.md §10.1): pure
code, no database, so every rule below is tested on its own.

* `is_active` only goes from true to false. An event never reopens a transaction.
* The first Ended event ends it for good: `end_time`, `stopped_reason` and `ended_seq_no` are set
  once; later events (offline replays, late retries) are stored but change none of them.
* Latest-state fields (`chargingState`, `timeSpentCharging`, EVSE) come from the event with the
  newest timestamp, so an out-of-order replay does not roll them back. Timestamps, not seqNos,
  decide: seqNos may restart (OCTT TC_E_53) and have gaps.
* Energy follows services/metering.py; cost services/tariffs.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table

from tourmaline.ocpp.v201.models.transaction_event import (
    TransactionEventEnumType,
    TransactionEventRequest,
)
from tourmaline.services.metering import EnergyReading, MeterTotals
from tourmaline.services.tariffs import Prices, session_cost

__all__ = ["EventApplied", "TxState", "add_seq_no", "apply_event", "supersede"]

STARTED = TransactionEventEnumType.started
ENDED = TransactionEventEnumType.ended
# OCPP 2.0.1 TransactionType.stoppedReason: "MAY only be omitted when Reason is Local".
DEFAULT_STOPPED_REASON = "Local"


@dataclass(slots=True)
class TxState:
    """A `transactions` row in memory; `db_id` is None until inserted."""

    station_id: str
    transaction_id: str
    created_at: datetime
    updated_at: datetime
    db_id: int | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    is_active: bool = True
    start_time: datetime | None = None
    end_time: datetime | None = None
    last_event_at: datetime | None = None
    charging_state: str | None = None
    time_spent_charging: int | None = None
    stopped_reason: str | None = None
    stopped_note: str | None = None
    ended_seq_no: int | None = None
    remote_start_id: int | None = None
    id_token: str | None = None
    id_token_type: str | None = None
    authorization_status: str | None = None
    meter_start: float | None = None
    meter_start_at: datetime | None = None
    meter_max: float | None = None
    total_kwh: float = 0.0
    total_cost: float | None = None
    last_seq_no: int | None = None
    seq_ranges: list[list[int]] = field(default_factory=list)
    event_count: int = 0
    changed: bool = field(default=False, compare=False)

    @classmethod
    def from_row(cls, row: Any) -> TxState:
        """A row selected with `selected_columns`: by position, which is cheaper than by name
        for the two dozen columns of every transaction a group loads."""
        return cls(db_id=row[0], **dict(zip(_COLUMNS, row[1:], strict=True)))

    @staticmethod
    def selected_columns(table: Table) -> list[ColumnElement[Any]]:
        """What `from_row` reads, in its order: `id`, then `columns()`."""
        return [table.c.id, *(table.c[name] for name in _COLUMNS)]

    def to_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _COLUMNS}

    @staticmethod
    def columns() -> tuple[str, ...]:
        """The `transactions` columns this state holds (all but `id`)."""
        return _COLUMNS

    @property
    def key(self) -> tuple[str, str]:
        return (self.station_id, self.transaction_id)

    @property
    def has_ended(self) -> bool:
        return self.ended_seq_no is not None

    def has_seq_no(self, seq_no: int) -> bool:
        return any(first <= seq_no <= last for first, last in self.seq_ranges)

    def charging_seconds(self, until: datetime | None = None) -> float:
        """timeSpentCharging when reported, else the elapsed time (tariffs.py)."""
        if self.time_spent_charging is not None:
            return float(self.time_spent_charging)
        end = self.end_time or until or self.last_event_at
        if self.start_time is None or end is None:
            return 0.0
        return max((end - self.start_time).total_seconds(), 0.0)

    def price(self, prices: Prices | None, until: datetime | None = None) -> float:
        cost = session_cost(prices, self.total_kwh, self.charging_seconds(until))
        return float(cost)


_COLUMNS = tuple(f.name for f in fields(TxState) if f.name not in ("db_id", "changed"))


@dataclass(frozen=True, slots=True)
class EventApplied:
    """What the caller logs about an event: seqNo irregularities and ignored readings."""

    seq_gap: bool = False
    out_of_order: bool = False
    after_end: bool = False
    refused_readings: int = 0

    @property
    def irregular(self) -> bool:
        return self.seq_gap or self.out_of_order or self.after_end or self.refused_readings > 0


def apply_event(
    state: TxState, event: TransactionEventRequest, readings: list[EnergyReading]
) -> EventApplied:
    """Fold one (non-duplicate) event into `state`."""
    was_ended = state.has_ended
    seq = _track_seq_no(state, event.seq_no)
    newest = state.last_event_at is None or event.timestamp >= state.last_event_at
    _apply_times(state, event, newest)
    _apply_info(state, event, newest)
    refused = _apply_readings(state, readings)
    if event.event_type is ENDED and not was_ended:
        _end(state, event)
    state.changed = True
    return EventApplied(
        seq_gap=seq == "gap",
        out_of_order=seq == "older",
        after_end=was_ended,
        refused_readings=refused,
    )


def _track_seq_no(state: TxState, seq_no: int) -> str:
    state.event_count += 1
    state.seq_ranges = add_seq_no(state.seq_ranges, seq_no)
    last = state.last_seq_no
    if last is None or seq_no > last:
        state.last_seq_no = seq_no
        return "gap" if last is not None and seq_no > last + 1 else "next"
    return "older"


def _apply_times(state: TxState, event: TransactionEventRequest, newest: bool) -> None:
    if event.event_type is STARTED or state.start_time is None:
        state.start_time = event.timestamp
    if newest:
        state.last_event_at = event.timestamp


def _apply_info(state: TxState, event: TransactionEventRequest, newest: bool) -> None:
    info = event.transaction_info
    if info.remote_start_id is not None and state.remote_start_id is None:
        state.remote_start_id = info.remote_start_id
    if event.evse is not None and (newest or state.evse_id is None):
        state.evse_id = event.evse.id
        if event.evse.connector_id is not None:
            state.connector_id = event.evse.connector_id
    if not newest:
        return
    if info.charging_state is not None:
        state.charging_state = info.charging_state.value
    if info.time_spent_charging is not None:
        state.time_spent_charging = info.time_spent_charging


def _apply_readings(state: TxState, readings: list[EnergyReading]) -> int:
    totals = MeterTotals(state.meter_start, state.meter_start_at, state.meter_max)
    refused = sum(1 for reading in readings if not totals.add(reading))
    state.meter_start, state.meter_start_at = totals.start_wh, totals.start_at
    state.meter_max = totals.max_wh
    state.total_kwh = totals.total_kwh
    return refused


def _end(state: TxState, event: TransactionEventRequest) -> None:
    reason = event.transaction_info.stopped_reason
    state.is_active = False
    state.end_time = event.timestamp
    state.stopped_reason = reason.value if reason is not None else DEFAULT_STOPPED_REASON
    state.ended_seq_no = event.seq_no


def add_seq_no(ranges: list[list[int]], seq_no: int) -> list[list[int]]:
    """`ranges` with `seq_no` added, adjacent ranges merged."""
    merged: list[list[int]] = []
    for first, last in sorted([*ranges, [seq_no, seq_no]]):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged


def supersede(stale: TxState, newer: TxState, at: datetime) -> None:
    """interface.md §10.1: a newer transaction on the same EVSE ends the stale one."""
    stale.is_active = False
    stale.end_time = at
    stale.stopped_reason = "Other"
    stale.stopped_note = f"superseded by {newer.transaction_id}"
    stale.changed = True
