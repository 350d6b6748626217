"""Remote-control commands sent through the message API or the console (interface.md §7.4):
one `remote_requests` row per call with its final outcome, and the effects two answers have on
transactions.

* `Answered`: the CALLRESULT, stored by the result route (handlers/remote_control.py) in the
  transaction service's write groups, so it is ordered with the transaction's events.
* `CallError`, `Timeout`, `Disconnected`, `NotSent`: reported once by CommandService
  (`on_unanswered`) and stored by `RemoteRequestLog`; they change no transaction.
* An accepted RequestStartTransaction keeps `remoteStartId`, `idToken` and `evseId`; the
  transaction that carries the same remoteStartId is linked to it, whichever of the two arrives
  first. A start that was not accepted is never linked.
* GetTransactionStatus with `ongoingIndicator` false marks the transaction inactive but does not
  end it, so a queued Ended event still applies (§7.4 deviation, citrineos-core PR #1053).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import RemoteRequest, Transaction
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.ports import Unanswered
from tourmaline.services.transaction_rows import REMOTE_START_LINK_WINDOW

__all__ = [
    "REMOTE_ACTIONS",
    "RemoteAction",
    "RemoteOutcome",
    "RemoteRequestLog",
    "RemoteRequestQuery",
    "RemoteRequestView",
    "RemoteResult",
    "record_remote_result",
]

RemoteAction = Literal[
    "RequestStartTransaction",
    "RequestStopTransaction",
    "UnlockConnector",
    "GetTransactionStatus",
    "ChangeAvailability",
    "ClearCache",
]
REMOTE_ACTIONS: tuple[str, ...] = get_args(RemoteAction)

RemoteOutcome = Literal["Answered", "CallError", "Timeout", "Disconnected", "NotSent"]
ANSWERED: Final = "Answered"

_REMOTE: Table = RemoteRequest.__table__  # type: ignore[assignment]
_TX: Table = Transaction.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class RemoteResult:
    station_id: str
    action: str
    request: JsonObject
    response: JsonObject
    answered_at: datetime
    outcome: RemoteOutcome = ANSWERED
    reason: str | None = None

    @property
    def answered(self) -> bool:
        return self.outcome == ANSWERED

    @property
    def transaction_id(self) -> str | None:
        value = self.request.get("transactionId")
        return value if isinstance(value, str) else None


async def record_remote_result(session: AsyncSession, result: RemoteResult) -> None:
    row = _row(result)
    if result.action == "RequestStartTransaction" and row["transaction_id"] is None:
        row["transaction_id"] = await _started_by(session, result)
    await session.execute(_REMOTE.insert(), [row])
    if not result.answered:
        return
    if result.action == "GetTransactionStatus" and result.response.get("ongoingIndicator") is False:
        await _mark_inactive(session, result)


def _row(result: RemoteResult) -> dict[str, Any]:
    request, response = result.request, result.response
    token = request.get("idToken")
    token = token if isinstance(token, dict) else {}
    evse = request.get("evse")
    evse_id = request.get("evseId", evse.get("id") if isinstance(evse, dict) else None)
    status = response.get("status") if result.answered else None
    error_code = None if result.answered else response.get("errorCode")
    transaction_id = response.get("transactionId") or result.transaction_id
    return {
        "station_id": result.station_id,
        "action": result.action,
        "outcome": result.outcome,
        "status": status if isinstance(status, str) else None,
        "error_code": error_code if isinstance(error_code, str) else None,
        "reason": result.reason,
        "request": request,
        "response": response,
        "answered_at": result.answered_at,
        "remote_start_id": _int(request.get("remoteStartId")),
        "id_token": token.get("idToken"),
        "id_token_type": token.get("type"),
        "evse_id": _int(evse_id),
        "transaction_id": transaction_id if isinstance(transaction_id, str) else None,
    }


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _started_by(session: AsyncSession, result: RemoteResult) -> str | None:
    """The transaction that already carries this remoteStartId (a Started event that overtook
    the answer), if any, within the link window."""
    remote_start_id = _int(result.request.get("remoteStartId"))
    # Only a start the station accepted can begin a transaction; transaction_rows.py links
    # the other way round under the same condition.
    if (
        remote_start_id is None
        or not result.answered
        or result.response.get("status") != "Accepted"
    ):
        return None
    query = (
        select(_TX.c.transaction_id)
        .where(
            _TX.c.station_id == result.station_id,
            _TX.c.remote_start_id == remote_start_id,
            _TX.c.created_at >= result.answered_at - REMOTE_START_LINK_WINDOW,
        )
        .order_by(_TX.c.id.desc())
        .limit(1)
    )
    found: str | None = await session.scalar(query)
    return found


async def _mark_inactive(session: AsyncSession, result: RemoteResult) -> None:
    if result.transaction_id is None:
        return
    statement = (
        update(_TX)
        .where(
            _TX.c.station_id == result.station_id,
            _TX.c.transaction_id == result.transaction_id,
            _TX.c.is_active,
        )
        .values(is_active=False, updated_at=result.answered_at)
    )
    await session.execute(statement)


class RemoteRequestLog:
    """CommandService's `on_unanswered` hook: a remote-control call that got no CALLRESULT gets
    its row here (other actions are only in the message log)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    async def record_unanswered(
        self, station_id: str, action: str, request: JsonObject, unanswered: Unanswered
    ) -> None:
        if action not in REMOTE_ACTIONS:
            return
        result = RemoteResult(
            station_id,
            action,
            request,
            unanswered.error or {},
            self._clock.now(),
            outcome=unanswered.outcome,
            reason=unanswered.reason,
        )
        async with self._sessionmaker.begin() as session:
            await record_remote_result(session, result)


class RemoteRequestView(BaseModel):
    model_config = ConfigDict(populate_by_name=True, from_attributes=True)

    id: int
    station_id: str = Field(alias="stationId")
    action: str
    outcome: RemoteOutcome = Field(
        description="Answered (a CALLRESULT), CallError, Timeout, Disconnected (the socket "
        "closed before an answer) or NotSent (station offline, or refused before sending)"
    )
    status: str | None = Field(description="The CALLRESULT's status (Answered only)")
    error_code: str | None = Field(alias="errorCode", description="The CALLERROR's errorCode")
    reason: str | None = Field(
        description="Why there is no CALLRESULT: the CALLERROR's errorDescription, or the "
        "message API's text for a timeout or a call not sent"
    )
    request: dict[str, Any]
    response: dict[str, Any] = Field(
        description="The CALLRESULT payload, the CALLERROR (errorCode, errorDescription, "
        "errorDetails), or {} when nothing came back"
    )
    answered_at: datetime = Field(alias="answeredAt", description="When the outcome was known")
    remote_start_id: int | None = Field(alias="remoteStartId")
    evse_id: int | None = Field(alias="evseId")
    transaction_id: str | None = Field(alias="transactionId")


class RemoteRequestQuery:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def search(
        self,
        *,
        station_id: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RemoteRequestView]:
        query = select(RemoteRequest).order_by(RemoteRequest.id.desc()).limit(limit)
        if station_id is not None:
            query = query.where(RemoteRequest.station_id == station_id)
        if action is not None:
            query = query.where(RemoteRequest.action == action)
        if outcome is not None:
            query = query.where(RemoteRequest.outcome == outcome)
        async with self._sessionmaker() as session:
            rows = await session.scalars(query.offset(offset))
            return [RemoteRequestView.model_validate(row) for row in rows]
