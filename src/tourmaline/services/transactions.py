"""Charging sessions (interface.md §10.1, §10.5, §7.4): TransactionEvent, stand-alone
MeterValues and the answers to remote-control commands, all committed before the station or
the caller hears back (design.md §1.6), and quickly.

Every write goes through one group-commit `Batcher` (services/batching.py): whatever queued up
while the database was busy shares the next transaction, and each caller is answered after that
commit. Work on one transaction (its events, a GetTransactionStatus answer) is never in the same
group, so the order in which a station sent it is the order in which it is applied, inside and
across groups, and a retried event finds the answer stored for it.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Table, exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import MeterValue, Transaction
from tourmaline.metrics import TRANSACTION_EVENTS
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models import MeterValuesRequest, TransactionEventRequest
from tourmaline.ocpp.v201.models.transaction_event import MeterValueType
from tourmaline.services.batching import Batcher
from tourmaline.services.ports import AuthorizationOutcome, IdTokenAuthorizer, ReservationUse
from tourmaline.services.remote_requests import RemoteResult, record_remote_result
from tourmaline.services.transaction_writes import (
    EventInput,
    EventOptions,
    apply_events,
    meter_value_rows,
    token_variants,
)
from tourmaline.settings import TransactionSettings

__all__ = ["NoTokenStoreAuthorizer", "TransactionService"]

log = structlog.get_logger(__name__)

_TX: Table = Transaction.__table__  # type: ignore[assignment]
_METER: Table = MeterValue.__table__  # type: ignore[assignment]


class NoTokenStoreAuthorizer:
    """Stand-in `IdTokenAuthorizer` until the ID-token service is wired in runtime.py: with no
    token store every token is `Unknown` except type NoAuthorization, which is `Accepted`
    (interface.md §10.2, rows 1 and 3)."""

    async def authorize(
        self, station_id: str, id_token: JsonObject, *, evse_id: int | None = None
    ) -> AuthorizationOutcome:
        status = "Accepted" if id_token.get("type") == "NoAuthorization" else "Unknown"
        return AuthorizationOutcome({"status": status})


@dataclass(frozen=True, slots=True)
class _MeterInput:
    station_id: str
    evse_id: int
    meter_values: list[MeterValueType]


_Work = EventInput | _MeterInput | RemoteResult


def _key(work: _Work) -> Hashable:
    """Work on one transaction never shares a group; everything else may."""
    if isinstance(work, EventInput):
        return work.key
    if isinstance(work, RemoteResult) and work.transaction_id is not None:
        return (work.station_id, work.transaction_id)
    return id(work)


class TransactionService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: TransactionSettings,
        *,
        authorizer: IdTokenAuthorizer,
        reservations: ReservationUse | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._authorizer = authorizer
        self._options = EventOptions(settings.cost_on_meter_values, reservations)
        self._batcher: Batcher[_Work, Any] = Batcher(
            self._commit, key=_key, max_batch=settings.max_batch
        )

    async def on_transaction_event(
        self, station_id: str, request: TransactionEventRequest
    ) -> JsonObject:
        """interface.md §10.1; the answer is sent again, unchanged, to a repeated event."""
        outcome = await self._authorize(station_id, request)
        work = EventInput(station_id, request, self._clock.now(), outcome)
        answer: JsonObject = await self._batcher.submit(work)
        TRANSACTION_EVENTS.labels(event_type=request.event_type.value).inc()
        return answer

    async def _authorize(
        self, station_id: str, request: TransactionEventRequest
    ) -> AuthorizationOutcome | None:
        token = request.id_token
        if token is None:
            return None
        wire = token.model_dump(by_alias=True, exclude_none=True, mode="json")
        evse_id = request.evse.id if request.evse is not None else None
        return await self._authorizer.authorize(station_id, wire, evse_id=evse_id)

    async def on_meter_values(self, station_id: str, request: MeterValuesRequest) -> None:
        """interface.md §10.5: stored against the EVSE, not a transaction."""
        meter_values: list[Any] = list(request.meter_value)
        await self._batcher.submit(_MeterInput(station_id, request.evse_id, meter_values))

    async def record_remote_result(
        self, station_id: str, action: str, request: JsonObject, response: JsonObject
    ) -> None:
        result = RemoteResult(station_id, action, request, response, self._clock.now())
        await self._batcher.submit(result)

    async def has_active_transaction(self, id_token: str, token_type: str) -> bool:
        """`ActiveTransactions` port (services/ports.py), for Authorize's ConcurrentTx."""
        query = select(
            exists().where(
                _TX.c.is_active,
                _TX.c.id_token.in_(token_variants(id_token)),
                _TX.c.id_token_type == token_type,
            )
        )
        async with self._sessionmaker() as session:
            return bool(await session.scalar(query))

    async def _commit(self, work: list[_Work]) -> list[Any]:
        async with self._sessionmaker.begin() as session:
            now = self._clock.now()
            events = [item for item in work if isinstance(item, EventInput)]
            answers = iter(await apply_events(session, events, now, self._options))
            await _insert_meter_values(session, [w for w in work if isinstance(w, _MeterInput)])
            for item in work:
                if isinstance(item, RemoteResult):
                    await record_remote_result(session, item)
            return [next(answers) if isinstance(item, EventInput) else None for item in work]


async def _insert_meter_values(session: AsyncSession, inputs: list[_MeterInput]) -> None:
    rows = [
        row
        for item in inputs
        for row in meter_value_rows(item.station_id, item.evse_id, item.meter_values)
    ]
    if rows:
        await session.execute(_METER.insert(), rows)
