"""`/data/transactions/*` (interface.md §8.2, §10.6): sessions, meter values, tariffs and
remote-control answers, read through the REST app; strict query and body validation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.tx_support import TokenBook, meter_values, tx_event
from tourmaline.api.app import create_api
from tourmaline.api.deps import ApiDeps
from tourmaline.services.ports import Unanswered
from tourmaline.services.remote_requests import RemoteRequestLog, RemoteRequestQuery
from tourmaline.services.tariffs import TariffService
from tourmaline.services.transaction_query import TransactionQuery
from tourmaline.services.transactions import TransactionService
from tourmaline.settings import TransactionSettings

from .conftest import FixedClock, error_of

TX = "/data/transactions/transaction"
SEARCH = "/data/transactions/transactions"
METER = "/data/transactions/meterValues"
TARIFF = "/data/transactions/tariff"
REMOTE = "/data/transactions/remoteRequests"
TOKEN = "04A2B3C4"


@pytest.fixture
def transactions(sessionmaker: async_sessionmaker[AsyncSession]) -> TransactionService:
    book = TokenBook({TOKEN: ("Accepted", False)})
    tariffs = TariffService(sessionmaker, FixedClock())
    return TransactionService(
        sessionmaker, FixedClock(), TransactionSettings(), authorizer=book, tariffs=tariffs
    )


@pytest.fixture
def app(deps: ApiDeps, sessionmaker: async_sessionmaker[AsyncSession]) -> FastAPI:
    deps.transactions = TransactionQuery(sessionmaker)
    deps.tariffs = TariffService(sessionmaker, FixedClock())
    deps.remote_requests = RemoteRequestQuery(sessionmaker)
    return create_api(deps)


async def session(service: TransactionService, station: str, tx: str, token: str | None) -> None:
    await service.on_transaction_event(
        station, tx_event("Started", tx, 0, evse_id=1, id_token=token, meter_wh=0)
    )
    await service.on_transaction_event(station, tx_event("Updated", tx, 1, meter_wh=3500))


# Refusals happen before any database work: one backend is enough for them.
REFUSED_BEFORE_STORAGE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def failed_paths(response: httpx.Response) -> set[str]:
    body = error_of(response)
    assert (response.status_code, body["code"]) == (400, "validation_failed")
    return {detail["path"] for detail in body["details"]}  # type: ignore[attr-defined]


# -- sessions ------------------------------------------------------------------------------------


async def test_a_transaction_with_its_events_and_meter_values(
    client: httpx.AsyncClient, transactions: TransactionService
) -> None:
    await session(transactions, "cp1", "tx1", TOKEN)

    body = (await client.get(TX, params={"stationId": "cp1", "transactionId": "tx1"})).json()

    assert body["transactionId"] == "tx1"
    assert body["stationId"] == "cp1"
    assert (body["isActive"], body["totalKwh"], body["meterStart"]) == (True, 3.5, 0.0)
    assert body["idToken"] == {"idToken": TOKEN, "type": "ISO14443"}
    assert body["authorizationStatus"] == "Accepted"
    assert (body["startTime"], body["durationSeconds"]) == ("2026-03-04T10:00:00Z", 60.0)
    assert [e["eventType"] for e in body["transactionEvents"]] == ["Started", "Updated"]
    started = body["transactionEvents"][0]
    assert started["meterValue"][0]["sampledValue"][0]["value"] == 0
    assert started["response"] == {"idTokenInfo": {"status": "Accepted"}}
    assert [m["sampledValue"][0]["value"] for m in body["meterValues"]] == [0, 3500]


async def test_an_unknown_transaction_is_null_as_in_citrineos(client: httpx.AsyncClient) -> None:
    response = await client.get(TX, params={"stationId": "cp1", "transactionId": "nope"})

    assert response.status_code == 200
    assert response.json() is None


async def test_without_transaction_id_the_stations_transactions_are_listed(
    client: httpx.AsyncClient, transactions: TransactionService
) -> None:
    await session(transactions, "cp1", "a", None)
    await session(transactions, "cp1", "b", None)
    await transactions.on_transaction_event("cp1", tx_event("Ended", "a", 2))
    await session(transactions, "cp2", "c", None)

    every = (await client.get(TX, params={"stationId": "cp1"})).json()
    active = (await client.get(TX, params={"stationId": "cp1", "isActive": "true"})).json()

    assert sorted(tx["transactionId"] for tx in every) == ["a", "b"]
    assert [tx["transactionId"] for tx in active] == ["b"]
    assert "transactionEvents" not in every[0]


async def test_search_by_token_time_and_state_with_paging(
    client: httpx.AsyncClient, transactions: TransactionService
) -> None:
    await session(transactions, "cp1", "early", TOKEN)
    late = tx_event("Started", "late", 0, evse_id=2, id_token=TOKEN, timestamp=_at("11:00"))
    await transactions.on_transaction_event("cp2", late)
    await session(transactions, "cp3", "other", None)

    by_token = await client.get(SEARCH, params={"idToken": TOKEN.lower()})
    by_time = await client.get(SEARCH, params={"from": "2026-03-04T10:30:00Z"})
    page = await client.get(SEARCH, params={"limit": "1", "offset": "1"})

    assert [tx["transactionId"] for tx in by_token.json()] == ["late", "early"]
    assert [tx["transactionId"] for tx in by_time.json()] == ["late"]
    assert len(page.json()) == 1


def _at(clock: str) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return datetime(2026, 3, 4, hours, minutes, tzinfo=UTC)


async def test_meter_values_of_a_transaction_or_of_the_station(
    client: httpx.AsyncClient, transactions: TransactionService
) -> None:
    await session(transactions, "cp1", "tx1", None)
    await transactions.on_meter_values("cp1", meter_values(0, 42_000))

    of_tx = await client.get(METER, params={"stationId": "cp1", "transactionId": "tx1"})
    alone = await client.get(METER, params={"stationId": "cp1", "evseId": "0"})
    unknown = await client.get(METER, params={"stationId": "cp1", "transactionId": "zz"})

    assert [m["sampledValue"][0]["value"] for m in of_tx.json()] == [0, 3500]
    assert [(m["evseId"], m["transactionEventId"]) for m in alone.json()] == [(0, None)]
    assert [(m["seqNo"], m["evseId"]) for m in of_tx.json()] == [(0, 1), (1, 1)]
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "transaction_not_found"


@pytest.mark.parametrize(
    ("path", "params", "failing"),
    [
        (TX, {}, "query.stationId"),
        (TX, {"stationId": "cp1", "isActive": "yes"}, "query.isActive"),
        (TX, {"stationId": "cp1", "transactionId": "x" * 37}, "query.transactionId"),
        (SEARCH, {"from": "yesterday"}, "query.from"),
        (SEARCH, {"to": "2026-03-04T10:00:00"}, "query.to"),
        (SEARCH, {"limit": "0"}, "query.limit"),
        (SEARCH, {"offset": "1.0"}, "query.offset"),
        (METER, {"stationId": "cp1", "evseId": "-1"}, "query.evseId"),
        (REMOTE, {"action": "Reset"}, "query.action"),
        (REMOTE, {"outcome": "Lost"}, "query.outcome"),
    ],
)
@REFUSED_BEFORE_STORAGE
async def test_bad_queries_are_refused_with_the_failing_parameter(
    client: httpx.AsyncClient, path: str, params: dict[str, str], failing: str
) -> None:
    response = await client.get(path, params=params)

    assert failing in failed_paths(response)


# -- tariffs -------------------------------------------------------------------------------------


async def test_tariff_put_get_delete(client: httpx.AsyncClient) -> None:
    created = await client.put(TARIFF, json={"currency": "EUR", "pricePerKwh": 0.3, "taxRate": 19})
    tariff = created.json()
    await client.put(TARIFF, json={"currency": "EUR", "pricePerKwh": 0.4})

    listed = (await client.get(TARIFF)).json()
    one = (await client.get(TARIFF, params={"id": str(tariff["id"])})).json()
    deleted = (await client.delete(TARIFF, params={"id": str(tariff["id"])})).json()
    remaining = (await client.get(TARIFF)).json()

    assert created.status_code == 200
    assert tariff == {
        "id": tariff["id"],
        "currency": "EUR",
        "pricePerKwh": 0.3,
        "pricePerMin": None,
        "pricePerSession": None,
        "paymentFee": None,
        "authorizationAmount": None,
        "taxRate": 19.0,
    }
    assert [t["pricePerKwh"] for t in listed] == [0.3, 0.4]
    assert one == [tariff]
    assert deleted == 1
    assert [t["pricePerKwh"] for t in remaining] == [0.4]


@pytest.mark.parametrize(
    ("body", "failing"),
    [
        ({"currency": "EUR"}, "body.pricePerKwh"),
        ({"currency": "eur", "pricePerKwh": 0.3}, "body.currency"),
        ({"currency": "EURO", "pricePerKwh": 0.3}, "body.currency"),
        ({"currency": "EUR", "pricePerKwh": "0.3"}, "body.pricePerKwh"),
        ({"currency": "EUR", "pricePerKwh": -1}, "body.pricePerKwh"),
        ({"currency": "EUR", "pricePerKwh": 0.3, "taxRate": 101}, "body.taxRate"),
        ({"currency": "EUR", "pricePerKwh": 0.3, "stationId": "cp1"}, "body.stationId"),
    ],
)
async def test_bad_tariffs_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, body: dict[str, Any], failing: str
) -> None:
    response = await client.put(TARIFF, json=body)

    assert failing in failed_paths(response)
    assert (await client.get(TARIFF)).json() == []


# -- remote-control answers ------------------------------------------------------------------------


async def test_remote_requests_are_listed_newest_first_by_action(
    client: httpx.AsyncClient, transactions: TransactionService
) -> None:
    stop = {"transactionId": "tx1"}
    record = transactions.record_remote_result
    await record("cp1", "RequestStopTransaction", stop, {"status": "Accepted"})
    await record("cp1", "ClearCache", {}, {"status": "Rejected"})

    every = (await client.get(REMOTE, params={"stationId": "cp1"})).json()
    stops = (await client.get(REMOTE, params={"action": "RequestStopTransaction"})).json()

    assert [(r["action"], r["status"]) for r in every] == [
        ("ClearCache", "Rejected"),
        ("RequestStopTransaction", "Accepted"),
    ]
    assert [(r["transactionId"], r["request"]) for r in stops] == [("tx1", stop)]


async def test_calls_without_a_callresult_are_listed_with_their_outcome(
    client: httpx.AsyncClient,
    transactions: TransactionService,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    log = RemoteRequestLog(sessionmaker, FixedClock())
    error = {"errorCode": "NotSupported", "errorDescription": "no", "errorDetails": {"a": 1}}
    unlock = {"evseId": 1, "connectorId": 1}
    start = {"idToken": {"idToken": TOKEN, "type": "ISO14443"}, "remoteStartId": 5}
    offline = "No connection found for identifier: 1:cp1"
    await transactions.record_remote_result("cp1", "ClearCache", {}, {"status": "Accepted"})
    await log.record_unanswered(
        "cp1", "UnlockConnector", unlock, Unanswered("CallError", "no", error)
    )
    await log.record_unanswered(
        "cp1", "RequestStartTransaction", start, Unanswered("Timeout", "Timed out after 30 s")
    )
    await log.record_unanswered("cp1", "ChangeAvailability", {}, Unanswered("NotSent", offline))
    # Not a remote-control command: only in the message log.
    await log.record_unanswered(
        "cp1", "Reset", {"type": "Immediate"}, Unanswered("NotSent", offline)
    )

    every = (await client.get(REMOTE, params={"stationId": "cp1"})).json()
    timeouts = (await client.get(REMOTE, params={"outcome": "Timeout"})).json()

    assert [
        (r["action"], r["outcome"], r["status"], r["errorCode"], r["reason"]) for r in every
    ] == [
        ("ChangeAvailability", "NotSent", None, None, offline),
        ("RequestStartTransaction", "Timeout", None, None, "Timed out after 30 s"),
        ("UnlockConnector", "CallError", None, "NotSupported", "no"),
        ("ClearCache", "Answered", "Accepted", None, None),
    ]
    assert (every[2]["request"], every[2]["response"], every[2]["evseId"]) == (unlock, error, 1)
    assert [(r["remoteStartId"], r["transactionId"], r["response"]) for r in timeouts] == [
        (5, None, {})
    ]
