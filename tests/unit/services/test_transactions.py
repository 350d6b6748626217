"""TransactionEvent handling on a real database (interface.md §10.1, ocpp-rules.md §6): the
session record, idempotency, out-of-order and late events, one active transaction per EVSE,
ConcurrentTx, reservations, meter values and cost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tests.tx_support import RecordingReservations, TokenBook, at, meter_values, tx_event
from tourmaline.db.models import Connector, MeterValue, TransactionEvent
from tourmaline.services.ports import Unanswered
from tourmaline.services.remote_requests import RemoteRequestLog, RemoteRequestQuery
from tourmaline.services.tariffs import TariffService, TariffWrite
from tourmaline.services.transaction_query import (
    TransactionDetailView,
    TransactionFilter,
    TransactionQuery,
)
from tourmaline.services.transactions import TransactionService
from tourmaline.settings import TransactionSettings

ACCEPTED = {"status": "Accepted"}
TOKEN = "04A2B3C4"


@pytest.fixture
def book() -> TokenBook:
    return TokenBook({TOKEN: ("Accepted", False), "0A0B0C0D": ("Blocked", False)})


@pytest.fixture
def reservations() -> RecordingReservations:
    return RecordingReservations()


@pytest.fixture
def tariffs(sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock) -> TariffService:
    return TariffService(sessionmaker, clock)


def make_service(
    sessionmaker: async_sessionmaker[AsyncSession],
    tariffs: TariffService,
    book: TokenBook,
    reservations: RecordingReservations | None = None,
    **settings: Any,
) -> TransactionService:
    return TransactionService(
        sessionmaker,
        FakeClock(),
        TransactionSettings(**settings),
        authorizer=book,
        tariffs=tariffs,
        reservations=reservations,
    )


@pytest.fixture
def service(
    sessionmaker: async_sessionmaker[AsyncSession],
    tariffs: TariffService,
    book: TokenBook,
    reservations: RecordingReservations,
) -> TransactionService:
    return make_service(sessionmaker, tariffs, book, reservations)


@pytest.fixture
def query(sessionmaker: async_sessionmaker[AsyncSession]) -> TransactionQuery:
    return TransactionQuery(sessionmaker)


async def send(service: TransactionService, *args: Any, station: str = "cp1", **kw: Any) -> Any:
    return await service.on_transaction_event(station, tx_event(*args, **kw))


async def detail(query: TransactionQuery, tx: str, station: str = "cp1") -> TransactionDetailView:
    found = await query.get(station, tx)
    assert found is not None
    return found


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# -- a whole session ----------------------------------------------------------------------------


async def test_a_session_from_started_to_ended_is_recorded_with_energy_and_cost(
    service: TransactionService, query: TransactionQuery, tariffs: TariffService
) -> None:
    await tariffs.put(TariffWrite(currency="EUR", price_per_kwh=0.3))

    started = await send(
        service, "Started", "tx1", 0, evse_id=1, connector_id=1, id_token=TOKEN, meter_wh=1000
    )
    updated = await send(service, "Updated", "tx1", 1, meter_wh=5000, charging_state="Charging")
    ended = await send(service, "Ended", "tx1", 2, meter_wh=11_000, stopped_reason="EVDisconnected")

    assert started == {"idTokenInfo": ACCEPTED}
    assert updated == {}
    assert ended == {"totalCost": 3.0}
    tx = await detail(query, "tx1")
    assert (tx.is_active, tx.stopped_reason, tx.charging_state) == (
        False,
        "EVDisconnected",
        "Charging",
    )
    assert (tx.start_time, tx.end_time, tx.duration_seconds) == (at(0), at(120), 120.0)
    assert (tx.meter_start, tx.total_kwh, tx.total_cost) == (1000.0, 10.0, 3.0)
    assert (tx.evse_id, tx.connector_id, tx.authorization_status) == (1, 1, "Accepted")
    assert [e.seq_no for e in tx.transaction_events] == [0, 1, 2]
    assert [len(e.meter_value or []) for e in tx.transaction_events] == [1, 1, 1]
    assert [m.sampled_value[0]["value"] for m in tx.meter_values] == [1000, 5000, 11000]


async def test_without_a_tariff_the_ended_answer_says_free(service: TransactionService) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, meter_wh=0)

    assert await send(service, "Ended", "tx1", 1, meter_wh=7000) == {"totalCost": 0.0}


async def test_cost_on_updated_only_when_configured(
    sessionmaker: async_sessionmaker[AsyncSession], book: TokenBook, tariffs: TariffService
) -> None:
    await tariffs.put(TariffWrite(currency="EUR", price_per_kwh=0.25))
    service = make_service(sessionmaker, tariffs, book, cost_on_meter_values=True)

    await send(service, "Started", "tx1", 0, evse_id=1, meter_wh=0)

    assert await send(service, "Updated", "tx1", 1, meter_wh=2000) == {"totalCost": 0.5}


async def test_the_stored_event_keeps_what_the_station_sent(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(
        service, "Started", "tx1", 0, evse_id=2, connector_id=1, id_token=TOKEN, reservation_id=7
    )

    [event] = (await detail(query, "tx1")).transaction_events
    assert event.event_type == "Started"
    assert event.trigger_reason == "Authorized"
    assert event.evse == {"id": 2, "connectorId": 1}
    assert event.id_token == {"idToken": TOKEN, "type": "ISO14443"}
    assert event.reservation_id == 7
    assert event.transaction_info == {"transactionId": "tx1"}
    assert event.response == {"idTokenInfo": ACCEPTED}


# -- idempotency ----------------------------------------------------------------------------------


async def test_a_repeated_seq_no_gets_the_same_answer_and_is_stored_once(
    service: TransactionService,
    query: TransactionQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
    book: TokenBook,
) -> None:
    first = await send(service, "Started", "tx1", 0, evse_id=1, id_token=TOKEN, meter_wh=100)
    book.records[TOKEN] = ("Blocked", False)  # a retry must not see a new verdict

    again = await send(service, "Started", "tx1", 0, evse_id=1, id_token=TOKEN, meter_wh=100)

    assert again == first == {"idTokenInfo": ACCEPTED}
    assert await count(sessionmaker, TransactionEvent) == 1
    tx = await detail(query, "tx1")
    assert (tx.event_count, len(tx.meter_values)) == (1, 1)


async def test_concurrent_copies_of_one_event_are_stored_once(
    service: TransactionService,
    query: TransactionQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    copies = [send(service, "Updated", "tx1", 3, evse_id=1, meter_wh=500) for _ in range(5)]

    answers = await asyncio.gather(*copies)

    assert answers == [{}] * 5
    assert await count(sessionmaker, TransactionEvent) == 1
    assert len((await detail(query, "tx1")).meter_values) == 1


async def test_an_offline_replay_of_a_whole_session_changes_nothing(
    service: TransactionService, query: TransactionQuery, tariffs: TariffService
) -> None:
    await tariffs.put(TariffWrite(currency="EUR", price_per_kwh=0.4))
    session = [
        ("Started", 0, {"evse_id": 1, "id_token": TOKEN, "meter_wh": 0}),
        ("Updated", 1, {"meter_wh": 2500}),
        ("Ended", 2, {"meter_wh": 5000}),
    ]
    first = [await send(service, kind, "tx1", seq, offline=True, **kw) for kind, seq, kw in session]
    before = await detail(query, "tx1")

    replay = [
        await send(service, kind, "tx1", seq, offline=True, **kw) for kind, seq, kw in session
    ]

    assert replay == first
    assert first[2] == {"totalCost": 2.0}
    assert await detail(query, "tx1") == before


# -- order, gaps and late events ------------------------------------------------------------------


async def test_out_of_order_events_are_stored_in_seq_no_order_and_state_follows_time(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, meter_wh=1000)
    await send(service, "Updated", "tx1", 2, meter_wh=3000, charging_state="SuspendedEV")
    await send(service, "Updated", "tx1", 1, meter_wh=2000, charging_state="Charging")

    tx = await detail(query, "tx1")
    assert [e.seq_no for e in tx.transaction_events] == [0, 1, 2]
    assert tx.charging_state == "SuspendedEV"  # the newest event's state, not the last received
    assert (tx.total_kwh, tx.last_seq_no, tx.is_active) == (2.0, 2, True)


async def test_ended_before_a_late_updated_keeps_the_session_ended(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, meter_wh=0)
    await send(service, "Ended", "tx1", 2, meter_wh=4000, stopped_reason="Remote")

    late = await send(service, "Updated", "tx1", 1, meter_wh=2000, charging_state="Charging")

    tx = await detail(query, "tx1")
    assert late == {}
    assert (tx.is_active, tx.end_time, tx.stopped_reason) == (False, at(120), "Remote")
    assert (tx.total_kwh, len(tx.meter_values)) == (4.0, 3)


async def test_an_event_after_ended_is_stored_but_never_reopens(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, meter_wh=0)
    await send(service, "Ended", "tx1", 1, meter_wh=1000, stopped_reason="Local")

    await send(service, "Updated", "tx1", 2, meter_wh=1500)
    await send(service, "Ended", "tx1", 3, stopped_reason="PowerLoss")
    await send(service, "Started", "tx1", 4, evse_id=1)

    tx = await detail(query, "tx1")
    assert (tx.is_active, tx.end_time, tx.stopped_reason) == (False, at(60), "Local")
    assert len(tx.transaction_events) == 5
    assert [m.sampled_value[0]["value"] for m in tx.meter_values] == [0, 1000, 1500]


async def test_seq_no_gaps_and_restarts_are_stored_without_error(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1)
    await send(service, "Updated", "tx1", 7)
    await send(service, "Updated", "tx2", 0, evse_id=2)  # another transaction starts at 0 again

    assert [e.seq_no for e in (await detail(query, "tx1")).transaction_events] == [0, 7]
    assert (await detail(query, "tx2")).is_active


async def test_updated_or_ended_for_an_unseen_transaction_creates_it(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(service, "Updated", "tx-u", 5, evse_id=1, charging_state="Charging")
    await send(service, "Ended", "tx-e", 9, evse_id=2, stopped_reason="Other")

    updated, ended = await detail(query, "tx-u"), await detail(query, "tx-e")
    assert (updated.is_active, updated.start_time, updated.charging_state) == (
        True,
        at(300),
        "Charging",
    )
    assert (ended.is_active, ended.end_time, ended.stopped_reason) == (False, at(540), "Other")


async def test_ended_without_a_reason_means_local(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(service, "Ended", "tx1", 0, evse_id=1)

    assert (await detail(query, "tx1")).stopped_reason == "Local"


# -- one active transaction per EVSE --------------------------------------------------------------


async def test_a_started_on_a_busy_evse_supersedes_the_stale_transaction(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(service, "Started", "old", 0, evse_id=1, meter_wh=0)
    await send(service, "Started", "other-evse", 0, evse_id=2)

    await send(service, "Started", "new", 3, evse_id=1, timestamp=at(900))

    old, new = await detail(query, "old"), await detail(query, "new")
    assert (old.is_active, old.end_time, old.stopped_reason) == (False, at(900), "Other")
    assert old.stopped_note == "superseded by new"
    assert new.is_active
    assert (await detail(query, "other-evse")).is_active


async def test_a_late_superseding_ended_records_the_stations_own_end(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(service, "Started", "old", 0, evse_id=1)
    await send(service, "Started", "new", 0, evse_id=1, timestamp=at(900))

    await send(service, "Ended", "old", 1, stopped_reason="PowerLoss", timestamp=at(600))

    old = await detail(query, "old")
    assert (old.is_active, old.end_time, old.stopped_reason) == (False, at(600), "PowerLoss")
    assert (await detail(query, "new")).is_active


@pytest.mark.parametrize("kind", ["Started", "Updated"])
async def test_an_old_replay_never_takes_the_evse_from_a_newer_transaction(
    service: TransactionService, query: TransactionQuery, kind: str
) -> None:
    await send(service, "Started", "new", 0, evse_id=1, timestamp=at(900))

    await send(service, kind, "old", 4, evse_id=1, timestamp=at(300), offline=True)

    assert (await detail(query, "new")).is_active
    old = await detail(query, "old")
    assert (old.is_active, old.end_time, old.stopped_note) == (False, None, "EVSE 1 held by new")


async def test_starteds_for_one_evse_in_one_group_leave_one_active(
    service: TransactionService, query: TransactionQuery
) -> None:
    await asyncio.gather(
        *(send(service, "Started", f"tx{n}", 0, evse_id=1, timestamp=at(n)) for n in range(6))
    )

    active = await query.search(TransactionFilter(station_id="cp1", is_active=True))
    assert len(active) == 1


# -- tokens ---------------------------------------------------------------------------------------


async def test_every_event_with_a_token_carries_its_verdict(
    service: TransactionService, book: TokenBook
) -> None:
    assert await send(service, "Started", "tx1", 0, evse_id=1, id_token="0A0B0C0D") == {
        "idTokenInfo": {"status": "Blocked"}
    }
    assert await send(service, "Updated", "tx1", 1, id_token="1122334455") == {
        "idTokenInfo": {"status": "Invalid"}  # odd-length ISO14443 hex (§10.2)
    }
    assert await send(service, "Updated", "tx1", 2, id_token="AABBCCDD") == {
        "idTokenInfo": {"status": "Unknown"}
    }
    assert book.calls[0] == ("cp1", {"idToken": "0A0B0C0D", "type": "ISO14443"}, 1)


async def test_a_token_with_an_active_session_gets_concurrent_tx_on_started(
    service: TransactionService, book: TokenBook
) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, id_token=TOKEN)

    elsewhere = await send(
        service, "Started", "tx2", 0, station="cp2", evse_id=1, id_token=TOKEN.lower()
    )
    book.records["AABBCCDD"] = ("Accepted", True)
    await send(service, "Started", "tx3", 0, evse_id=2, id_token="AABBCCDD")
    allowed = await send(service, "Started", "tx4", 0, evse_id=3, id_token="AABBCCDD")

    assert elsewhere == {"idTokenInfo": {"status": "ConcurrentTx"}}
    assert allowed == {"idTokenInfo": ACCEPTED}


async def test_no_authorization_sessions_never_collide(service: TransactionService) -> None:
    free = {"id_token": "", "token_type": "NoAuthorization"}
    await send(service, "Started", "tx1", 0, evse_id=1, **free)

    assert await send(service, "Started", "tx2", 0, evse_id=2, **free) == {"idTokenInfo": ACCEPTED}
    assert not await service.has_active_transaction("", "NoAuthorization")


async def test_an_ended_session_frees_its_token(service: TransactionService) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, id_token=TOKEN)
    await send(service, "Ended", "tx1", 1)

    assert await send(service, "Started", "tx2", 0, evse_id=1, id_token=TOKEN) == {
        "idTokenInfo": ACCEPTED
    }


async def test_active_transactions_port_sees_tokens_in_any_case(
    service: TransactionService,
) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, id_token="04a2b3c4")

    assert await service.has_active_transaction("04A2B3C4", "ISO14443")
    assert not await service.has_active_transaction("04A2B3C4", "Central")
    await send(service, "Ended", "tx1", 1)
    assert not await service.has_active_transaction("04a2b3c4", "ISO14443")


# -- inputs a station gets wrong --------------------------------------------------------------


async def test_negative_and_backwards_readings_never_harm_the_totals(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, meter_wh=1000)
    negative = await send(service, "Updated", "tx1", 1, meter_wh=-50_000)
    await send(service, "Updated", "tx1", 2, meter_wh=4000)
    await send(service, "Updated", "tx1", 3, meter_wh=2000)  # register went backwards

    tx = await detail(query, "tx1")
    assert negative == {}
    assert (tx.meter_start, tx.total_kwh) == (1000.0, 3.0)
    assert [m.sampled_value[0]["value"] for m in tx.meter_values] == [1000, -50000, 4000, 2000]


async def test_an_unknown_evse_is_recorded_on_demand(
    service: TransactionService,
    query: TransactionQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    answer = await send(service, "Started", "tx1", 0, evse_id=99, connector_id=4)

    assert answer == {}
    assert (await detail(query, "tx1")).evse_id == 99
    async with sessionmaker() as session:
        connector = await session.scalar(select(Connector).where(Connector.evse_id == 99))
    assert connector is not None
    assert (connector.station_id, connector.connector_id, connector.status) == ("cp1", 4, None)


# -- reservations -------------------------------------------------------------------------------


async def test_a_reservation_id_consumes_the_reservation_once(
    service: TransactionService, reservations: RecordingReservations
) -> None:
    reservations.active["cp1"] = 7

    await send(service, "Started", "tx1", 0, evse_id=1, reservation_id=7)
    await send(service, "Started", "tx1", 0, evse_id=1, reservation_id=7)  # retry

    assert reservations.calls == [("cp1", 7, "tx1")]
    assert reservations.active == {}


async def test_without_a_reservation_service_the_id_is_only_stored(
    sessionmaker: async_sessionmaker[AsyncSession],
    tariffs: TariffService,
    book: TokenBook,
    query: TransactionQuery,
) -> None:
    service = make_service(sessionmaker, tariffs, book, reservations=None)

    assert await send(service, "Started", "tx1", 0, evse_id=1, reservation_id=7) == {}
    assert (await detail(query, "tx1")).transaction_events[0].reservation_id == 7


# -- stand-alone meter values and remote-control answers ------------------------------------------


async def test_meter_values_outside_a_transaction_are_stored_against_the_evse(
    service: TransactionService,
    query: TransactionQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await service.on_meter_values("cp1", meter_values(0, 123_000, seconds=10))
    await service.on_meter_values("cp1", meter_values(1, 456, seconds=20))

    main = await query.station_meter_values("cp1", evse_id=0, limit=10, offset=0)
    every = await query.station_meter_values("cp1", evse_id=None, limit=10, offset=0)
    assert [(m.evse_id, m.sampled_value[0]["value"]) for m in main] == [(0, 123000)]
    assert [m.evse_id for m in every] == [1, 0]  # newest first
    assert await count(sessionmaker, MeterValue) == 2


async def test_a_remote_start_is_linked_to_the_transaction_that_follows(
    service: TransactionService,
    query: TransactionQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    request = {"idToken": {"idToken": TOKEN, "type": "ISO14443"}, "remoteStartId": 42, "evseId": 1}
    await service.record_remote_result("cp1", "RequestStartTransaction", request, ACCEPTED)

    await send(service, "Started", "tx1", 0, evse_id=1, remote_start_id=42, id_token=TOKEN)

    [row] = await _remote_rows(sessionmaker)
    assert (row["remoteStartId"], row["transactionId"], row["status"]) == (42, "tx1", "Accepted")
    assert (await detail(query, "tx1")).remote_start_id == 42


async def test_a_started_that_overtakes_the_remote_start_answer_is_linked_too(
    service: TransactionService,
    query: TransactionQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, remote_start_id=43)

    request = {"idToken": {"idToken": TOKEN, "type": "ISO14443"}, "remoteStartId": 43}
    await service.record_remote_result("cp1", "RequestStartTransaction", request, ACCEPTED)

    [row] = await _remote_rows(sessionmaker)
    assert row["transactionId"] == "tx1"


async def test_a_rejected_remote_start_is_never_linked(
    service: TransactionService,
    query: TransactionQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    request = {"idToken": {"idToken": TOKEN, "type": "ISO14443"}, "remoteStartId": 44}
    await service.record_remote_result(
        "cp1", "RequestStartTransaction", request, {"status": "Rejected"}
    )

    await send(service, "Started", "tx1", 0, evse_id=1, remote_start_id=44)

    [row] = await _remote_rows(sessionmaker)
    assert (row["status"], row["transactionId"]) == ("Rejected", None)


CALL_ERROR = {"errorCode": "InternalError", "errorDescription": "busy", "errorDetails": {}}


@pytest.mark.parametrize(
    "unanswered",
    [
        Unanswered("CallError", "busy", CALL_ERROR),
        Unanswered("Timeout", "Timed out after 30 s"),
        Unanswered("NotSent", "No connection found for identifier: 1:cp1"),
    ],
    ids=["callerror", "timeout", "not-sent"],
)
@pytest.mark.parametrize("started_first", [False, True], ids=["answer-first", "started-first"])
async def test_a_remote_start_without_a_callresult_is_never_linked(
    service: TransactionService,
    query: TransactionQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
    unanswered: Unanswered,
    started_first: bool,
) -> None:
    log = RemoteRequestLog(sessionmaker, FakeClock())
    request = {"idToken": {"idToken": TOKEN, "type": "ISO14443"}, "remoteStartId": 45}
    if started_first:
        await send(service, "Started", "tx1", 0, evse_id=1, remote_start_id=45)
    await log.record_unanswered("cp1", "RequestStartTransaction", request, unanswered)
    if not started_first:
        await send(service, "Started", "tx1", 0, evse_id=1, remote_start_id=45)

    [row] = await _remote_rows(sessionmaker)
    assert (row["outcome"], row["status"], row["transactionId"]) == (
        unanswered.outcome,
        None,
        None,
    )
    assert (await detail(query, "tx1")).remote_start_id == 45


async def test_a_get_transaction_status_without_a_callresult_changes_no_transaction(
    service: TransactionService,
    query: TransactionQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, meter_wh=0)
    log = RemoteRequestLog(sessionmaker, FakeClock())

    await log.record_unanswered(
        "cp1", "GetTransactionStatus", {"transactionId": "tx1"}, Unanswered("Timeout", "late")
    )

    [row] = await _remote_rows(sessionmaker)
    assert (row["outcome"], row["transactionId"]) == ("Timeout", "tx1")
    assert (await detail(query, "tx1")).is_active is True


async def test_get_transaction_status_not_ongoing_deactivates_without_ending(
    service: TransactionService, query: TransactionQuery
) -> None:
    await send(service, "Started", "tx1", 0, evse_id=1, meter_wh=0)

    await service.record_remote_result(
        "cp1",
        "GetTransactionStatus",
        {"transactionId": "tx1"},
        {"ongoingIndicator": False, "messagesInQueue": True},
    )
    paused = await detail(query, "tx1")
    await send(service, "Ended", "tx1", 1, meter_wh=900, stopped_reason="EVDisconnected")

    ended = await detail(query, "tx1")
    assert (paused.is_active, paused.end_time, paused.stopped_reason) == (False, None, None)
    assert (ended.end_time, ended.stopped_reason, ended.total_kwh) == (
        at(60),
        "EVDisconnected",
        0.9,
    )


async def _remote_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Any]:
    rows = await RemoteRequestQuery(sessionmaker).search(station_id="cp1")
    return [row.model_dump(by_alias=True) for row in rows]


# -- group commit ---------------------------------------------------------------------------------


async def test_many_stations_sessions_at_once_are_all_answered_and_stored(
    service: TransactionService,
    query: TransactionQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async def session(n: int) -> list[Any]:
        station = f"cp{n}"
        return [
            await send(service, "Started", "t", 0, station=station, evse_id=1, meter_wh=0),
            await send(service, "Updated", "t", 1, station=station, meter_wh=1000 * n),
            await send(service, "Ended", "t", 2, station=station, meter_wh=2000 * n),
        ]

    answers = await asyncio.gather(*(session(n) for n in range(1, 41)))

    assert all(a == [{}, {}, {"totalCost": 0.0}] for a in answers)
    assert await count(sessionmaker, TransactionEvent) == 120
    assert (await detail(query, "t", station="cp40")).total_kwh == 80.0
