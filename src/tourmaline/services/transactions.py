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
from tourmaline.ocpp.v201.models.transaction_event import IdTokenEnumType
from tourmaline.services.batching import Batcher
from tourmaline.services.ports import AuthorizationOutcome, IdTokenAuthorizer, ReservationUse
from tourmaline.services.remote_requests import RemoteResult, record_remote_result
from tourmaline.services.tariffs import TariffService
from tourmaline.services.transaction_writes import (
    EventInput,
    EventOptions,
    apply_events,
    token_variants,
)
from tourmaline.settings import TransactionSettings

_EVENT_TYPES = ("Started", "Updated", "Ended")

__all__ = ["TransactionService"]

log = structlog.get_logger(__name__)

_TX: Table = Transaction.__table__  # type: ignore[assignment]
_METER: Table = MeterValue.__table__  # type: ignore[assignment]
_EVENTS_ANSWERED = {kind: TRANSACTION_EVENTS.labels(event_type=kind) for kind in _EVENT_TYPES}


@dataclass(frozen=True, slots=True)
class _MeterRows:
    rows: list[dict[str, Any]]


_Work = EventInput | _MeterRows | RemoteResult


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
        tariffs: TariffService,
        reservations: ReservationUse | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._authorizer = authorizer
        self._tariffs = tariffs
        self._options = EventOptions(settings.cost_on_meter_values, reservations)
        self._batcher: Batcher[_Work, Any] = Batcher(
            self._commit, key=_key, max_batch=settings.max_batch, linger=settings.group_linger
        )

    async def on_transaction_event(self, station_id: str, payload: JsonObject) -> JsonObject:
        """interface.md §10.1 for a schema-valid TransactionEventRequest payload, which is
        stored as received; a repeated event gets its first answer again, unchanged."""
        request = TransactionEventRequest.model_validate(payload)
        outcome = await self._authorize(station_id, request)
        work = EventInput(station_id, payload, request, self._clock.now(), outcome)
        answer: JsonObject = await self._batcher.submit(work)
        _EVENTS_ANSWERED[request.event_type.value].inc()
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

    async def on_meter_values(self, station_id: str, payload: JsonObject) -> None:
        """interface.md §10.5: a schema-valid MeterValuesRequest payload, stored as received
        against the EVSE, not a transaction."""
        request = MeterValuesRequest.model_validate(payload)
        rows = [
            {
                "station_id": station_id,
                "evse_id": request.evse_id,
                "timestamp": meter_value.timestamp,
                "sampled_value": raw["sampledValue"],
            }
            for meter_value, raw in zip(request.meter_value, payload["meterValue"], strict=True)
        ]
        await self._batcher.submit(_MeterRows(rows))

    async def record_remote_result(
        self, station_id: str, action: str, request: JsonObject, response: JsonObject
    ) -> None:
        result = RemoteResult(station_id, action, request, response, self._clock.now())
        await self._batcher.submit(result)

    async def has_active_transaction(self, id_token: str, token_type: str) -> bool:
        """`ActiveTransactions` port (services/ports.py), for Authorize's ConcurrentTx; never
        for NoAuthorization, which is no one's token."""
        if token_type == IdTokenEnumType.no_authorization.value:
            return False
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
        events = [item for item in work if isinstance(item, EventInput)]
        prices = await self._tariffs.current_prices() if events else None
        async with self._sessionmaker.begin() as session:
            now = self._clock.now()
            answers = iter(await apply_events(session, events, now, self._options, prices))
            meter_rows = [row for item in work if isinstance(item, _MeterRows) for row in item.rows]
            if meter_rows:
                await session.execute(_METER.insert(), meter_rows)
            for item in work:
                if isinstance(item, RemoteResult):
                    await record_remote_result(session, item)
            return [next(answers) if isinstance(item, EventInput) else None for item in work]
