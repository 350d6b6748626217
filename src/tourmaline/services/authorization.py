"""The verdict on a presented idToken (interface.md §10.2; OCPP 2.0.1 C01, C09, C10, C12).

`authorize` answers TransactionEvent idTokens (the `IdTokenAuthorizer` port) and
`authorize_request` the Authorize message, which adds the ConcurrentTx check. In order:

1. `NoAuthorization` → Accepted, without a lookup.
2. Format wrong for the type → Invalid (a business answer, never a CALLERROR).
3. No stored token → Unknown; a stored status other than Accepted → that status.
4. `cacheExpiryDateTime` in the past → Invalid (interface.md §10.2).
5. Restrictions against the device model → NotAllowedTypeEVSE / NotAtThisLocation.
6. (Authorize only) `concurrentTransaction` false and an active transaction → ConcurrentTx.
7. Accepted, and the station shows messages → personalMessage "<pricePerKwh>/kWh".

The stored idTokenInfo (groupIdToken for master passes, TC_C_39/47-49, languages, priority) is
returned with every verdict on a stored token. Lookups of concurrent Authorize calls share one
query (services/batching.py); the device model is read only for tokens with restrictions or
when a personal message may be added.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.lookups import KeyLookup
from tourmaline.db.models import Authorization
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.batching import Batcher
from tourmaline.services.ports import ActiveTransactions, AuthorizationOutcome, TariffPrices
from tourmaline.services.station_facts import (
    StationFacts,
    read_station_facts,
    restriction_status,
)
from tourmaline.services.token_format import NO_AUTHORIZATION, token_format_problem, token_key
from tourmaline.services.token_models import id_token_info_of

__all__ = ["AuthorizationService"]

ACCEPTED = "Accepted"
INVALID = "Invalid"
UNKNOWN = "Unknown"
CONCURRENT_TX = "ConcurrentTx"
MESSAGE_FORMAT = "ASCII"

_Key = tuple[str, str]
_TOKENS: Table = Authorization.__table__  # type: ignore[assignment]
_TOKEN_KEYS = KeyLookup("token", (_TOKENS.c.token_key, _TOKENS.c.type))


def _verdict(status: str, row: Authorization | None = None) -> AuthorizationOutcome:
    if row is None:
        return AuthorizationOutcome({"status": status})
    return AuthorizationOutcome(id_token_info_of(row, status), row.concurrent_transaction)


@dataclass(frozen=True, slots=True)
class _Presented:
    station_id: str
    id_token: str
    type: str
    evse_id: int | None


class AuthorizationService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        active_transactions: ActiveTransactions | None = None,
        tariffs: TariffPrices | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        # Ports owned by the transactions service; None = not wired, the step is skipped.
        self.active_transactions = active_transactions
        self.tariffs = tariffs
        self._lookup: Batcher[_Key, Authorization | None] = Batcher(
            self._lookup_many, key=lambda key: key
        )

    async def authorize(
        self, station_id: str, id_token: JsonObject, *, evse_id: int | None = None
    ) -> AuthorizationOutcome:
        """interface.md §10.2 for one IdTokenType in wire form; never raises on bad input."""
        presented = _presented(station_id, id_token, evse_id)
        if presented is None:
            return _verdict(INVALID)
        return await self._judge(presented, check_concurrent=False)

    async def authorize_request(
        self, station_id: str, id_token: JsonObject
    ) -> AuthorizationOutcome:
        """The Authorize message: as `authorize`, plus ConcurrentTx (steps 6)."""
        presented = _presented(station_id, id_token, None)
        if presented is None:
            return _verdict(INVALID)
        return await self._judge(presented, check_concurrent=True)

    async def _judge(
        self, presented: _Presented, *, check_concurrent: bool
    ) -> AuthorizationOutcome:
        if presented.type == NO_AUTHORIZATION:
            # No identity, so nothing to hold concurrently: every EVSE may run such a session.
            return AuthorizationOutcome({"status": ACCEPTED}, concurrent_transaction=True)
        if token_format_problem(presented.id_token, presented.type) is not None:
            return _verdict(INVALID)
        row = await self._lookup.submit((token_key(presented.id_token), presented.type))
        if row is None:
            return _verdict(UNKNOWN)
        status = await self._status(presented, row, check_concurrent)
        outcome = _verdict(status, row)
        if status == ACCEPTED:
            await self._add_price_message(presented.station_id, outcome)
        return outcome

    async def _status(
        self, presented: _Presented, row: Authorization, check_concurrent: bool
    ) -> str:
        if row.status != ACCEPTED:
            return row.status
        expiry = row.cache_expiry_date_time
        if expiry is not None and expiry < self._clock.now():
            return INVALID
        if row.allowed_connector_types or row.disallowed_evse_id_prefixes:
            facts = await self._facts(presented.station_id, evses=True, messages=False)
            refusal = restriction_status(
                row.allowed_connector_types,
                row.disallowed_evse_id_prefixes,
                facts,
                presented.evse_id,
            )
            if refusal is not None:
                return refusal
        if check_concurrent and await self._busy_elsewhere(presented, row):
            return CONCURRENT_TX
        return ACCEPTED

    async def _busy_elsewhere(self, presented: _Presented, row: Authorization) -> bool:
        if row.concurrent_transaction or self.active_transactions is None:
            return False
        return await self.active_transactions.has_active_transaction(
            presented.id_token, presented.type
        )

    async def _add_price_message(self, station_id: str, outcome: AuthorizationOutcome) -> None:
        """interface.md §10.2 personal message: the operator-wide price per kWh (§10.6)."""
        if self.tariffs is None:
            return
        facts = await self._facts(station_id, evses=False, messages=True)
        if not facts.shows_messages:
            return
        price = await self.tariffs.price_per_kwh()
        if price is not None:
            outcome.id_token_info["personalMessage"] = {
                "format": MESSAGE_FORMAT,
                "content": f"{price}/kWh",
            }

    async def _facts(self, station_id: str, *, evses: bool, messages: bool) -> StationFacts:
        async with self._sessionmaker() as session:
            return await read_station_facts(session, station_id, evses=evses, messages=messages)

    async def _lookup_many(self, keys: builtins.list[_Key]) -> builtins.list[Authorization | None]:
        where, params = _TOKEN_KEYS.matching(keys)
        async with self._sessionmaker() as session:
            rows = await session.scalars(select(Authorization).where(where), params)
            found = {(row.token_key, row.type): row for row in rows}
        return [found.get(key) for key in keys]


def _presented(station_id: str, id_token: JsonObject, evse_id: int | None) -> _Presented | None:
    value, token_type = id_token.get("idToken"), id_token.get("type")
    if not isinstance(value, str) or not isinstance(token_type, str):
        return None
    return _Presented(station_id, value, token_type, evse_id)
